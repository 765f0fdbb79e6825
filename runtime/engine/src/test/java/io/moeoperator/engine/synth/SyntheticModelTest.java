package io.moeoperator.engine.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.GenerationResult;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufException;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.gguf.GgufModelConfig;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.sample.SamplingParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelTest {
    @TempDir
    Path dir;

    static SynthSpec.Builder tiny() {
        return SynthSpec.builder().vocabSize(300).hidden(64).numLayers(3).numHeads(2).qLoraRank(32).kvLoraRank(32)
                .qkNope(16).qkRope(8).vHead(16).ffDense(64).ffExpert(32).numExperts(4).numExpertsUsed(2)
                .contextLength(128);
    }

    @Test
    void metadataDescribesTheSpecAndTheEngineReadsIt() throws IOException {
        SynthSpec spec = tiny().gating(GatingFunction.SIGMOID).routerBias(true).expertWeightsNorm(true)
                .expertWeightsScale(2.5f).yarnFactor(4f).yarnOriginalContext(32).build();
        Path file = dir.resolve("m.gguf");
        SyntheticModelWriter.write(spec, file);
        try (GgufFile f = GgufFile.open(file)) {
            ModelConfig c = GgufModelConfig.read(f);
            assertEquals(64, c.hidden());
            assertEquals(3, c.numLayers());
            assertEquals(32, c.qLoraRank());
            assertEquals(16, c.qkNope());
            assertEquals(8, c.qkRope());
            assertEquals(GatingFunction.SIGMOID, c.routing().scoring());
            assertTrue(c.routing().selectionBias());
            assertTrue(c.routing().normTopkProb());
            assertEquals(2.5f, c.routing().scale());
            assertTrue(c.ropeScaling().yarn());
            assertEquals(4f, c.ropeScaling().factor());
            assertTrue(f.hasTensor("blk.1.exp_probs_b.bias"));
            assertEquals(GgmlType.F32, f.tensorInfo("blk.1.ffn_gate_inp.weight").type(), "router stays F32");
            assertArrayEquals(new long[] {64, 32, 4}, f.tensorInfo("blk.1.ffn_gate_exps.weight").shape());
            assertEquals(300, f.metadata().getStringList("tokenizer.ggml.tokens").size());
        }
    }

    @Test
    void sameSeedSameBytesAndDifferentSeedDifferentWeights() throws IOException {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        SyntheticModelWriter.write(tiny().seed(5).build(), a);
        SyntheticModelWriter.write(tiny().seed(5).build(), b);
        SyntheticModelWriter.write(tiny().seed(6).build(), c);
        assertEquals(-1, Files.mismatch(a, b));
        assertTrue(Files.mismatch(a, c) >= 0);
    }

    @Test
    void everyGgufWeightTypeGenerates() throws IOException {
        for (GgmlType type : GgmlType.values()) {
            if (type.id() < 0) {
                continue; // F8_E4M3 exists only in safetensors checkpoints
            }
            Path file = dir.resolve(type + ".gguf");
            SyntheticModelWriter.write(tiny().weightType(type).build(), file);
            try (LoadedModel m = LoadedModel.open(file, 1)) {
                List<String> pieces = new ArrayList<>();
                GenerationResult r = m.generator().generate("Hello", 8, SamplingParams.greedy(), pieces::add);
                assertEquals(String.join("", pieces), r.text(), type + ": streamed pieces make up the text");
                assertFalse(r.text().isEmpty(), type + ": generated something");
            }
        }
    }

    /** Texts in many scripts, and odd ones: a synthetic model reads any UTF-8 text, as any byte-level BPE does. */
    static final String[] SCRIPTS = {
        "Hello, world!", "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e", "Gr\u00f6\u00dfe \u00fcber alles", "\u00bfQu\u00e9 tal, se\u00f1or?",
        "\u4f60\u597d\uff0c\u4e16\u754c\uff01\u6a21\u578b\u7531\u8bb8\u591a\u4e13\u5bb6\u7ec4\u6210\u3002", "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002",
        "\ud55c\uad6d\uc5b4 \ud14d\uc2a4\ud2b8", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!", "\u0393\u03b5\u03b9\u03ac \u03c3\u03bf\u03c5 \u03ba\u03cc\u03c3\u03bc\u03b5",
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645", "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
        "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e0a\u0e32\u0e27\u0e42\u0e25\u0e01", "\u10d2\u10d0\u10db\u10d0\u10e0\u10ef\u10dd\u10d1\u10d0", "\u1200\u1208\u1218",
        "\ud83d\ude00 \ud83d\udc4d\ud83c\udffd \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67 \ud83c\uddfa\ud83c\uddf3",
        "\u0301 a lone combining mark, and e\u0301 a combined one", "\u0000 NUL \u0007 bell \u001b[0m escape \u007f",
        "\ufeffBOM \u00a0nbsp \u3000ideographic space \u2028line separator", "\ud800\udc00 \udbff\udfff planes 1 and 16",
        "\ud835\udc00\ud835\udc01 \u2200x \u2203y \u221e \u2211", "\u00ff\u00fe\u00fd",
    };

    @Test
    void anyTextRoundTripsThroughASyntheticModelsTokenizer() throws IOException {
        Path file = dir.resolve("m.gguf");
        SyntheticModelWriter.write(tiny().build(), file);
        try (LoadedModel m = LoadedModel.open(file, 1)) {
            for (int b = 0; b < 256; b++) {
                assertArrayEquals(new byte[] {(byte) b}, m.tokenizer().tokenBytes(b), "byte token " + b);
            }
            for (String text : SCRIPTS) {
                int[] ids = m.tokenizer().encode(text, false, false);
                assertEquals(text, m.tokenizer().decode(ids), text);
            }
            String all = String.join("\n", SCRIPTS);
            assertEquals(all, m.tokenizer().decode(m.tokenizer().encode(all, true, true)));
        }
    }

    /** Byte tokens are there to read text: greedy decoding writes printable ASCII, whatever the prompt. */
    @Test
    void theModelWritesPrintableAscii() throws IOException {
        Path file = dir.resolve("m.gguf");
        SyntheticModelWriter.write(tiny().build(), file);
        try (LoadedModel m = LoadedModel.open(file, 1)) {
            for (String prompt : SCRIPTS) {
                GenerationResult r = m.generator().generate(prompt, 24, SamplingParams.greedy(), null);
                assertTrue(r.text().chars().allMatch(c -> c == '\t' || c == '\n' || c == '\r' || (c >= 0x20 && c <= 0x7E)),
                        prompt + " -> " + r.text());
                for (int id : r.generatedTokens()) {
                    assertFalse(id >= 0x80 && id < 256, prompt + ": wrote the byte token " + id);
                }
            }
        }
    }

    @Test
    void invalidSpecsNameTheFlag() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tiny().qkRope(7).build());
        assertEquals("--qk-rope must be even, got 7", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tiny().weightType(GgmlType.Q8_0).hidden(48).build());
        assertTrue(e.getMessage().startsWith("Q8_0 weights need every matrix input dimension to be a multiple of 32"),
                e.getMessage());
    }

    @Test
    void aModelWithAMissingTensorFailsNamingIt() throws IOException {
        Path file = dir.resolve("m.gguf");
        SyntheticModelWriter.write(tiny().build(), file);
        // Rename one tensor in place: same length, so the file stays well-formed.
        byte[] bytes = Files.readAllBytes(file);
        String from = "blk.2.attn_kv_b.weight";
        String s = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).replace(from, "blk.2.attn_kv_X.weight");
        Files.write(file, s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        GgufException e = assertThrows(GgufException.class, () -> LoadedModel.open(file, 1));
        assertEquals("model file m.gguf: missing tensor blk.2.attn_kv_b.weight", e.getMessage());
    }

    @Test
    void promptLongerThanTheContextIsRejected() throws IOException {
        Path file = dir.resolve("m.gguf");
        SyntheticModelWriter.write(tiny().contextLength(16).build(), file);
        try (LoadedModel m = LoadedModel.open(file, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.generator().generate("x".repeat(40), 4, SamplingParams.greedy(), null));
            assertTrue(e.getMessage().contains("does not fit the model's context length 16"), e.getMessage());
        }
    }
}
