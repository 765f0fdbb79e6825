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
        return SynthSpec.builder().vocabSize(256).hidden(64).numLayers(3).numHeads(2).qLoraRank(32).kvLoraRank(32)
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
            ModelConfig c = ModelConfig.fromGguf(f.metadata(), "m.gguf");
            assertEquals(64, c.hidden());
            assertEquals(3, c.numLayers());
            assertEquals(32, c.qLoraRank());
            assertEquals(16, c.qkNope());
            assertEquals(8, c.qkRope());
            assertEquals(GatingFunction.SIGMOID, c.gating());
            assertTrue(c.expertWeightsNorm());
            assertEquals(2.5f, c.expertWeightsScale());
            assertTrue(c.ropeScaling().yarn());
            assertEquals(4f, c.ropeScaling().factor());
            assertTrue(f.hasTensor("blk.1.exp_probs_b.bias"));
            assertEquals(GgmlType.F32, f.tensorInfo("blk.1.ffn_gate_inp.weight").type(), "router stays F32");
            assertArrayEquals(new long[] {64, 32, 4}, f.tensorInfo("blk.1.ffn_gate_exps.weight").shape());
            assertEquals(256, f.metadata().getStringList("tokenizer.ggml.tokens").size());
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
    void everyWeightTypeGenerates() throws IOException {
        for (GgmlType type : GgmlType.values()) {
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
