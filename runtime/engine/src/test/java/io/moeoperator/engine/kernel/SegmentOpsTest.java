package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The ops that read the native latent cache ({@code dot} and {@code axpy} with a segment operand):
 * {@link VectorOps} against {@link ScalarOps}, and each implementation's segment form against its own
 * array form, which must agree bit for bit (attention results do not change with where the cache lives).
 */
class SegmentOpsTest {
    /** As VectorOpsElementwiseTest's dot: F32 lanes against the reference's double sum, relative to sum |a_i b_i|. */
    private static final double REDUCTION_REL_TOL = 1e-5;
    /** Around the vector width (up to 16 lanes), both chains, and the cache's row lengths (kvLora 512, qkRope 64). */
    private static final int[] LENGTHS = {1, 7, 15, 16, 17, 31, 32, 33, 64, 100, 512, 4099};

    private static final VectorOps OPS = new VectorOps(2);
    private static final ScalarOps REF = new ScalarOps();

    @AfterAll
    static void closePool() {
        OPS.close();
    }

    @Test
    void vectorDotOverASegmentMatchesTheReference() {
        Random rnd = new Random(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : LENGTHS) {
                float[] a = random(n + 3, rnd);
                float[] b = random(n + 5, rnd);
                MemorySegment seg = copyOf(arena, b);
                double condition = 0;
                for (int i = 0; i < n; i++) {
                    condition += Math.abs((double) a[3 + i] * b[5 + i]);
                }
                double diff = Math.abs((double) REF.dot(a, 3, seg, 5, n) - OPS.dot(a, 3, seg, 5, n));
                if (!(diff <= REDUCTION_REL_TOL * condition)) {
                    throw new AssertionError("dot n=" + n + ": |diff| " + diff + " > " + REDUCTION_REL_TOL + " * " + condition);
                }
            }
        }
    }

    @Test
    void dotOverASegmentEqualsDotOverTheSameArray() {
        Random rnd = new Random(12);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : LENGTHS) {
                float[] a = random(n + 1, rnd);
                float[] b = random(n + 2, rnd);
                MemorySegment seg = copyOf(arena, b);
                for (TensorOps ops : new TensorOps[] {OPS, REF}) {
                    assertEquals(Float.floatToRawIntBits(ops.dot(a, 1, b, 2, n)), Float.floatToRawIntBits(ops.dot(a, 1, seg, 2, n)),
                            ops.getClass().getSimpleName() + " dot n=" + n);
                }
            }
        }
    }

    /** Multiply then add in both, as with arrays: identical results, and identical to the array form. */
    @Test
    void axpyFromASegmentEqualsTheReferenceAndTheArrayForm() {
        Random rnd = new Random(13);
        try (Arena arena = Arena.ofConfined()) {
            for (int n : LENGTHS) {
                float[] x = random(n + 2, rnd);
                float[] y = random(n + 3, rnd);
                MemorySegment seg = copyOf(arena, x);
                float[] reference = y.clone();
                float[] vector = y.clone();
                float[] vectorFromArray = y.clone();
                REF.axpy(-0.61f, seg, 2, reference, 3, n);
                OPS.axpy(-0.61f, seg, 2, vector, 3, n);
                OPS.axpy(-0.61f, x, 2, vectorFromArray, 3, n);
                assertArrayEquals(reference, vector, "axpy n=" + n);
                assertArrayEquals(vectorFromArray, vector, "axpy n=" + n + ": segment vs array form");
            }
        }
    }

    /** A shared segment read from the pool's threads, as attention heads read the paged cache. */
    @Test
    void segmentsOfASharedArenaAreReadableFromEveryThread() {
        Random rnd = new Random(14);
        float[] a = random(576, rnd);
        float[] b = random(576 * 8, rnd);
        float[] expected = new float[8];
        float[] actual = new float[8];
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = copyOf(arena, b);
            for (int r = 0; r < 8; r++) {
                expected[r] = OPS.dot(a, 0, b, r * 576, 576);
            }
            OPS.forEach(8, r -> actual[r] = OPS.dot(a, 0, seg, (long) r * 576, 576));
        }
        assertArrayEquals(expected, actual);
    }

    private static MemorySegment copyOf(Arena arena, float[] values) {
        MemorySegment seg = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT, 0, values.length);
        return seg;
    }

    private static float[] random(int n, Random rnd) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
