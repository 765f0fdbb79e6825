package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The non-matmul ops of {@link VectorOps} against {@link ScalarOps}, at lengths around the vector width. */
class VectorOpsElementwiseTest {
    /**
     * Reductions (rmsNorm's sum of squares, dot, softmax's sum) accumulate in F32 lanes where the
     * reference uses double: up to n/16 terms per lane, a few ulps of the sum in practice.
     * rmsNorm and dot compare relative to the largest |value| (dot: to sum |a_i b_i|, its condition).
     */
    private static final double REDUCTION_REL_TOL = 1e-5;
    /**
     * Per-element relative error of silu: FloatExp is within 1.954 ulp (2.33e-7 relative at worst),
     * damped by e/(1+e) in the add; then the add, the divide and the multiply each round (0.5 ulp each),
     * against a reference rounded once from double: at most 4.7e-7.
     */
    private static final double SILU_REL_TOL = 1e-6;
    /**
     * Absolute slack for tiny results: F32 exp overflows below -88.7, where silu's true value has
     * magnitude below 1e-36 and the vector result is -0; subnormal softmax entries carry no relative precision.
     */
    private static final double TINY_ABS_TOL = 1e-30;

    private static final int[] LENGTHS = {1, 7, 15, 16, 17, 33, 100, 1024, 4099};
    private static final int L = FloatVector.SPECIES_PREFERRED.length();
    /** Well past C2's compile thresholds (about 10^4 calls with tiered compilation). */
    private static final int TIER_CALLS = 30_000;
    private static final VectorOps OPS = new VectorOps(2);
    private static final ScalarOps REF = new ScalarOps();

    @AfterAll
    static void closePool() {
        OPS.close();
    }

    @Test
    void rmsNormMatchesScalar() {
        Random rnd = new Random(1);
        for (int n : LENGTHS) {
            float[] x = random(n + 3, rnd, 3f);
            float[] weight = random(n, rnd, 1f);
            float[] expected = new float[n + 5];
            float[] actual = new float[n + 5];
            REF.rmsNorm(x, 3, weight, 1e-6f, expected, 5, n);
            OPS.rmsNorm(x, 3, weight, 1e-6f, actual, 5, n);
            VectorOpsTest.assertRelClose(expected, actual, REDUCTION_REL_TOL, "rmsNorm n=" + n);
        }
    }

    @Test
    void softmaxMatchesScalar() {
        Random rnd = new Random(2);
        for (int n : LENGTHS) {
            float[] x = random(n + 2, rnd, 10f);
            x[2 + n / 2] = 60f; // pushes other entries towards e^-70
            float[] expected = x.clone();
            float[] actual = x.clone();
            REF.softmax(expected, 2, n);
            OPS.softmax(actual, 2, n);
            assertElementsClose(expected, actual, REDUCTION_REL_TOL, "softmax n=" + n);
        }
    }

    @Test
    void swigluMatchesScalar() {
        Random rnd = new Random(3);
        for (int n : LENGTHS) {
            float[] gate = random(n, rnd, 8f);
            float[] extremes = {-100f, -89f, -88f, 88f, 100f, 0f, -0f, 1e-30f, -1e-30f, 20f, -20f};
            System.arraycopy(extremes, 0, gate, 0, Math.min(n, extremes.length));
            float[] up = random(n, rnd, 1f);
            float[] expected = gate.clone();
            float[] actual = gate.clone();
            REF.swiglu(expected, up, n);
            OPS.swiglu(actual, up, n);
            assertElementsClose(expected, actual, SILU_REL_TOL, "swiglu n=" + n);
        }
    }

    /**
     * A value's softmax must not depend on whether it fell in the vector body or the scalar tail: the
     * tail repeats the body's values, so within one call (one max, one sum) their outputs must be equal
     * bit for bit. Many calls, so that the loop is run interpreted and then compiled: an exp whose
     * result depends on the tier (lanewise EXP under C2) differs from the tail's only once compiled.
     */
    @Test
    void softmaxTailEqualsBody() {
        Random rnd = new Random(8);
        int n = 2 * L - 1;
        float[] x = new float[n];
        for (int call = 0; call < TIER_CALLS; call++) {
            for (int i = 0; i < L; i++) {
                x[i] = (float) rnd.nextGaussian() * 6f;
            }
            System.arraycopy(x, 0, x, L, L - 1);
            float[] in = x.clone();
            OPS.softmax(x, 0, n);
            assertTailEqualsBody(in, x, "softmax, call " + call);
        }
    }

    /** As {@link #softmaxTailEqualsBody()}, for silu(gate) * up. */
    @Test
    void swigluTailEqualsBody() {
        Random rnd = new Random(9);
        int n = 2 * L - 1;
        float[] gate = new float[n];
        float[] up = new float[n];
        for (int call = 0; call < TIER_CALLS; call++) {
            for (int i = 0; i < L; i++) {
                gate[i] = (float) rnd.nextGaussian() * (call % 2 == 0 ? 4f : 40f);
                up[i] = (float) rnd.nextGaussian();
            }
            System.arraycopy(gate, 0, gate, L, L - 1);
            System.arraycopy(up, 0, up, L, L - 1);
            float[] in = gate.clone();
            OPS.swiglu(gate, up, n);
            assertTailEqualsBody(in, gate, "swiglu, call " + call);
        }
    }

