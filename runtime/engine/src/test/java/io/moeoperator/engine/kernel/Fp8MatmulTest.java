package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.stream.IntStream;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * F8_E4M3 matmul (block-scaled FP8 weights, F32 activations) of {@link VectorOps} against
 * {@link ScalarOps}, beyond what {@link VectorOpsTest} and {@link MatmulBatchInvarianceTest} run for
 * every type: edge blocks, block shapes other than DeepSeek's 128 x 128, exact sums, NaN and the
 * largest codes, experts sliced from a stacked matrix.
 *
 * <p>Tolerance: {@link VectorOpsTest#MATMUL_REL_TOL} (1e-5 of the largest output). Both kernels see
 * the same FP8 values and scales and the same unrounded activations; the reference's products are exact
 * and it sums in double, so the difference is the vector kernel's F32 sums (block sums, then each
 * times its scale into the accumulator, then the lanes), a few F32 ulps of the largest partial sums.
 */
class Fp8MatmulTest {
    private static final VectorOps OPS = new VectorOps(3);
    private static final VectorOps ONE_THREAD = new VectorOps(1);
    private static final VectorOps TWO_THREADS = new VectorOps(2);
    private static final ScalarOps REF = new ScalarOps();

    @AfterAll
    static void closePools() {
        OPS.close();
        ONE_THREAD.close();
        TWO_THREADS.close();
    }

