package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real `moe serve` process (the runtime the operator deploys), serving a small synthetic model. */
final class RuntimeServer implements AutoCloseable {
    static final Path QUARKUS_APP = ClusterFixture.ROOT.resolve("runtime/server/target/quarkus-app/quarkus-run.jar");
    private final Process process;
    private final int port;
    private final Path log;

    /** Starts {@code bin/moe <args>} (args begin with "serve" and name {@code port}); see {@link #awaitReady}. */
    RuntimeServer(List<String> args, int port, Path log) throws IOException {
        if (!Files.exists(QUARKUS_APP)) {
            fail(QUARKUS_APP + " is missing: build the runtime first (./mvnw package -pl runtime/server -am, or bin/test)");
        }
        Files.createDirectories(log.getParent());
        this.port = port;
        this.log = log;
        List<String> command = new ArrayList<>(List.of(ClusterFixture.ROOT.resolve("bin/moe").toString()));
        command.addAll(args);
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** A one-process group serving a small synthetic model, ready when this returns. */
    static RuntimeServer tinyModel(Path dir, String metricsLabels, String... extraArgs) throws IOException {
        Files.createDirectories(dir);
        Path model = dir.resolve("autoscale-tiny.gguf");
        if (!Files.exists(model)) {
            SyntheticModelWriter.write(SynthSpec.builder().vocabSize(384).hidden(64).numLayers(2).numHeads(4)
                    .qLoraRank(32).kvLoraRank(32).qkNope(16).qkRope(16).vHead(16).ffDense(128).ffExpert(32)
                    .numExperts(8).numExpertsUsed(2).numSharedExperts(1).numDenseLeading(1).contextLength(512).seed(5).build(), model);
        }
        int port = freePort();
        List<String> args = new ArrayList<>(List.of("serve", "--model", model.toString(), "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--threads", "1", "--metrics-labels", metricsLabels));
        args.addAll(List.of(extraArgs));
        RuntimeServer server = new RuntimeServer(args, port, dir.resolve("moe-serve-" + port + ".log"));
        server.awaitReady(Duration.ofSeconds(90));
        return server;
    }

    void awaitReady(Duration limit) {
        HttpClient http = HttpClient.newHttpClient();
        RealApiServer.await(limit, () -> {
            assertTrue(process.isAlive(), "moe serve exited: " + readLog());
            try {
                assertEquals(200, http.send(HttpRequest.newBuilder(URI.create(url() + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode());
            } catch (IOException | InterruptedException e) {
                throw new AssertionError("not ready: " + e);
            }
        });
    }

    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    String target() {
        return "127.0.0.1:" + port;
    }

    String readLog() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly();
    }
}
