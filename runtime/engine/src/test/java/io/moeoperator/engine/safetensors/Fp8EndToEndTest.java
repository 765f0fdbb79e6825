package io.moeoperator.engine.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.synth.SynthSpec;
import io.moeoperator.engine.synth.SyntheticHfWriter;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A DeepSeek-V3-style FP8 directory (E4M3 weights, 128 x 128 F32 block scales, partial edge blocks)
 * runs end to end, and computes what the same weights dequantized by hand to F32 compute: the test
 * writes that F32 twin itself from the FP8 files (each weight its E4M3 value times its block's scale),
 * so it checks the names of the scale tensors, their block layout and direction (a multiplier), the
 * kv_b decoding at load and the FP8 kernels on real model shapes. Measured: 2.2e-7 of the largest logit.
 */
class Fp8EndToEndTest {
    @TempDir
    Path dir;

    /** 192- and 320-wide matrices span two and three 128-blocks, the last partial. */
    static final SynthSpec SPEC = SynthSpec.builder().vocabSize(320).hidden(192).numLayers(3).numHeads(4).qLoraRank(160)
            .kvLoraRank(128).qkNope(32).qkRope(16).vHead(32).ffDense(320).ffExpert(96).numExperts(8).numExpertsUsed(2)
            .numSharedExperts(1).numDenseLeading(1).contextLength(128).gating(GatingFunction.SIGMOID).routerBias(true)
            .expertWeightsNorm(true).expertWeightsScale(2.5f).weightType(GgmlType.F8_E4M3).build();

    @Test
    void fp8ComputesWhatItsDequantizedWeightsCompute() throws IOException {
        Path written = dir.resolve("written");
        Path fp8 = dir.resolve("fp8");
        Path f32 = dir.resolve("f32");
        SyntheticHfWriter.write(SPEC, written, new SyntheticHfWriter.Options(2, false));
        // The embedding and output head are BF16 as DeepSeek ships them; a BF16 head rounds the last hidden
        // state to 8 bits, which would hide every difference before it. Both sides get them in F32.
        rewrite(written, fp8, false);
        int dequantized = rewrite(written, f32, true);
        assertTrue(dequantized > 20, dequantized + " FP8 weights");
        try (LoadedModel a = LoadedModel.open(fp8, 2); LoadedModel b = LoadedModel.open(f32, 2)) {
            int[] prompt = a.tokenizer().encode("Once upon a time there was a model in eight bits", true, true);
            float[] la = a.model().forward(prompt, a.model().newCache());
            float[] lb = b.model().forward(prompt, b.model().newCache());
            double largest = 0;
            double diff = 0;
            for (int v = 0; v < la.length; v++) {
                largest = Math.max(largest, Math.abs(lb[v]));
                diff = Math.max(diff, Math.abs(la[v] - lb[v]));
            }
            // Same weights, different summation order (per block, then scaled): float rounding only.
            assertTrue(diff <= 1e-4 * largest, "logits differ by " + diff + " of " + largest);
            System.out.printf("FP8 vs its F32 dequantization: logits within %.2e of the largest (%.4f)%n", diff / largest, largest);
            assertEquals(b.generator().generate("Once upon a time", 16, SamplingParams.greedy(), null).text(),
                    a.generator().generate("Once upon a time", 16, SamplingParams.greedy(), null).text());
        }
    }

    /**
     * Writes the FP8 directory's model with its non-FP8 tensors in F32 and its FP8 weights either
     * copied with their scales or, with {@code dequantize}, in F32 (each value times its block's scale;
     * then without quantization_config); returns how many weights were FP8.
     */
    static int rewrite(Path fp8, Path out, boolean dequantize) throws IOException {
        Files.createDirectories(out);
        try (Stream<Path> files = Files.list(fp8)) {
            for (Path f : files.filter(p -> !p.toString().endsWith(".safetensors") && !p.getFileName().toString()
                    .equals(SafetensorsCheckpoint.INDEX)).toList()) {
                String text = Files.readString(f);
                if (dequantize && f.getFileName().toString().equals(HfConfig.FILE)) {
                    text = text.replaceAll("(?s)\"quantization_config\": \\{.*?\\},", "");
                }
                Files.writeString(out.resolve(f.getFileName()), text);
            }
        }
        HfConfig hf = HfConfig.read(fp8);
        int count = 0;
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsCheckpoint c = SafetensorsCheckpoint.open(fp8)) {
            Map<String, SafetensorsCheckpoint.Located> byName = new TreeMap<>(c.tensors());
            for (SafetensorsCheckpoint.Located t : byName.values()) {
                String name = t.tensor().name();
                long[] shape = t.tensor().shape();
                MemorySegment data = t.data();
                GgmlType type = t.tensor().type();
                boolean isScale = name.endsWith("_scale_inv");
                if (isScale || type == GgmlType.F8_E4M3) {
                    count += isScale ? 0 : 1;
                    if (!dequantize) {
                        w.copy(name, type, shape, data);
                        continue;
                    }
                    if (isScale) {
                        continue;
                    }
                } else {
                    float[] all = new float[(int) t.tensor().numElements()];
                    GgmlCodec.decode(type, data, 0, all, 0, all.length);
                    if (shape.length == 1) {
                        w.vector(name, GgmlType.F32, (int) shape[0], (row, dst) -> System.arraycopy(all, 0, dst, 0, dst.length));
                    } else {
                        int cols = (int) shape[1];
                        w.matrix(name, GgmlType.F32, (int) shape[0], cols,
                                (row, dst) -> System.arraycopy(all, (int) row * cols, dst, 0, cols));
                    }
                    continue;
                }
                MemorySegment scales = c.find(SafetensorsWeightSource.scaleName(name)).data();
                int rows = (int) shape[0];
                int cols = (int) shape[1];
                int scaleCols = (cols + hf.fp8BlockCols() - 1) / hf.fp8BlockCols();
                float[] values = new float[cols];
                w.matrix(name, GgmlType.F32, rows, cols, (row, dst) -> {
                    GgmlCodec.decode(GgmlType.F8_E4M3, data, row * cols, values, 0, cols);
                    for (int col = 0; col < cols; col++) {
                        float s = scales.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED,
                                (row / hf.fp8BlockRows()) * scaleCols + col / hf.fp8BlockCols());
                        dst[col] = values[col] * s;
                    }
                });
            }
            w.write(out, 1);
        }
        return count;
    }
}
