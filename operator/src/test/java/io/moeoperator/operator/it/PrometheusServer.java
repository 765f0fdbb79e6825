package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A real Prometheus server (Debian's package, /usr/bin/prometheus) on loopback, scraping the given
 * targets' /q/metrics every second. Started by the test with a generated configuration.
 */
final class PrometheusServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;

    PrometheusServer(Path dir, List<String> targets) throws IOException {
        Path binary = Path.of(System.getProperty("moe.prometheus.bin", "/usr/bin/prometheus"));
        if (!Files.isExecutable(binary)) {
            fail("no Prometheus server at " + binary + ": apt-get install prometheus (bin/test does), "
                    + "or point -Dmoe.prometheus.bin at one");
        }
        this.dir = dir;
        // A fresh TSDB: series of an earlier run would still answer queries for 5 minutes.
        if (Files.exists(dir)) {
            try (var old = Files.walk(dir)) {
                old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(dir);
        port = RuntimeServer.freePort();
        String config = """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: moe-runtime
                    metrics_path: /q/metrics
                    static_configs:
                      - targets: [%s]
                """.formatted(targets.stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")));
        Files.writeString(dir.resolve("prometheus.yml"), config);
        process = new ProcessBuilder(binary.toString(),
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-lifecycle")
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        RealApiServer.await(Duration.ofSeconds(60), () -> {
            assertTrue(process.isAlive(), "prometheus exited: " + log());
            try {
                assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(url() + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode());
            } catch (IOException | InterruptedException e) {
                throw new AssertionError("not ready: " + e);
            }
        });
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    String log() {
        try {
            return Files.readString(dir.resolve("prometheus.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }


    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
