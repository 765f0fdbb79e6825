package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import org.junit.jupiter.api.Test;

/** {@code bin/moe serve} run as a user runs it: flags, start-up failures, a real start. */
class ServeCommandIT {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
    static final Path OUT = Path.of("target", "serve-it").toAbsolutePath();

    record Run(int exit, String out, String err) {}

    static Process start(String... args) throws IOException {
        Files.createDirectories(OUT);
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/moe").toString());
        cmd.add("serve");
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).redirectOutput(OUT.resolve("out.txt").toFile())
                .redirectError(OUT.resolve("err.txt").toFile()).start();
    }

    static Run run(String... args) throws Exception {
        Process p = start(args);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/moe serve " + String.join(" ", args) + " did not exit");
        Thread.sleep(200); // bin/moe filters stderr through a pipe that may finish just after the JVM
        return new Run(p.exitValue(), Files.readString(OUT.resolve("out.txt"), StandardCharsets.UTF_8),
                Files.readString(OUT.resolve("err.txt"), StandardCharsets.UTF_8));
    }

    @Test
    void helpListsTheFlags() throws Exception {
        Run r = run("--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("--model PATH") && r.out().contains("--api-key KEY"), r.out());
    }

    @Test
    void anUnknownFlagIsNamed() throws Exception {
        Run r = run("--model", "x.gguf", "--prot", "8000");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("unknown option '--prot'"), r.err());
    }

    @Test
    void aMissingModelStopsStartUpWithAClearMessage() throws Exception {
        Run r = run("--model", OUT.resolve("no-such-model.gguf").toString(), "--port", "0");
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        String expected = "model " + OUT.resolve("no-such-model.gguf") + " does not exist";
        assertTrue(r.err().contains(expected), "stderr: " + r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace for a missing file: " + r.err());
    }

    @Test
    void aFileThatIsNotAModelStopsStartUp() throws Exception {
        Path junk = OUT.resolve("junk.gguf");
        Files.createDirectories(OUT);
        Files.writeString(junk, "not a model");
        Run r = run("--model", junk.toString(), "--port", "0");
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        assertTrue(r.err().contains("cannot load the model: model file junk.gguf: not a GGUF file"), r.err());
    }

    @Test
    void aContextLongerThanTheModelsStopsStartUp() throws Exception {
        Run r = run("--model", SyntheticModelResource.model().toString(), "--port", "0", "--context-length", "999999");
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        assertTrue(r.err().contains("--context-length 999999 is longer than the model's context length "
                + SyntheticModelResource.CONTEXT), r.err());
    }

    @Test
    void deviceCudaWithoutAGpuStopsStartUpSayingWhatIsMissing() throws Exception {
        Run r = run("--model", SyntheticModelResource.model().toString(), "--port", "0", "--device", "cuda");
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        // This machine has no NVIDIA driver; on one that has, the message names the GPU instead.
        assertTrue(r.err().contains("--device cuda: the CUDA 13 runtime libraries") && r.err().contains("libcuda.so.1"), r.err());
        assertTrue(!r.err().contains("\tat ") && !r.out().contains("hs_err"), "a message, not a crash: " + r.err());
    }

    @Test
    void anUnknownDeviceIsNamed() throws Exception {
        Run r = run("--model", SyntheticModelResource.model().toString(), "--port", "0", "--device", "tpu");
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        assertTrue(r.err().contains("moe.device") && r.err().contains("tpu"), r.err());
    }

    @Test
    void aMalformedMetricsLabelStopsStartUp() throws Exception {
        Run r = run("--model", SyntheticModelResource.model().toString(), "--port", "0", "--metrics-labels", "moe-deployment=x");
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        assertTrue(r.err().contains("--metrics-labels: 'moe-deployment=x' is not name=value with a Prometheus label name"), r.err());
    }

    @Test
    void servesWithTheGivenPortKeyAndName() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = start("--model", SyntheticModelResource.model().toString(), "--port", Integer.toString(port),
                "--host", "127.0.0.1", "--api-key", "k", "--served-model-name", "tiny", "--max-num-seqs", "2",
                "--kv-cache-memory", "64M", "--context-length", "64",
                "--metrics-labels", "moe_deployment=tiny,moe_group=0");
        try {
            URI base = URI.create("http://127.0.0.1:" + port + "/");
            Http anonymous = new Http(base, null);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!isReady(anonymous)) {
                assertTrue(p.isAlive(), "the server exited: " + Files.readString(OUT.resolve("err.txt")));
                assertTrue(System.nanoTime() < deadline, "not ready within 90 s");
                Thread.sleep(200);
            }
            var served = new Http(base, "k").get("/v1/models").json().get("data").get(0);
            assertEquals("tiny", served.get("id").asText());
            assertEquals(64, served.get("max_model_len").asInt(), "--context-length caps the context");
            var tooLong = new Http(base, "k").post("/v1/completions",
                    "{\"model\":\"tiny\",\"prompt\":\"" + "word ".repeat(80) + "\",\"max_tokens\":1}").error(400);
            assertEquals("context_length_exceeded", tooLong.get("code").asText());
            String metrics = anonymous.get("/q/metrics").body();
            assertTrue(metrics.contains("moe_requests_waiting{moe_deployment=\"tiny\",moe_group=\"0\"}"),
                    "--metrics-labels label every series: " + metrics.lines().filter(l -> l.startsWith("moe_requests")).toList());
            anonymous.get("/v1/models").error(401);
        } finally {
            p.destroy(); // SIGTERM: Quarkus shuts down and stops the engine
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
        }
    }

    @Test
    void servesAHuggingFaceDirectoryAsItsGgufFile() throws Exception {
        Path dir = SyntheticModelResource.hfModel();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process p = start("--model", dir.toString(), "--port", Integer.toString(port), "--host", "127.0.0.1",
                "--threads", "2", "--kv-cache-memory", "64M", "--context-length", "128");
        try {
            Http http = new Http(URI.create("http://127.0.0.1:" + port + "/"), null);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!isReady(http)) {
                assertTrue(p.isAlive(), "the server exited: " + Files.readString(OUT.resolve("err.txt")));
                assertTrue(System.nanoTime() < deadline, "not ready within 90 s");
                Thread.sleep(200);
            }
            assertEquals("server-tiny-hf", http.get("/v1/models").json().get("data").get(0).get("id").asText());
            String served = http.post("/v1/completions", "{\"model\":\"server-tiny-hf\",\"prompt\":\"Once upon a time\","
                    + "\"max_tokens\":12,\"temperature\":0}").json().get("choices").get(0).get("text").asText();
            try (LoadedModel gguf = LoadedModel.open(SyntheticModelResource.model(), 1)) {
                String expected = gguf.generator().generate("Once upon a time", 12, SamplingParams.greedy(), null).text();
                assertEquals(expected, served, "the directory serves what its GGUF file generates");
            }
            String log = Files.readString(OUT.resolve("out.txt")) + Files.readString(OUT.resolve("err.txt"));
            assertTrue(log.contains("Serving server-tiny-hf as 'server-tiny-hf'"), log);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server did not stop on SIGTERM");
        }
    }

    @Test
    void aBrokenHuggingFaceDirectoryStopsStartUpNamingTheFile() throws Exception {
        Path dir = OUT.resolve("broken-hf");
        SyntheticHfWriter.write(SyntheticModelResource.SPEC, dir, new SyntheticHfWriter.Options(2, false));
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        Files.write(shard, Arrays.copyOf(Files.readAllBytes(shard), (int) Files.size(shard) - 100));
        Run r = run("--model", dir.toString(), "--port", "0");
        assertTrue(r.exit() != 0, "exit code " + r.exit());
        assertTrue(r.err().contains("cannot load the model: model file model-00002-of-00002.safetensors: tensor lm_head.weight:"
                + " data_offsets"), r.err());
        assertTrue(!r.err().contains("\tat "), "a message, not a stack trace: " + r.err());
        Run format = run("--model", dir.toString(), "--port", "0", "--model-format", "gguf");
        assertTrue(format.exit() != 0, "exit code " + format.exit());
        assertTrue(format.err().contains("is not a GGUF file"), format.err());
    }

    private static boolean isReady(Http http) {
        try {
            return http.get("/q/health/ready").status() == 200;
        } catch (AssertionError connectionRefused) {
            return false;
        }
    }
}
