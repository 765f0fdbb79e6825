package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code bin/moe-operator} as a platform engineer runs it: a process, a kubeconfig, a Lease, /readyz, /metrics, SIGTERM. */
class OperatorCommandIT {
    static final Path OUT = Path.of("target", "operator-command-it").toAbsolutePath();

    /** One bin/moe-operator process, its HTTP port and its log. */
    record OperatorProcess(Process process, int port, Path log) {
        String output() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }
    }

    static OperatorProcess start(String namespace, String name) throws IOException {
        Files.createDirectories(OUT);
        Path kubeconfig = OUT.resolve("kubeconfig.yaml");
        Files.writeString(kubeconfig, RealApiServer.kubeConfigYaml());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path log = OUT.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(ClusterFixture.ROOT.resolve("bin/moe-operator").toString(),
                "--namespace", namespace, "--http-host", "127.0.0.1", "--http-port", String.valueOf(port),
                "--lease-namespace", namespace)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        pb.environment().put("HOSTNAME", name);
        return new OperatorProcess(pb.start(), port, log);
    }

    @Test
    void runsAgainstTheCurrentKubeconfig() throws Exception {
        try (KubernetesClient client = RealApiServer.newClient()) {
            RealApiServer.createNamespace(client, "command");
            OperatorProcess operator = start("command", "operator");
            try {
                HttpClient web = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + operator.port();
                await(Duration.ofSeconds(60), () -> {
                    assertTrue(operator.process().isAlive(), "moe-operator exited: " + operator.output());
                    assertEquals(200, get(web, base + "/readyz").statusCode());
                });
                ClusterFixture cluster = new ClusterFixture(client);
                cluster.createFromFile("command", "deploy/examples/tiny-cpu.yaml");
                await(Duration.ofSeconds(60), () -> assertEquals(List.of(0), cluster.groupIndices("command", "tiny-cpu"), operator.output()));
                cluster.awaitCondition("command", "tiny-cpu", "Ready", "False", "GroupsNotReady");
                assertNotNull(client.leases().inNamespace("command").withName("moe-operator-leader").get());
                String metrics = get(web, base + "/metrics").body();
                assertTrue(metrics.contains("operator_sdk_") && metrics.contains("jvm_memory_used_bytes"), metrics);
                assertTrue(operator.output().contains("watching namespaces [command]"), operator.output());
            } finally {
                operator.process().destroy();
                assertTrue(operator.process().waitFor(30, TimeUnit.SECONDS), "moe-operator did not stop on SIGTERM");
            }
        }
    }

    /**
     * Two replicas as the chart runs them: SIGTERM to the leader (a rolling update, a drained node)
     * stops it cleanly and releases its Lease, so the standby reconciles within the lease duration
     * (15 s) rather than after it.
     */
    @Test
    void aStoppedLeaderReleasesItsLeaseAndTheStandbyTakesOver() throws Exception {
        String ns = "handover";
        try (KubernetesClient client = RealApiServer.newClient()) {
            RealApiServer.createNamespace(client, ns);
            OperatorProcess first = start(ns, "first");
            await(Duration.ofSeconds(60), () -> assertTrue(holder(client, ns).startsWith("first-"), first.output()));
            OperatorProcess second = start(ns, "second");
            try {
                await(Duration.ofSeconds(60), () -> assertTrue(second.output().contains("watching namespaces"), second.output()));
                assertTrue(holder(client, ns).startsWith("first-"), "the standby waits");

                long t0 = System.nanoTime();
                first.process().destroy(); // SIGTERM
                assertTrue(first.process().waitFor(30, TimeUnit.SECONDS), "the leader did not stop on SIGTERM");
                // 143 = 128 + SIGTERM: how every JVM stopped by SIGTERM exits, after its shutdown hooks.
                assertEquals(143, first.process().exitValue(), first.output());
                assertTrue(first.output().contains("moe-operator: stopped"), first.output());
                assertTrue(first.output().contains("released Lease " + ns + "/moe-operator-leader"), first.output());
                await(LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
                        () -> assertTrue(holder(client, ns).startsWith("second-"), "holder: " + holder(client, ns)));
                long takeoverMs = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf("SIGTERM to the leader -> standby holds the Lease: %d ms%n", takeoverMs);
                Files.writeString(OUT.resolve("lease-takeover.txt"), "takeover_ms " + takeoverMs + "\n");

                // The new leader reconciles.
                ClusterFixture cluster = new ClusterFixture(client);
                cluster.createFromFile(ns, "deploy/examples/tiny-cpu.yaml");
                await(Duration.ofSeconds(60), () -> assertEquals(List.of(0), cluster.groupIndices(ns, "tiny-cpu"), second.output()));
            } finally {
                first.process().destroyForcibly();
                second.process().destroy();
                assertTrue(second.process().waitFor(30, TimeUnit.SECONDS), "moe-operator did not stop on SIGTERM");
            }
        }
    }

    private static String holder(KubernetesClient client, String ns) {
        Lease lease = client.leases().inNamespace(ns).withName("moe-operator-leader").get();
        String holder = lease == null ? null : lease.getSpec().getHolderIdentity();
        return holder == null ? "" : holder;
    }

    private static HttpResponse<String> get(HttpClient web, String url) {
        try {
            return web.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(url + ": " + e, e);
        }
    }
}
