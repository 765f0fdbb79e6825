package io.moeoperator.engine.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

/**
 * {@link FloatExp}: its vector form equals its scalar form lane for lane (the property the kernels'
 * tier independence rests on), its accuracy against exp in double, and its edges.
 */
class FloatExpTest {
    /**
     * Bounds on |FloatExp.exp(x) - e^x| in ulps of the result's binade (2^-149 for subnormal results),
     * e^x from Math.exp in double. FloatExpAccuracy measured 1.9536 (at x = -5.198687) and 1.2881
     * over every float; the dense sweep here must not find more.
     */
    static final double MAX_ULPS_NORMAL = 1.954;
    static final double MAX_ULPS_SUBNORMAL = 1.289;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    /** About a million bit patterns spread over all 2^32 (NaNs, infinities, subnormals included). */
    @Test
    void vectorLanesEqualScalarOverAllFloats() {
        float[] x = new float[1 << 20];
        long bits = Integer.MIN_VALUE;
        for (int i = 0; i < x.length; i++, bits += 4093) { // 4093 * 2^20 just covers 2^32
            x[i] = Float.intBitsToFloat((int) bits);
        }
        assertVectorEqualsScalar(x, "sweep");
        // Shuffled, so lanes that need step 5 share vectors with lanes that do not.
        shuffle(x, new Random(7));
        assertVectorEqualsScalar(x, "shuffled sweep");
    }

    /** Every float around the points where the paths and the edges change. */
    @Test
    void vectorLanesEqualScalarAroundBoundaries() {
        float[] centres = {0f, 87.3f, -87.3f, 88.02f, -88.02f, 88.7228f, -103.97f, 133.1f, -133.1f, 1e-30f, -1e-30f};
        float[] x = new float[centres.length * 2 * 4096 * L];
        int i = 0;
        for (float c : centres) {
            for (int d = -4096 * L; d < 4096 * L; d++) {
                x[i++] = Float.intBitsToFloat(Float.floatToRawIntBits(c) + d);
            }
        }
        assertVectorEqualsScalar(x, "boundaries");
    }

    @Test
    void accurateWithinStatedUlps() {
        // Every 127th float of each sign up to |x| = 110: wider than the range with finite nonzero results.
        double worstNormal = 0;
        double worstSubnormal = 0;
        float worstNormalAt = Float.NaN;
        for (int b = 1; b <= Float.floatToRawIntBits(110f); b += 127) {
            for (float x : new float[] {Float.intBitsToFloat(b), -Float.intBitsToFloat(b)}) {
                double exact = Math.exp(x);
                double ulps = ulpError(FloatExp.exp(x), exact);
                if (exact < Float.MIN_NORMAL) {
                    worstSubnormal = Math.max(worstSubnormal, ulps);
                } else if (ulps > worstNormal) {
                    worstNormal = ulps;
                    worstNormalAt = x;
                }
            }
        }
        System.out.printf("FloatExp dense sweep: max %.3f ulp (at %s), subnormal results %.3f ulp%n",
                worstNormal, worstNormalAt, worstSubnormal);
        assertTrue(worstNormal <= MAX_ULPS_NORMAL, "max error " + worstNormal + " ulp at x = " + worstNormalAt);
        assertTrue(worstSubnormal <= MAX_ULPS_SUBNORMAL, "max error on subnormal results " + worstSubnormal + " ulp");
    }

    @Test
    void edges() {
        assertBits(1f, 0f);
        assertBits(1f, -0f);
        assertBits(1f, Float.MIN_VALUE);
        assertBits(Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY);
        assertBits(0f, Float.NEGATIVE_INFINITY); // softmax over masked scores
        assertBits(Float.NaN, Float.NaN);
        assertBits(Float.POSITIVE_INFINITY, 88.8f);
        assertBits(Float.POSITIVE_INFINITY, 1e30f);
        assertBits(Float.POSITIVE_INFINITY, Float.MAX_VALUE);
        assertBits(0f, -104f);
        assertBits(0f, -1e30f);
        assertBits(0f, -Float.MAX_VALUE);
        float nearMax = FloatExp.exp(88.72f); // e^88.72 = 3.39e38, just below Float.MAX_VALUE
        assertTrue(nearMax > 3.3e38f && nearMax < Float.POSITIVE_INFINITY, "exp(88.72) = " + nearMax);
        float subnormal = FloatExp.exp(-100f); // 3.72e-44, 26.6 times the smallest subnormal
        assertTrue(Math.abs(subnormal - Math.exp(-100)) <= Float.MIN_VALUE, "exp(-100) = " + subnormal);
        assertEquals((float) Math.E, FloatExp.exp(1f), Math.ulp((float) Math.E));
    }

    private static void assertBits(float expected, float x) {
        float[] lanes = new float[L];
        java.util.Arrays.fill(lanes, x);
        float vector = FloatExp.exp(FloatVector.fromArray(F, lanes, 0)).lane(L - 1);
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(FloatExp.exp(x)), "exp(" + x + ") scalar");
        assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(vector), "exp(" + x + ") vector");
    }

    /** |actual - exact| in units of the spacing of floats in exact's binade (2^-149 below the normal range). */
    static double ulpError(float actual, double exact) {
        if (Double.isInfinite(exact) || exact > Float.MAX_VALUE) {
            // Past the largest float the right answer is +Inf; a finite result is a huge error.
            return actual == Float.POSITIVE_INFINITY ? 0 : Double.POSITIVE_INFINITY;
        }
        float binade = (float) exact;
        if (binade > exact) {
            binade = Math.nextDown(binade);
        }
        return Math.abs(actual - exact) / Math.ulp(binade);
    }

    private static void assertVectorEqualsScalar(float[] x, String what) {
        float[] out = new float[x.length];
        int i = 0;
        for (; i <= x.length - L; i += L) {
            FloatExp.exp(FloatVector.fromArray(F, x, i)).intoArray(out, i);
        }
        for (; i < x.length; i++) {
            out[i] = FloatExp.exp(x[i]);
        }
        for (int j = 0; j < x.length; j++) {
            float scalar = FloatExp.exp(x[j]);
            if (Float.floatToIntBits(out[j]) != Float.floatToIntBits(scalar)) {
                throw new AssertionError(what + ": exp(" + x[j] + ") is " + out[j] + " in lane " + (j % L)
                        + " of a vector, " + scalar + " by the scalar form");
            }
        }
    }

    private static void shuffle(float[] x, Random rnd) {
        for (int i = x.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            float t = x[i];
            x[i] = x[j];
            x[j] = t;
        }
    }
}
