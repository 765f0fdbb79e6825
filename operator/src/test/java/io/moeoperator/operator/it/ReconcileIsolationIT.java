package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Reconciles do no Prometheus I/O: with one deployment's Prometheus answering only after 10 s (a
 * real Prometheus behind a proxy that holds each connection for 10 s), every deployment, that one
 * included, still reconciles a spec change at once. A measurement: latencies are printed and written
 * to target/reconcile-isolation.txt (docs/benchmarks.md); the only bound checked is the query
 * timeout (5 s), which a reconcile that waited on Prometheus could not beat.
 */
class ReconcileIsolationIT {
    static final String NS = "isolation";
    static final int OTHERS = 12;
    static final Duration DELAY = Duration.ofSeconds(10);

    @Test
    void aSlowPrometheusDelaysNoReconcile() throws Exception {
        Path dir = Path.of("target", "reconcile-isolation").toAbsolutePath();
        try (KubernetesClient client = RealApiServer.newClient();
             PrometheusServer prometheus = new PrometheusServer(dir.resolve("prometheus"), List.of());
             DelayingProxy slow = new DelayingProxy(prometheus.port(), DELAY);
             MoEOperator operator = new MoEOperator(client, OperatorConfig.defaults(), new SimpleMeterRegistry(), null, Clock.systemUTC())) {
            RealApiServer.createNamespace(client, NS);
            operator.start();
            ClusterFixture cluster = new ClusterFixture(client);
            for (int i = 0; i < OTHERS; i++) create(cluster, "fast" + i, prometheus.url());
            for (int i = 0; i < OTHERS; i++) cluster.awaitCondition(NS, "fast" + i, "AutoscalingActive", "True", "MetricsAvailable");

            List<Long> baseline = edits(cluster, "fast", 8);
            create(cluster, "slow", "http://127.0.0.1:" + slow.port());
            // Its evaluations now hang on the proxy; the first one fails after the 5 s query timeout.
            cluster.awaitCondition(NS, "slow", "AutoscalingActive", "False", "PrometheusUnreachable");
            List<Long> withSlow = edits(cluster, "fast", 16);
            List<Long> slowItself = edits(cluster, "slow", 16, 17, 18);

            String report = String.format("reconcile latency (spec edit -> new revision's StatefulSet exists), %d autoscaled deployments polling "
                            + "Prometheus every 1 s:%n  without a slow Prometheus: %s%n  with one deployment's Prometheus answering after %d s: "
                            + "others %s, that deployment %s%n",
                    OTHERS, summary(baseline), DELAY.toSeconds(), summary(withSlow), summary(slowItself));
            System.out.print(report);
            Files.writeString(Path.of("target", "reconcile-isolation.txt"), report);
            for (long ms : slowItself) {
                assertTrue(ms < 5000, "a reconcile waited on Prometheus: " + slowItself);
            }
            assertTrue(slow.connections() > 0, "the slow deployment's evaluations went to the slow Prometheus");
        }
    }

    private static void create(ClusterFixture cluster, String name, String prometheusUrl) {
        cluster.createFromYaml(NS, """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: %s}
                spec:
                  model: {uri: 'synthetic://?experts=8'}
                  serving: {maxNumSeqs: 4}
                  autoscaling:
                    maxReplicas: 3
                    prometheusUrl: %s
                    pollIntervalSeconds: 1
                    metrics: [{type: Custom, query: 'vector(1)', target: 1}]
                """.formatted(name, prometheusUrl));
    }

    /** Edits maxNumSeqs (a new revision) of each deployment named prefix+i in turn; latency of each until its StatefulSet exists. */
    private static List<Long> edits(ClusterFixture cluster, String prefix, int maxNumSeqs) {
        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < OTHERS; i++) latencies.add(edit(cluster, prefix + i, maxNumSeqs));
        return latencies;
    }

    private static List<Long> edits(ClusterFixture cluster, String name, int... maxNumSeqs) {
        List<Long> latencies = new ArrayList<>();
        for (int m : maxNumSeqs) latencies.add(edit(cluster, name, m));
        return latencies;
    }

    private static long edit(ClusterFixture cluster, String name, int maxNumSeqs) {
        long t0 = System.nanoTime();
        cluster.edit(NS, name, m -> MoEDeploymentIT.edit(m, Map.of("serving", Map.of("maxNumSeqs", maxNumSeqs))));
        String revision = cluster.revision(NS, name);
        await(ClusterFixture.WAIT, () -> assertNotNull(cluster.sts(NS, name + "-g0-" + revision)));
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static String summary(List<Long> ms) {
        List<Long> sorted = ms.stream().sorted().toList();
        return String.format("p50 %d ms, max %d ms (n=%d)", sorted.get(sorted.size() / 2), sorted.getLast(), sorted.size());
    }

    /** Accepts connections and forwards them to Prometheus only after a delay: a Prometheus that answers slowly. */
    static final class DelayingProxy implements AutoCloseable {
        private final ServerSocket server;
        private final Thread acceptor;
        private volatile int connections;

        DelayingProxy(int targetPort, Duration delay) throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            acceptor = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket client = server.accept();
                        connections++;
                        Thread.ofVirtual().start(() -> forwardLater(client, targetPort, delay));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        int connections() {
            return connections;
        }

        private static void forwardLater(Socket client, int targetPort, Duration delay) {
            try (client; Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort)) {
                Thread.sleep(delay);
                Thread up = Thread.ofVirtual().start(() -> pipe(client, target));
                pipe(target, client);
                up.join();
            } catch (IOException | InterruptedException e) {
                // the client gave up (its timeout): nothing to forward
            }
        }

        private static void pipe(Socket from, Socket to) {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // one side closed
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            acceptor.interrupt();
        }
    }
}
