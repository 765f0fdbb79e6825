package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link VectorOps#matmul} is batch-invariant: a token's output row is bit-identical whether the token
 * is multiplied alone, in a batch of any size, at any place in it, and with any thread count. This is
 * what lets a sequence produce the same greedy output alone or batched with others. Exact equality of
 * the float bits, no tolerance.
 */
class MatmulBatchInvarianceTest {
    private static final int NUM_ROWS = 16; // activation rows: one per token
    private static final VectorOps ONE_THREAD = new VectorOps(1);
    private static final VectorOps TWO_THREADS = new VectorOps(2);

    @AfterAll
    static void closePools() {
        ONE_THREAD.close();
        TWO_THREADS.close();
    }

    static Stream<Arguments> shapes() {
        List<Arguments> shapes = new ArrayList<>();
        for (GgmlType type : GgmlType.values()) {
            // F8_E4M3 in 128 x 128 blocks: 300 columns end in a partial block whose last columns are
            // past the last whole vector.
            int[] colsList = type == GgmlType.F8_E4M3 ? new int[] {64, 300, 1024} : new int[] {64, 96, 1024};
            for (int cols : colsList) {
                if (cols == 96 && type != GgmlType.F32 && type != GgmlType.F16) {
                    continue;
                }
                for (int rows : new int[] {1, 7, 300}) {
                    shapes.add(Arguments.of(type, rows, cols));
                }
            }
        }
        return shapes.stream();
    }

    @ParameterizedTest(name = "{0} {1}x{2}")
    @MethodSource("shapes")
    void tokenResultDoesNotDependOnTheBatch(GgmlType type, int rows, int cols) {
        Random rnd = new Random(97L * rows + cols + 1000L * type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = VectorOpsTest.randomWeights(arena, type, rows, cols, rnd);
            float[] x = VectorOpsTest.randomActivations(NUM_ROWS * cols, rnd); // (NUM_ROWS, cols)
            float[][] alone = new float[NUM_ROWS][];
            for (int a = 0; a < NUM_ROWS; a++) {
                alone[a] = matmul(ONE_THREAD, w, x, new int[] {a});
            }
            int[] all = IntStream.range(0, NUM_ROWS).toArray();
            int[] reversed = IntStream.range(0, NUM_ROWS).map(i -> NUM_ROWS - 1 - i).toArray();
            int[] shuffled = shuffled(all, rnd);
            // Several times over, so that cols = 1024 spans more than one activation tile (32 tokens).
            int[] repeated = shuffled(IntStream.range(0, 45).map(i -> i % NUM_ROWS).toArray(), rnd);
            int[][] batches = {
                all, reversed, shuffled, repeated,
                IntStream.rangeClosed(3, 10).toArray(), // 8 tokens
                {12, 5, 9}, // a partial register tile
                {7, 7}, // a token twice
                {11},
            };
            for (int threads = 1; threads <= 2; threads++) {
                VectorOps ops = threads == 1 ? ONE_THREAD : TWO_THREADS;
                for (int[] batch : batches) {
                    float[] out = matmul(ops, w, x, batch);
                    for (int t = 0; t < batch.length; t++) {
                        assertBitsEqual(alone[batch[t]], out, t * rows, rows, type + " " + rows + "x" + cols + ", "
                                + threads + " thread(s): activation row " + batch[t] + " at place " + t + " of "
                                + batch.length + " tokens");
                    }
                }
            }
        }
    }

    /**
     * A call's result does not change once C2 has compiled the kernels: JDK 25's {@code reduceLanes(ADD)}
     * sums in another order compiled than interpreted, which is why the kernels use {@link LaneSums}. In
     * a fresh JVM the first calls here run interpreted; in any case the bits must never change.
     */
    @ParameterizedTest
    @MethodSource("io.moeoperator.engine.kernel.VectorOpsTest#allTypes")
    void resultDoesNotChangeAsTheKernelsGetCompiled(GgmlType type) {
        Random rnd = new Random(3 + type.ordinal());
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix w = VectorOpsTest.randomWeights(arena, type, 12, 288, rnd);
            float[] x = VectorOpsTest.randomActivations(5 * 288, rnd); // (5, 288)
            int[] one = {2};
            int[] five = {0, 1, 2, 3, 4};
            float[] firstOne = matmul(ONE_THREAD, w, x, one);
            float[] firstFive = matmul(ONE_THREAD, w, x, five);
            for (int i = 0; i < 3000; i++) {
                matmul(ONE_THREAD, w, x, one);
                matmul(ONE_THREAD, w, x, five);
            }
            assertBitsEqual(firstOne, matmul(ONE_THREAD, w, x, one), 0, firstOne.length, type + ", 1 token, warm");
            assertBitsEqual(firstFive, matmul(ONE_THREAD, w, x, five), 0, firstFive.length, type + ", 5 tokens, warm");
            assertBitsEqual(firstOne, firstFive, 2 * w.rows(), w.rows(), type + ", 1 token cold against 5 tokens");
        }
    }

    /** The lane sum is the halving order, exactly, interpreted and compiled. */
    @ParameterizedTest
    @ValueSource(ints = {1, 5000})
    void laneSumsHalveInOrder(int calls) {
        Random rnd = new Random(calls);
        int n = FloatVector.SPECIES_PREFERRED.length();
        float[] v = new float[n];
        for (int c = 0; c < calls; c++) {
            for (int i = 0; i < n; i++) {
                v[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(8)));
            }
            float[] h = v.clone();
            for (int half = n / 2; half > 0; half /= 2) {
                for (int i = 0; i < half; i++) {
                    h[i] = h[i] + h[i + half];
                }
            }
            float actual = LaneSums.sum(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, v, 0));
            if (Float.floatToRawIntBits(h[0]) != Float.floatToRawIntBits(actual)) {
                fail("call " + c + ": lanes " + Arrays.toString(v) + " sum to " + actual + ", halving gives " + h[0]);
            }
        }
    }

    /**
     * Both quant paths widen F16 weight scales the same way, bit for bit, for every half, infinities
     * and NaNs included (the one-token path in vectors, the many-token path one by one).
     */
    @Test
    void quantScalesWidenTheSameOnBothPaths() {
        AllHalves.forEach(FloatRowDots::halfToFloat, (half, widened) -> {
            if (Float.floatToRawIntBits(QuantRowDots.halfToFloat(half)) != Float.floatToRawIntBits(widened)) {
                fail("half 0x" + Integer.toHexString(half & 0xffff) + ": " + QuantRowDots.halfToFloat(half)
                        + " one by one, " + widened + " in vectors");
            }
        });
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

    private static int[] shuffled(int[] ids, Random rnd) {
        int[] s = ids.clone();
        for (int i = s.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = s[i];
            s[i] = s[j];
            s[j] = tmp;
        }
        return s;
    }

    private static void assertBitsEqual(float[] expected, float[] actual, int actualOff, int n, String what) {
        for (int o = 0; o < n; o++) {
            float e = expected[o];
            float a = actual[actualOff + o];
            if (Float.floatToRawIntBits(e) != Float.floatToRawIntBits(a)) {
                fail(what + ": output " + o + " is " + a + " batched but " + e + " alone (difference "
                        + (a - e) + ")");
            }
        }
    }
}
