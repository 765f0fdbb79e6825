package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Matmul of every weight type against {@link ScalarOps}, and the pieces its exactness rests on. The
 * kernels take different paths per vector width; to run these at 128 and 256 bits on an AVX-512
 * machine: {@code -Dvector.jvm.args="--add-modules jdk.incubator.vector -XX:MaxVectorSize=16"} (or 32).
 */
class VectorOpsTest {
    /**
     * max|vector - scalar| / max|scalar| per matmul. Both see identical rounded activations and
     * weights (quant dot products are exact integers), so what differs is the summation: F32 vector
     * lanes against the reference's double sum, and for Q8_0/Q4_0 one F32 product d_w*d_x per block
     * against two rounded dequantized values, for F8_E4M3 one F32 product of each block's sum with its
     * scale against exact products. Each is a few F32 ulps of the largest partial sums.
     */
    static final double MATMUL_REL_TOL = 1e-5;

    /** Three threads on a two-core machine: chunks get claimed by whichever thread is running. */
    private static final VectorOps OPS = new VectorOps(3);
    private static final ScalarOps REF = new ScalarOps();

    @AfterAll
    static void closePool() {
        OPS.close();
    }

    static Stream<Arguments> matmulShapes() {
        List<Arguments> shapes = new ArrayList<>();
        for (GgmlType type : GgmlType.values()) {
            for (int cols : new int[] {32, 64, 96, 100, 1024, 2048}) {
                if (cols % type.blockSize() != 0) {
                    continue;
                }
                for (int rows : new int[] {1, 7, 64, 300}) {
                    for (int numTokens : new int[] {1, 3, 16}) {
                        shapes.add(Arguments.of(type, rows, cols, numTokens));
                    }
                }
            }
        }
        return shapes.stream();
    }

