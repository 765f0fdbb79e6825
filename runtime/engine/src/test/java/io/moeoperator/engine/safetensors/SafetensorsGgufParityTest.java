package io.moeoperator.engine.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.exec.ModelFormat;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufWeightSource;
import io.moeoperator.engine.kernel.ActivationRounding;
import io.moeoperator.engine.kernel.VectorOps;
import io.moeoperator.engine.kernel.WeightMatrix;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.RopePairing;
import io.moeoperator.engine.model.TensorRole;
import io.moeoperator.engine.model.WeightSource;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.sample.Sampler;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import io.moeoperator.engine.synth.SyntheticModelWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same synthetic model from a GGUF file and from a Hugging Face safetensors directory gives
 * bit-identical logits: the same values reach the same kernels in the same roles, so every name,
 * shape and layout of both mappings (GGUF [in, out] and stacked experts; transformers [out, in],
 * one tensor per expert, sharded) and the translation of the hyper-parameters agree.
 *
 * <p>The formats differ in one numerics policy, on purpose: GGUF weights round their activations as
 * ggml does (to match llama.cpp), a Hugging Face checkpoint's do not (to match transformers). The
 * parity runs the GGUF side with the checkpoint's policy, so the comparison is of names and layouts;
 * {@link #eachFormatRoundsActivationsAsItsOracle} checks the policies themselves.
 */
class SafetensorsGgufParityTest {
    @TempDir
    static Path dir;

    static SynthSpec.Builder small() {
        return SynthSpec.builder().vocabSize(320).hidden(64).numLayers(3).numHeads(4).qLoraRank(32).kvLoraRank(32)
                .qkNope(16).qkRope(8).vHead(16).ffDense(96).ffExpert(32).numExperts(8).numExpertsUsed(3)
                .numSharedExperts(1).numDenseLeading(1).contextLength(64);
    }

    static Stream<Arguments> models() {
        return Stream.of(
                Arguments.of("v2-lite-like F32 (no q-lora, 2 shared)", small().qLoraRank(0).numSharedExperts(2).build(),
                        SyntheticHfWriter.Options.DEFAULT),
                Arguments.of("v2-like BF16 in 3 shards", small().weightType(GgmlType.BF16).expertWeightsScale(16f).build(),
                        new SyntheticHfWriter.Options(3, false)),
                Arguments.of("v3-like F16 (sigmoid, bias, norm, x2.5)", small().weightType(GgmlType.F16)
                        .gating(GatingFunction.SIGMOID).routerBias(true).expertWeightsNorm(true).expertWeightsScale(2.5f)
                        .build(), SyntheticHfWriter.Options.DEFAULT),
                Arguments.of("v3-like BF16 without bias, no dense layer, no shared expert", small().weightType(GgmlType.BF16)
                        .gating(GatingFunction.SIGMOID).numDenseLeading(0).numSharedExperts(0).build(),
                        new SyntheticHfWriter.Options(2, false)),
                Arguments.of("v3-like BF16, rope_interleave false", small().weightType(GgmlType.BF16)
                        .gating(GatingFunction.SIGMOID).routerBias(true).expertWeightsNorm(true).build(),
                        new SyntheticHfWriter.Options(1, true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void logitsAreBitIdentical(String name, SynthSpec spec, SyntheticHfWriter.Options options) throws Exception {
        Path gguf = dir.resolve(name.hashCode() + ".gguf");
        Path hf = dir.resolve("hf-" + name.hashCode());
        SyntheticModelWriter.write(spec, gguf);
        SyntheticHfWriter.write(spec, hf, options);
        assertEquals(options.numShards() > 1, Files.exists(hf.resolve(SafetensorsCheckpoint.INDEX)));
        try (VectorOps ops = new VectorOps(1);
             WeightSource a = GgufWeightSource.open(gguf).mapMatrices(SafetensorsGgufParityTest::unrounded);
             WeightSource b = SafetensorsWeightSource.open(hf)) {
            assertEquals(options.ropeHalves() ? RopePairing.HALVES : RopePairing.INTERLEAVED, b.config().ropePairing());
            List<float[][]> fromGguf = run(new DeepSeek2Model(a, ops));
            List<float[][]> fromHf = run(new DeepSeek2Model(b, ops));
            for (int step = 0; step < fromGguf.size(); step++) {
                assertArrayEquals(fromGguf.get(step)[0], fromHf.get(step)[0], name + ": logits of step " + step);
            }
        }
    }

    @Test
    void eachFormatRoundsActivationsAsItsOracle() throws Exception {
        SynthSpec spec = small().weightType(GgmlType.BF16).build();
        Path gguf = dir.resolve("policy.gguf");
        Path hf = dir.resolve("policy-hf");
        SyntheticModelWriter.write(spec, gguf);
        SyntheticHfWriter.write(spec, hf, SyntheticHfWriter.Options.DEFAULT);
        try (VectorOps ops = new VectorOps(1);
             WeightSource a = GgufWeightSource.open(gguf);
             WeightSource b = SafetensorsWeightSource.open(hf)) {
            WeightMatrix fromGguf = a.matrix(TensorRole.ATTN_OUTPUT, 0, spec.hidden(), spec.numHeads() * spec.vHead());
            WeightMatrix fromHf = b.matrix(TensorRole.ATTN_OUTPUT, 0, spec.hidden(), spec.numHeads() * spec.vHead());
            assertEquals(GgmlType.BF16, fromGguf.activationType(), "llama.cpp rounds activations to BF16");
            assertEquals(GgmlType.F32, fromHf.activationType(), "transformers' reference does not");
            assertFalse(Arrays.equals(run(new DeepSeek2Model(a, ops)).get(0)[0], run(new DeepSeek2Model(b, ops)).get(0)[0]),
                    "the policies give different BF16 logits");
        }
    }

    @Test
    void yarnMagnitudesDifferOnlyInRounding() throws Exception {
        // llama.cpp's YaRN magnitudes are computed in float (about 1 and m), DeepSeek's in double
        // (exactly 1 and m): the same model up to a few ulps of two scalars.
        SynthSpec spec = small().yarnFactor(4f).yarnOriginalContext(32).yarnLogMultiplier(0.0707f).build();
        Path gguf = dir.resolve("yarn.gguf");
        Path hf = dir.resolve("hf-yarn");
        SyntheticModelWriter.write(spec, gguf);
        SyntheticHfWriter.write(spec, hf, SyntheticHfWriter.Options.DEFAULT);
        try (VectorOps ops = new VectorOps(1);
             WeightSource a = GgufWeightSource.open(gguf);
             WeightSource b = SafetensorsWeightSource.open(hf)) {
            ModelConfig ca = a.config();
            ModelConfig cb = b.config();
            assertEquals(ca.kqScale(), cb.kqScale(), 1e-6f * ca.kqScale());
            assertEquals(1f, cb.ropeScaling().magnitude());
            List<float[][]> x = run(new DeepSeek2Model(a, ops));
            List<float[][]> y = run(new DeepSeek2Model(b, ops));
            for (int step = 0; step < x.size(); step++) {
                float[] l1 = x.get(step)[0];
                float[] l2 = y.get(step)[0];
                double largest = 0;
                double diff = 0;
                for (int v = 0; v < l1.length; v++) {
                    largest = Math.max(largest, Math.abs(l1[v]));
                    diff = Math.max(diff, Math.abs(l1[v] - l2[v]));
                }
                assertTrue(diff <= 1e-4 * largest, "step " + step + ": logits differ by " + diff + " of " + largest);
            }
        }
    }

    @Test
    void aDirectoryLoadsAsItsGgufFile() throws Exception {
        SynthSpec spec = small().weightType(GgmlType.BF16).build();
        Path gguf = dir.resolve("loaded.gguf");
        Path hf = dir.resolve("loaded-hf");
        SyntheticModelWriter.write(spec, gguf);
        SyntheticHfWriter.write(spec, hf, new SyntheticHfWriter.Options(2, false));
        try (LoadedModel a = LoadedModel.open(gguf, 1); LoadedModel b = LoadedModel.open(hf, 1)) {
            assertEquals(ModelFormat.GGUF, a.format());
            assertEquals(ModelFormat.SAFETENSORS, b.format());
            String text = "Once upon a time, in 1999, <｜end▁of▁sentence｜> ünïcödé";
            assertArrayEquals(a.tokenizer().encode(text, true, true), b.tokenizer().encode(text, true, true));
            assertEquals(a.generator().generate("Once upon a time", 16, SamplingParams.greedy(), null).text(),
                    b.generator().generate("Once upon a time", 16, SamplingParams.greedy(), null).text());
            assertEquals(a.chatTemplate(), b.chatTemplate());
            assertEquals(a.footprint().mappedBytes() - Files.size(gguf), b.footprint().mappedBytes() - sizeOf(hf, ".safetensors"),
                    "each maps its whole weight files");
        }
    }

    static long sizeOf(Path dir, String suffix) throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.filter(p -> p.toString().endsWith(suffix)).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** The matrix multiplying its activations unrounded, as a Hugging Face checkpoint's do. */
    static WeightMatrix unrounded(WeightMatrix w) {
        return new WeightMatrix(w.name(), w.type(), w.rows(), w.cols(), w.data(), w.scales(), ActivationRounding.NONE);
    }

    /** Logits after a 12-token prompt and after each of 4 greedy decode steps. */
    static List<float[][]> run(DeepSeek2Model model) {
        int[] prompt = {5, 17, 99, 200, 3, 42, 42, 7, 311, 64, 128, 1};
        LatentKvCache cache = model.newCache();
        List<float[][]> out = new ArrayList<>();
        float[] logits = model.forward(prompt, cache);
        out.add(new float[][] {logits});
        for (int i = 0; i < 4; i++) {
            logits = model.forward(new int[] {Sampler.argmax(logits)}, cache);
            out.add(new float[][] {logits});
        }
        return out;
    }
}
