package io.moeoperator.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.GenerationResult;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.sample.SamplingParams;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the real launcher, bin/moe, on the packaged jar, as a user would. */
class MoeCliIT {
    static final Path ROOT = Path.of("").toAbsolutePath().getParent().getParent();
    static final Path MODEL = Path.of("target", "cli-it", "tiny.gguf").toAbsolutePath();

    record Run(int exit, String out, String err) {}

    static Run moe(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ROOT.resolve("bin/moe").toString());
        cmd.addAll(Arrays.asList(args));
        Path out = Files.createTempFile(MODEL.getParent(), "out", ".txt");
        Path err = Files.createTempFile(MODEL.getParent(), "err", ".txt");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "bin/moe " + String.join(" ", args) + " did not finish");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    @BeforeAll
    static void synthesize() throws Exception {
        Files.createDirectories(MODEL.getParent());
        Run r = moe("synth", "--out", MODEL.toString(), "--hidden", "64", "--layers", "2", "--experts", "4",
                "--experts-used", "2", "--seed", "7");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().isEmpty(), "synth writes nothing to stdout: " + r.out());
    }

    @Test
    void generatePrintsOnlyTheContinuation() throws Exception {
        Run r = moe("generate", "--model", MODEL.toString(), "--prompt", "Hello there", "--max-tokens", "12");
        assertEquals(0, r.exit(), r.err());
        try (LoadedModel m = LoadedModel.open(MODEL, 1)) {
            GenerationResult expected = m.generator().generate("Hello there", 12, SamplingParams.greedy(), null);
            assertEquals(expected.text(), r.out());
            assertTrue(!expected.text().isEmpty());
        }
    }

    @Test
    void samplingWithASeedIsReproducible() throws Exception {
        String[] args = {"generate", "--model", MODEL.toString(), "--prompt", "a", "--max-tokens", "16",
            "--temperature", "1.0", "--top-p", "0.9", "--seed", "123"};
        assertEquals(moe(args).out(), moe(args).out());
    }

    @Test
    void tokenizePrintsAJsonArrayWithoutBos() throws Exception {
        Run r = moe("tokenize", "--model", MODEL.toString(), "--text", "Hello world");
        assertEquals(0, r.exit(), r.err());
        try (LoadedModel m = LoadedModel.open(MODEL, 1)) {
            int[] ids = m.tokenizer().encode("Hello world", false, true);
            String json = Arrays.stream(ids).mapToObj(Integer::toString).collect(Collectors.joining(",", "[", "]"));
            assertEquals(json + "\n", r.out());
        }
    }

    @Test
    void benchPrintsOneJsonLine() throws Exception {
        Run r = moe("bench", "--model", MODEL.toString(), "--prompt-tokens", "16", "--gen-tokens", "4", "--threads", "1");
        assertEquals(0, r.exit(), r.err());
        String line = r.out().strip();
        assertTrue(line.startsWith("{") && line.endsWith("}") && !line.contains("\n"), line);
        assertTrue(line.matches(".*\"prefill_tokens_per_s\":[0-9.]+.*\"decode_tokens_per_s\":[0-9.]+.*"), line);
    }

    @Test
    void missingModelIsAClearError() throws Exception {
        Run r = moe("generate", "--model", "/no/such/model.gguf", "--prompt", "x");
        assertEquals(1, r.exit());
        assertEquals("error: model /no/such/model.gguf does not exist: pass a GGUF file or a Hugging Face model directory"
                + " (config.json and *.safetensors)\n", r.err());
        assertEquals("", r.out());
    }

    @Test
    void aHuggingFaceDirectoryOfTheSameModelGeneratesTokenizesAndBenchesAlike() throws Exception {
        Path dir = MODEL.resolveSibling("tiny-hf");
        Run synth = moe("synth", "--format", "safetensors", "--shards", "2", "--out", dir.toString(), "--hidden", "64",
                "--layers", "2", "--experts", "4", "--experts-used", "2", "--seed", "7");
        assertEquals(0, synth.exit(), synth.err());
        assertTrue(Files.exists(dir.resolve("model.safetensors.index.json")) && Files.exists(dir.resolve("tokenizer.json")));
        String[] generate = {"generate", "--prompt", "Hello there", "--max-tokens", "12", "--model"};
        Run fromDir = moe(with(generate, dir.toString()));
        assertEquals(0, fromDir.exit(), fromDir.err());
        assertEquals(moe(with(generate, MODEL.toString())).out(), fromDir.out());
        String[] tokenize = {"tokenize", "--text", "Hello world <｜end▁of▁sentence｜>", "--model"};
        assertEquals(moe(with(tokenize, MODEL.toString())).out(), moe(with(tokenize, dir.toString())).out());
        Run bench = moe("bench", "--model", dir.toString(), "--prompt-tokens", "16", "--gen-tokens", "4", "--threads", "1");
        assertEquals(0, bench.exit(), bench.err());
        assertTrue(bench.out().contains("\"format\":\"safetensors\"") && bench.out().contains("\"load_s\":"), bench.out());
    }

    @Test
    void synthTakesARealTokenizerFromAHuggingFaceDirectory() throws Exception {
        Path source = MODEL.resolveSibling("tokenizer-source");
        assertEquals(0, moe("synth", "--format", "safetensors", "--out", source.toString(), "--vocab-size", "700",
                "--hidden", "64", "--layers", "2", "--experts", "4", "--experts-used", "2").exit());
        Path gguf = MODEL.resolveSibling("with-tokenizer.gguf");
        Run synth = moe("synth", "--out", gguf.toString(), "--tokenizer", source.toString(), "--hidden", "64", "--layers", "2",
                "--experts", "4", "--experts-used", "2");
        assertEquals(0, synth.exit(), synth.err());
        String[] tokenize = {"tokenize", "--text", "Hello world, 12345 <｜end▁of▁sentence｜> über", "--model"};
        Run fromGguf = moe(with(tokenize, gguf.toString()));
        assertEquals(0, fromGguf.exit(), fromGguf.err());
        assertEquals(moe(with(tokenize, source.toString())).out(), fromGguf.out());
        Run mismatch = moe("synth", "--out", gguf.toString(), "--tokenizer", source.toString(), "--vocab-size", "512");
        assertEquals(1, mismatch.exit(), mismatch.err());
        assertTrue(mismatch.err().contains("--vocab-size 512 differs from the 700 tokens of " + source.resolve("tokenizer.json")),
                mismatch.err());
    }

    @Test
    void aBrokenHuggingFaceDirectoryIsOneLineNamingTheFile() throws Exception {
        Path dir = MODEL.resolveSibling("broken-hf");
        Run synth = moe("synth", "--format", "safetensors", "--out", dir.toString(), "--hidden", "64", "--layers", "2",
                "--experts", "4", "--experts-used", "2");
        assertEquals(0, synth.exit(), synth.err());
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"topk_method\": \"greedy\"", "\"topk_method\": \"random\""));
        Run r = moe("generate", "--model", dir.toString(), "--prompt", "x");
        assertEquals(1, r.exit());
        assertEquals("error: model file broken-hf/config.json: topk_method is \"random\"; deepseek_v2 supports greedy,"
                + " group_limited_greedy\n", r.err());
        Run gguf = moe("tokenize", "--model", dir.toString(), "--model-format", "gguf", "--text", "x");
        assertEquals(1, gguf.exit());
        assertEquals("error: model " + dir + " is not a GGUF file\n", gguf.err());
    }

    private static String[] with(String[] args, String last) {
        String[] all = Arrays.copyOf(args, args.length + 1);
        all[args.length] = last;
        return all;
    }

    @Test
    void badFlagValueIsAUsageError() throws Exception {
        Run r = moe("generate", "--model", MODEL.toString(), "--prompt", "x", "--temperature", "-1");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("temperature must be a finite number >= 0, got -1.0"), r.err());
        Run unknown = moe("generate", "--model", MODEL.toString(), "--prompt", "x", "--bogus");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("Unknown option: '--bogus'"), unknown.err());
    }

    @Test
    void invalidSynthSpecNamesTheFlag() throws Exception {
        Run r = moe("synth", "--out", MODEL.resolveSibling("bad.gguf").toString(), "--experts", "4", "--experts-used", "5");
        assertEquals(1, r.exit());
        assertTrue(r.err().contains("--experts-used must be in 1..4, got 5"), r.err());
        assertTrue(!Files.exists(MODEL.resolveSibling("bad.gguf")), "nothing half-written");
    }
}