    private static void assertTailEqualsBody(float[] in, float[] out, String what) {
        for (int i = 0; i < L - 1; i++) {
            if (Float.floatToIntBits(out[i]) != Float.floatToIntBits(out[L + i])) {
                throw new AssertionError(what + ": input " + in[i] + " gave " + out[i] + " in vector lane " + i
                        + " but " + out[L + i] + " in the scalar tail");
            }
        }
    }

    @Test
    void dotMatchesScalar() {
        Random rnd = new Random(4);
        for (int n : LENGTHS) {
            float[] a = random(n + 1, rnd, 1f);
            float[] b = random(n + 4, rnd, 1f);
            double condition = 0;
            for (int i = 0; i < n; i++) {
                condition += Math.abs((double) a[1 + i] * b[4 + i]);
            }
            double diff = Math.abs((double) REF.dot(a, 1, b, 4, n) - OPS.dot(a, 1, b, 4, n));
            if (!(diff <= REDUCTION_REL_TOL * condition)) {
                throw new AssertionError("dot n=" + n + ": |diff| " + diff + " > " + REDUCTION_REL_TOL + " * " + condition);
            }
        }
    }

    /** Multiply then add, as the reference does: identical results. */
    @Test
    void axpyEqualsScalar() {
        Random rnd = new Random(5);
        for (int n : LENGTHS) {
            float[] x = random(n + 2, rnd, 1f);
            float[] y = random(n + 3, rnd, 1f);
            float[] expected = y.clone();
            float[] actual = y.clone();
            REF.axpy(0.37f, x, 2, expected, 3, n);
            OPS.axpy(0.37f, x, 2, actual, 3, n);
            assertArrayEquals(expected, actual, "axpy n=" + n);
        }
    }

    @Test
    void ropeEqualsScalar() {
        Random rnd = new Random(6);
        for (int pairs : new int[] {1, 16, 32, 64}) {
            float[] x = random(2 * pairs + 8, rnd, 2f);
            float[] cos = new float[pairs];
            float[] sin = new float[pairs];
            for (int p = 0; p < pairs; p++) {
                double angle = rnd.nextDouble() * 2 * Math.PI;
                cos[p] = (float) Math.cos(angle);
                sin[p] = (float) Math.sin(angle);
            }
            float[] expected = x.clone();
            float[] actual = x.clone();
            REF.rope(expected, 8, cos, sin);
            OPS.rope(actual, 8, cos, sin);
            assertArrayEquals(expected, actual, "rope pairs=" + pairs);
        }
    }

    /** Scores from a small set of values, so ties are common and their order (lower index first) is tested. */
    @ParameterizedTest
    @ValueSource(ints = {1, 8, 64, 256})
    void topKEqualsScalar(int n) {
        Random rnd = new Random(n);
        for (int k : new int[] {0, 1, 2, 6, 8, n}) {
            if (k > n) {
                continue;
            }
            for (int trial = 0; trial < 20; trial++) {
                float[] scores = new float[n + 3];
                for (int i = 0; i < scores.length; i++) {
                    scores[i] = rnd.nextInt(trial % 2 == 0 ? 5 : 1000) - 2.5f;
                }
                int[] expected = new int[k + 1];
                int[] actual = new int[k + 1];
                REF.topK(scores, 3, n, k, expected, 1);
                OPS.topK(scores, 3, n, k, actual, 1);
                assertArrayEquals(expected, actual, () -> "topK n=" + n + " k=" + k + " of " + Arrays.toString(scores));
            }
        }
    }

    @Test
    void topKRanksNaNBelowEveryNumber() {
        float[] scores = {Float.NaN, 1f, Float.NaN, -5f, 3f};
        int[] idx = new int[4];
        OPS.topK(scores, 0, 5, 4, idx, 0);
        assertArrayEquals(new int[] {4, 1, 3, 0}, idx);
    }

    @Test
    void topKRejectsKLargerThanN() {
        assertThrows(IllegalArgumentException.class, () -> OPS.topK(new float[4], 0, 4, 5, new int[5], 0));
    }

    private static float[] random(int n, Random rnd, float scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian() * scale;
        }
        return x;
    }

    private static void assertElementsClose(float[] expected, float[] actual, double relTol, String what) {
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) expected[i] - actual[i]);
            if (!(diff <= relTol * Math.abs(expected[i]) + TINY_ABS_TOL)) {
                throw new AssertionError(what + ": element " + i + " expected " + expected[i] + ", got " + actual[i]
                        + " (relative " + diff / Math.abs(expected[i]) + " > " + relTol + ")");
            }
        }
    }
}
