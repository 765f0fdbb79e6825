package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@code bin/moe-operator} as a platform engineer runs it: a process, a kubeconfig, a Lease, /readyz, /metrics. */
class OperatorCommandIT {
    static final Path OUT = Path.of("target", "operator-command-it").toAbsolutePath();

    @Test
    void runsAgainstTheCurrentKubeconfig() throws Exception {
        Files.createDirectories(OUT);
        Path kubeconfig = OUT.resolve("kubeconfig.yaml");
        Files.writeString(kubeconfig, RealApiServer.kubeConfigYaml());
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(ClusterFixture.ROOT.resolve("bin/moe-operator").toString(),
                "--namespace", "command", "--http-host", "127.0.0.1", "--http-port", String.valueOf(port),
                "--lease-namespace", "command")
                .redirectErrorStream(true).redirectOutput(OUT.resolve("operator.log").toFile());
        pb.environment().put("KUBECONFIG", kubeconfig.toString());
        try (KubernetesClient client = RealApiServer.newClient()) {
            RealApiServer.createNamespace(client, "command");
            Process operator = pb.start();
            try {
                HttpClient web = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + port;
                await(Duration.ofSeconds(60), () -> {
                    assertTrue(operator.isAlive(), "moe-operator exited: " + log());
                    assertEquals(200, get(web, base + "/readyz").statusCode());
                });
                ClusterFixture cluster = new ClusterFixture(client);
                cluster.createFromFile("command", "deploy/examples/tiny-cpu.yaml");
                await(Duration.ofSeconds(60), () -> assertNotNull(cluster.sts("command", "tiny-cpu-g0"), log()));
                cluster.awaitCondition("command", "tiny-cpu", "Ready", "False", "GroupsNotReady");
                assertNotNull(client.leases().inNamespace("command").withName("moe-operator-leader").get());
                String metrics = get(web, base + "/metrics").body();
                assertTrue(metrics.contains("operator_sdk_") && metrics.contains("jvm_memory_used_bytes"), metrics);
                assertTrue(log().contains("watching namespaces [command]"), log());
            } finally {
                operator.destroy();
                assertTrue(operator.waitFor(30, TimeUnit.SECONDS), "moe-operator did not stop on SIGTERM");
            }
        }
    }

    private static String log() {
        try {
            return Files.readString(OUT.resolve("operator.log"));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static HttpResponse<String> get(HttpClient web, String url) {
        try {
            return web.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(url + ": " + e, e);
        }
    }
}