    @ParameterizedTest(name = "{0} {1}x{2}, {3} tokens")
    @MethodSource("matmulShapes")
    void matmulMatchesScalar(GgmlType type, int rows, int cols, int numTokens) {
        Random rnd = new Random(31L * rows + 17L * cols + numTokens + type.ordinal());
        // Shared: the pool's threads read the weights (a model file is mapped the same way).
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = randomWeights(arena, type, rows, cols, rnd);
            float[] x = randomActivations(numTokens * cols, rnd);
            float[] expected = new float[numTokens * rows];
            float[] actual = new float[numTokens * rows];
            REF.matmul(w, x, expected, numTokens);
            OPS.matmul(w, x, actual, numTokens);
            assertRelClose(expected, actual, MATMUL_REL_TOL, type + " matmul");
        }
    }

    /** Enough tokens for several activation tiles, with a partial last tile and a 4x4 tile remainder. */
    @ParameterizedTest
    @MethodSource("allTypes")
    void matmulOverSeveralTokenTiles(GgmlType type) {
        Random rnd = new Random(7);
        int rows = 37;
        int cols = 4096;
        int numTokens = 43;
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = randomWeights(arena, type, rows, cols, rnd);
            float[] x = randomActivations(numTokens * cols, rnd);
            float[] expected = new float[numTokens * rows];
            float[] actual = new float[numTokens * rows];
            REF.matmul(w, x, expected, numTokens);
            OPS.matmul(w, x, actual, numTokens);
            assertRelClose(expected, actual, MATMUL_REL_TOL, type + " matmul of " + numTokens + " tokens");
        }
    }

    /** A Hugging Face checkpoint's F16/BF16 weights multiply the activations unrounded, in every path. */
    @ParameterizedTest(name = "{0}, {1} tokens")
    @CsvSource({"F16, 1", "F16, 16", "F16, 43", "BF16, 1", "BF16, 16", "BF16, 43"})
    void unroundedActivationsMatchScalar(GgmlType type, int numTokens) {
        Random rnd = new Random(11);
        int rows = 37;
        int cols = 1024;
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix ggml = randomWeights(arena, type, rows, cols, rnd);
            WeightMatrix w = new WeightMatrix(ggml.name(), type, rows, cols, ggml.data(), null, ActivationRounding.NONE);
            float[] widened = new float[rows * cols];
            GgmlCodec.decode(type, w.data(), 0, widened, 0, widened.length);
            MemorySegment f32 = arena.allocate((long) widened.length * Float.BYTES, 64);
            GgmlCodec.encode(GgmlType.F32, widened, 0, widened.length, f32, 0);
            float[] x = randomActivations(numTokens * cols, rnd);
            float[] expected = new float[numTokens * rows];
            float[] actual = new float[numTokens * rows];
            float[] rounded = new float[numTokens * rows];
            REF.matmul(new WeightMatrix("w.f32", GgmlType.F32, rows, cols, f32), x, expected, numTokens);
            OPS.matmul(w, x, actual, numTokens);
            OPS.matmul(ggml, x, rounded, numTokens);
            assertRelClose(expected, actual, MATMUL_REL_TOL, type + " with unrounded activations");
            float[] scalar = new float[numTokens * rows];
            REF.matmul(w, x, scalar, numTokens);
            assertRelClose(expected, scalar, 1e-6, type + " scalar reference with unrounded activations");
            assertFalse(Arrays.equals(actual, rounded), "ggml's rounding is not applied");
        }
    }

    @Test
    void quantizedWeightsCannotLeaveActivationsUnrounded() {
        MemorySegment data = MemorySegment.ofArray(new byte[(int) GgmlType.Q8_0.bytesFor(32)]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WeightMatrix("blk.0.q", GgmlType.Q8_0, 1, 32, data, null, ActivationRounding.NONE));
        assertTrue(e.getMessage().contains("blk.0.q"), e.getMessage());
    }

    static Stream<GgmlType> allTypes() {
        return Stream.of(GgmlType.values());
    }

    @Test
    void matmulOfZeroTokensWritesNothing() {
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = randomWeights(arena, GgmlType.Q8_0, 4, 32, new Random(1));
            float[] out = {42f};
            OPS.matmul(w, new float[0], out, 0);
            assertEquals(42f, out[0]);
        }
    }

    @Test
    void matmulOfARowSliceReadsOnlyThatSlice() {
        Random rnd = new Random(5);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix stacked = randomWeights(arena, GgmlType.Q4_0, 4 * 96, 256, rnd);
            WeightMatrix expert = stacked.rowSlice("expert2", 2 * 96, 96);
            float[] x = randomActivations(2 * 256, rnd);
            float[] expected = new float[2 * 96];
            float[] actual = new float[2 * 96];
            REF.matmul(expert, x, expected, 2);
            OPS.matmul(expert, x, actual, 2);
            assertRelClose(expected, actual, MATMUL_REL_TOL, "expert slice matmul");
        }
    }

    /** The activation quants must be ggml's, byte for byte: any difference changes every Q8_0/Q4_0 output. */
    @Test
    void activationQuantizationEqualsCodecEncoding() {
        Random rnd = new Random(11);
        float[] x = randomActivations(64 * 32, rnd);
        float[] special = {
            127f, 2.5f, -2.5f, 0.5f, -0.5f, 1.5f, -1.5f, 126.5f, -126.5f, 0f, -0f, 3.4999998f, // ties (to even) at 127/amax = 1
            0.49999997f, -0.49999997f, 0.50000006f, -0.50000006f, // just off a half
        };
        System.arraycopy(special, 0, x, 0, special.length);
        Arrays.fill(x, 32, 64, 0f); // a zero block: d = 0
        for (int j = 64; j < 96; j++) {
            x[j] = (float) (rnd.nextGaussian() * 1e-40); // subnormal inputs: 127/amax overflows to infinity
        }
        x[70] = 0f; // 0 * infinity: NaN, which rounds to 0
        for (int j = 96; j < 128; j++) {
            x[j] = (float) (rnd.nextGaussian() * 6e4); // near the F16 range
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment expected = arena.allocate(GgmlType.Q8_0.bytesFor(x.length));
            GgmlCodec.encodeQ8_0Activations(x, 0, x.length, expected, 0);
            Q8Activations q = Q8Activations.quantize(x, x.length);
            MemorySegment actual = arena.allocate(expected.byteSize());
            for (int b = 0; b < x.length / 32; b++) {
                actual.set(ValueLayout.JAVA_SHORT_UNALIGNED, 34L * b, q.dBits[b]);
                assertEquals(Float.float16ToFloat(q.dBits[b]), q.d[b], "block " + b + " scale");
                for (int j = 0; j < 32; j++) {
                    short v = q.q[32 * b + j];
                    assertEquals((byte) v, v, "quant " + (32 * b + j) + " must fit a byte");
                    actual.set(ValueLayout.JAVA_BYTE, 34L * b + 2 + j, (byte) v);
                }
            }
            assertEquals(-1L, expected.mismatch(actual), "first differing byte of the Q8_0 activation blocks");
        }
    }

    /** The in-register F16 widening, against Float.float16ToFloat for every finite half. */
    @Test
    void halfToFloatIsExactForEveryFiniteHalf() {
        AllHalves.forEach(FloatRowDots::halfToFloat, (half, widened) -> {
            if ((half & 0x7c00) != 0x7c00) { // infinities and NaNs: documented as unsupported
                assertEquals(Float.floatToRawIntBits(Float.float16ToFloat(half)), Float.floatToRawIntBits(widened),
                        () -> "half 0x" + Integer.toHexString(half & 0xffff));
            }
        });
    }

    @Test
    void bf16ToFloatIsExact() {
        AllHalves.forEach(FloatRowDots::bf16ToFloat,
                (bits, widened) -> assertEquals(bits << 16, Float.floatToRawIntBits(widened)));
    }

    /** For F8_E4M3: in DeepSeek-V3's blocks of 128 x 128 (see {@link Fp8MatmulTest} for others). */
    static WeightMatrix randomWeights(Arena arena, GgmlType type, int rows, int cols, Random rnd) {
        if (type == GgmlType.F8_E4M3) {
            return Fp8Weights.random(arena, rows, cols, 128, 128, rnd);
        }
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian() * 0.05f;
        }
        // One byte past an aligned start: mapped tensors (and Q8_0's 34-byte rows) are rarely aligned.
        MemorySegment data = arena.allocate(type.bytesFor(w.length) + 1, 64).asSlice(1);
        GgmlCodec.encode(type, w, 0, w.length, data, 0);
        return new WeightMatrix("w." + type, type, rows, cols, data);
    }

    /** Gaussian with an occasional outlier, like hidden states. */
    static float[] randomActivations(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian() * (rnd.nextInt(50) == 0 ? 20f : 1f);
        }
        return x;
    }

    static void assertRelClose(float[] expected, float[] actual, double relTol, String what) {
        double maxRef = 0;
        double maxDiff = 0;
        int worst = 0;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            double diff = Math.abs((double) expected[i] - actual[i]);
            if (!(diff <= maxDiff)) { // also catches NaN
                maxDiff = diff;
                worst = i;
            }
        }
        double rel = maxDiff / (maxRef + 1e-30);
        if (!(rel <= relTol)) {
            throw new AssertionError(what + ": max |diff| " + maxDiff + " at " + worst + " (expected " + expected[worst]
                    + ", got " + actual[worst] + "), relative " + rel + " > " + relTol);
        }
    }
}
