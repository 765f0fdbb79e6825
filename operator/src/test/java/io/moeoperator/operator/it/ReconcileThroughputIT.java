package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.MoEDeployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A measurement, not a timing assertion: how long the operator takes to bring 100 MoEDeployments
 * (1 group x 2 ranks each) to "every child exists and status reports the generation", on the real
 * API server. Prints the numbers and writes them to target/reconcile-throughput.txt for docs/benchmarks.md.
 */
class ReconcileThroughputIT {
    static final int DEPLOYMENTS = 100;

    @Test
    void hundredDeployments() throws IOException {
        String ns = "throughput";
        try (KubernetesClient client = RealApiServer.newClient();
             MoEOperator operator = new MoEOperator(client, OperatorConfig.defaults(), new SimpleMeterRegistry(), null, Clock.systemUTC())) {
            RealApiServer.createNamespace(client, ns);
            operator.start();
            ClusterFixture cluster = new ClusterFixture(client);
            long t0 = System.nanoTime();
            for (int i = 0; i < DEPLOYMENTS; i++) {
                cluster.createFromYaml(ns, """
                        apiVersion: serving.moe-operator.io/v1alpha1
                        kind: MoEDeployment
                        metadata: {name: m%03d}
                        spec: {model: {uri: 'synthetic://?experts=8'}, expertParallelism: 2}
                        """.formatted(i));
            }
            long created = System.nanoTime();
            await(Duration.ofMinutes(5), () -> {
                assertEquals(DEPLOYMENTS, client.apps().statefulSets().inNamespace(ns).list().getItems().size());
                assertEquals(2 * DEPLOYMENTS, client.services().inNamespace(ns).list().getItems().size());
                long reported = client.resources(MoEDeployment.class).inNamespace(ns).list().getItems().stream()
                        .filter(m -> m.getStatus() != null && Long.valueOf(1).equals(m.getStatus().getObservedGeneration())).count();
                assertEquals(DEPLOYMENTS, reported);
            });
            long done = System.nanoTime();
            double seconds = (done - t0) / 1e9;
            String report = String.format("%d MoEDeployments created in %.1f s; all children + status after %.1f s "
                            + "from the first create (%.1f deployments/s, %d objects written + %d status patches)%n",
                    DEPLOYMENTS, (created - t0) / 1e9, seconds, DEPLOYMENTS / seconds, 4 * DEPLOYMENTS, DEPLOYMENTS);
            System.out.print(report);
            Files.writeString(Path.of("target", "reconcile-throughput.txt"), report);
        }
    }
}