    /**
     * 128 x 128 blocks with partial edge blocks (200 x 300: rows 128 + 72, columns 128 + 128 + 44, the 44
     * past the last whole vector but for 4-lane vectors); blocks whose width is no multiple of the vector
     * (48, 20: every block leaves columns over); one scale per weight (1 x 1).
     */
    @ParameterizedTest(name = "{0}x{1} in {2}x{3} blocks, {4} tokens")
    @CsvSource({
        "200, 300, 128, 128, 1", "200, 300, 128, 128, 3", "200, 300, 128, 128, 4", "200, 300, 128, 128, 5",
        "200, 300, 128, 128, 16", "129, 128, 128, 128, 1", "129, 128, 128, 128, 16", "64, 2048, 128, 128, 1",
        "64, 2048, 128, 128, 16", "37, 4096, 128, 128, 43", "7, 100, 32, 48, 1", "7, 100, 32, 48, 9",
        "9, 100, 3, 20, 1", "9, 100, 3, 20, 6", "5, 17, 1, 1, 1", "5, 17, 1, 1, 4", "1, 8, 128, 128, 2",
    })
    void matchesScalar(int rows, int cols, int blockRows, int blockCols, int numTokens) {
        Random rnd = new Random(31L * rows + 17L * cols + 7L * blockCols + numTokens);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = Fp8Weights.random(arena, rows, cols, blockRows, blockCols, rnd);
            float[] x = VectorOpsTest.randomActivations(numTokens * cols, rnd); // (numTokens, cols)
            float[] expected = new float[numTokens * rows];
            float[] actual = new float[numTokens * rows];
            REF.matmul(w, x, expected, numTokens);
            OPS.matmul(w, x, actual, numTokens);
            VectorOpsTest.assertRelClose(expected, actual, VectorOpsTest.MATMUL_REL_TOL, w.name() + " " + rows + "x" + cols);
        }
    }

    /**
     * A token's result is the same bits alone (the one-token kernel) and at any place in a batch (the
     * tiles: 4x4, the leftover tokens, the leftover rows), with one or two threads, for every block shape.
     * {@link MatmulBatchInvarianceTest} covers 128 x 128 blocks.
     */
    @ParameterizedTest(name = "blocks {0}")
    @ValueSource(strings = {"128x128", "32x48", "3x20", "1x1"})
    void batchInvariantForAnyBlockShape(String blocks) {
        int blockRows = Integer.parseInt(blocks.split("x")[0]);
        int blockCols = Integer.parseInt(blocks.split("x")[1]);
        int rows = 23; // 5 tiles of 4 and 3 rows over
        int cols = 300;
        int numTokens = 9; // 2 tiles of 4 and 1 token over
        Random rnd = new Random(blockRows * 1000L + blockCols);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = Fp8Weights.random(arena, rows, cols, blockRows, blockCols, rnd);
            float[] x = VectorOpsTest.randomActivations(numTokens * cols, rnd); // (numTokens, cols)
            int[] reversed = IntStream.range(0, numTokens).map(i -> numTokens - 1 - i).toArray();
            for (VectorOps ops : new VectorOps[] {ONE_THREAD, TWO_THREADS}) {
                float[] batched = matmul(ops, w, x, reversed);
                for (int t = 0; t < numTokens; t++) {
                    float[] alone = matmul(ONE_THREAD, w, x, new int[] {reversed[t]});
                    assertBitsEqual(alone, 0, batched, t * rows, rows, blocks + ": token " + reversed[t] + " at place " + t);
                }
            }
        }
    }

    /**
     * When every product and partial sum is exact in F32, order does not matter and both kernels must give
     * the reference's bits: values that are multiples of 1/2 up to +-448, power-of-two scales, small integer
     * activations (each product a multiple of 1/8 below 2^12, a row's sum below 2^21).
     */
    @ParameterizedTest(name = "{0} tokens")
    @ValueSource(ints = {1, 16})
    void exactWhenEverySumIsExact(int numTokens) {
        int rows = 200;
        int cols = 300;
        Random rnd = new Random(numTokens);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = arena.allocate((long) rows * cols); // (rows, cols) codes
            for (long i = 0; i < data.byteSize(); i++) {
                float v = rnd.nextInt(8) == 0 ? 448f : rnd.nextInt(33) / 2f; // 0 .. 16 in halves, or the max
                data.set(ValueLayout.JAVA_BYTE, i, GgmlCodec.toF8E4M3(rnd.nextBoolean() ? v : -v));
            }
            MemorySegment scales = arena.allocate(2 * 3 * Float.BYTES); // (2, 3)
            for (int b = 0; b < 6; b++) {
                scales.setAtIndex(ValueLayout.JAVA_FLOAT, b, (float) Math.scalb(1.0, rnd.nextInt(5) - 2));
            }
            WeightMatrix w = new WeightMatrix("exact", GgmlType.F8_E4M3, rows, cols, data, new BlockScales(128, 128, scales));
            float[] x = new float[numTokens * cols]; // (numTokens, cols)
            for (int i = 0; i < x.length; i++) {
                x[i] = rnd.nextInt(5) - 2;
            }
            float[] expected = new float[numTokens * rows];
            float[] actual = new float[numTokens * rows];
            REF.matmul(w, x, expected, numTokens);
            OPS.matmul(w, x, actual, numTokens);
            assertBitsEqual(expected, 0, actual, 0, expected.length, "exact sums, " + numTokens + " tokens");
        }
    }

    /** The extreme codes, each row of one code: the largest (+-448), the smallest subnormal, +-0. */
    @ParameterizedTest(name = "{0} tokens")
    @ValueSource(ints = {1, 5})
    void extremeCodesGiveExactSums(int numTokens) {
        byte[] codes = {0x7e, (byte) 0xfe, 0x01, (byte) 0x81, 0x00, (byte) 0x80, 0x08};
        int cols = 300;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment data = arena.allocate((long) codes.length * cols); // (codes.length, cols)
            for (int r = 0; r < codes.length; r++) {
                data.asSlice((long) r * cols, cols).fill(codes[r]);
            }
            // One block of rows; the middle column block scaled by 2^-8, so 448 there is 1.75.
            MemorySegment scales = arena.allocate(3 * Float.BYTES); // (1, 3)
            scales.setAtIndex(ValueLayout.JAVA_FLOAT, 0, 1f);
            scales.setAtIndex(ValueLayout.JAVA_FLOAT, 1, 0x1p-8f);
            scales.setAtIndex(ValueLayout.JAVA_FLOAT, 2, 1f);
            WeightMatrix w = new WeightMatrix("extremes", GgmlType.F8_E4M3, codes.length, cols, data, new BlockScales(128, 128, scales));
            float[] x = new float[numTokens * cols];
            java.util.Arrays.fill(x, 1f);
            float[] actual = new float[numTokens * codes.length];
            OPS.matmul(w, x, actual, numTokens);
            // Per row: 172 columns at scale 1, 128 at 2^-8.
            float[] expected = {172 * 448f + 128 * 1.75f, -(172 * 448f + 128 * 1.75f), 172 * 0x1p-9f + 128 * 0x1p-17f,
                -(172 * 0x1p-9f + 128 * 0x1p-17f), 0f, 0f, 172 * 0x1p-6f + 128 * 0x1p-14f};
            for (int t = 0; t < numTokens; t++) {
                for (int r = 0; r < codes.length; r++) {
                    assertEquals(expected[r], actual[t * codes.length + r], "code 0x" + Integer.toHexString(codes[r] & 0xff) + ", token " + t);
                }
            }
        }
    }

    /**
     * A NaN code (0x7F, 0xFF) makes every output of its row NaN, as the exact sum is, on both paths and
     * with the same bits ({@link Float#NaN}); the other rows are untouched. The codes sit in a whole vector
     * of the first block, in the middle block, and in the last columns (past the last whole vector).
     */
    @ParameterizedTest(name = "{0} tokens")
    @ValueSource(ints = {1, 6})
    void nanCodeMakesItsRowNaN(int numTokens) {
        int rows = 200;
        int cols = 300;
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = Fp8Weights.random(arena, rows, cols, 128, 128, rnd);
            int[][] nanAt = {{3, 5}, {150, 130}, {7, cols - 1}, {199, 0}}; // (row, column)
            for (int k = 0; k < nanAt.length; k++) {
                w.data().set(ValueLayout.JAVA_BYTE, (long) nanAt[k][0] * cols + nanAt[k][1], k % 2 == 0 ? (byte) 0x7f : (byte) 0xff);
            }
            float[] x = VectorOpsTest.randomActivations(numTokens * cols, rnd);
            float[] expected = new float[numTokens * rows];
            float[] actual = new float[numTokens * rows];
            REF.matmul(w, x, expected, numTokens);
            OPS.matmul(w, x, actual, numTokens);
            for (int[] at : nanAt) {
                for (int t = 0; t < numTokens; t++) {
                    int o = t * rows + at[0];
                    assertTrue(Float.isNaN(expected[o]), "reference, row " + at[0]);
                    assertEquals(Float.floatToRawIntBits(Float.NaN), Float.floatToRawIntBits(actual[o]),
                            "row " + at[0] + " (NaN code at column " + at[1] + "), token " + t + ": " + actual[o]);
                    expected[o] = 0f; // compared above; the rest must match as usual
                    actual[o] = 0f;
                }
            }
            VectorOpsTest.assertRelClose(expected, actual, VectorOpsTest.MATMUL_REL_TOL, "rows without NaN codes");
        }
    }

    /**
     * Experts sliced from a stacked FP8 matrix (three experts of 256, 256 and 200 rows; the last one ends
     * in a partial block of rows) compute exactly the rows of the stacked matmul, and match the reference.
     */
    @ParameterizedTest(name = "{0} tokens")
    @ValueSource(ints = {1, 5})
    void expertSlicesOfAStackedMatrix(int numTokens) {
        int[] expertRows = {256, 256, 200};
        int rows = 712;
        int cols = 300;
        Random rnd = new Random(17 + numTokens);
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix stacked = Fp8Weights.random(arena, rows, cols, 128, 128, rnd);
            float[] x = VectorOpsTest.randomActivations(numTokens * cols, rnd); // (numTokens, cols)
            float[] all = new float[numTokens * rows];
            OPS.matmul(stacked, x, all, numTokens);
            int from = 0;
            for (int e = 0; e < expertRows.length; from += expertRows[e], e++) {
                int count = expertRows[e];
                WeightMatrix expert = stacked.rowSlice("expert" + e, from, count);
                assertEquals((long) ((count + 127) / 128) * 3 * Float.BYTES, expert.scales().data().byteSize(), "expert " + e + " scales");
                float[] expected = new float[numTokens * count];
                float[] actual = new float[numTokens * count];
                REF.matmul(expert, x, expected, numTokens);
                OPS.matmul(expert, x, actual, numTokens);
                VectorOpsTest.assertRelClose(expected, actual, VectorOpsTest.MATMUL_REL_TOL, "expert " + e);
                for (int t = 0; t < numTokens; t++) {
                    assertBitsEqual(all, t * rows + from, actual, t * count, count, "expert " + e + " against the stacked rows, token " + t);
                }
            }
        }
    }

    @Test
    void slicesOffTheBlocksAreRejected() {
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix stacked = Fp8Weights.random(arena, 712, 300, 128, 128, new Random(1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> stacked.rowSlice("e", 100, 128));
            assertTrue(e.getMessage().contains("blocks of 128 rows"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> stacked.rowSlice("e", 256, 100)); // ends mid-block, not at the end
        }
    }

    /** The in-register widening gives every code's exact value, but +-480 for the NaN codes (which the kernels catch apart). */
    @Test
    void widenIsExactForEveryCodeButNaN() {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        for (int c0 = 0; c0 < 256; c0 += lanes) {
            int[] topBytes = new int[lanes];
            for (int j = 0; j < lanes; j++) {
                topBytes[j] = ((c0 + j) << 24) | 0x00ab_cdef; // the lower bytes must not matter
            }
            float[] widened = Fp8RowDots.widen(IntVector.fromArray(Fp8RowDots.I, topBytes, 0)).toArray();
            for (int j = 0; j < lanes; j++) {
                int c = c0 + j;
                float want = (c & 0x7f) == 0x7f ? (c < 0x80 ? 480f : -480f) : GgmlCodec.fromF8E4M3((byte) c);
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(widened[j]), "code 0x" + Integer.toHexString(c));
            }
        }
    }

    /**
     * The many-token path's decode gives the codec's values in the kernels' layout (the row permuted as
     * the activations are), and says whether the row holds a NaN code: rows of every code, with a partial
     * last block whose last columns are decoded one by one.
     */
    @ParameterizedTest(name = "NaN codes: {0}")
    @ValueSource(booleans = {false, true})
    void decodeGivesTheCodecValuesInTheKernelLayout(boolean withNaN) {
        int n = 2 * 256 + 300;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment row = arena.allocate(n);
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                byte code = (byte) (i * 7);
                if (!withNaN && (code & 0x7f) == 0x7f) {
                    code = 0x7e;
                }
                row.set(ValueLayout.JAVA_BYTE, i, code);
                values[i] = (code & 0x7f) == 0x7f ? 0f : GgmlCodec.fromF8E4M3(code); // NaN codes: not compared
            }
            float[] expected = new float[n];
            Fp8RowDots.permute(values, 0, n, 128, expected, 0);
            float[] decoded = new float[n + 3];
            assertEquals(withNaN, RowDecode.f8e4m3(row, 0, n, 128, decoded, 3));
            float[] permutedCodes = new float[n];
            float[] codes = new float[n];
            for (int i = 0; i < n; i++) {
                codes[i] = row.get(ValueLayout.JAVA_BYTE, i) & 0xff;
            }
            Fp8RowDots.permute(codes, 0, n, 128, permutedCodes, 0);
            for (int i = 0; i < n; i++) {
                if (((int) permutedCodes[i] & 0x7f) != 0x7f) {
                    assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(decoded[3 + i]), "place " + i);
                }
            }
        }
    }

    /** {@code ops.matmul} of the activation rows {@code rowIds} of {@code x}, as one batch in that order. */
    private static float[] matmul(VectorOps ops, WeightMatrix w, float[] x, int[] rowIds) {
        int cols = w.cols();
        float[] batch = new float[rowIds.length * cols]; // (rowIds.length, cols)
        for (int t = 0; t < rowIds.length; t++) {
            System.arraycopy(x, rowIds[t] * cols, batch, t * cols, cols);
        }
        float[] out = new float[rowIds.length * w.rows()];
        ops.matmul(w, batch, out, rowIds.length);
        return out;
    }

    private static void assertBitsEqual(float[] expected, int expectedOff, float[] actual, int actualOff, int n, String what) {
        for (int o = 0; o < n; o++) {
            float e = expected[expectedOff + o];
            float a = actual[actualOff + o];
            if (Float.floatToRawIntBits(e) != Float.floatToRawIntBits(a)) {
                fail(what + ": output " + o + " is " + a + ", expected the bits of " + e + " (difference " + (a - e) + ")");
            }
        }
    }
}
