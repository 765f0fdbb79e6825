package io.moeoperator.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * e^x on floats, built only from operations Java specifies to the bit (add, subtract, multiply, fused
 * multiply-add, compares, integer shifts and adds, bit reinterpretation), in a vector form and a scalar
 * form that compute the same function: a lane of {@link #exp(FloatVector)} equals {@link #exp(float)}
 * of that lane, in the interpreter, C1 and C2 alike.
 *
 * <p>Why not {@code lanewise(VectorOperators.EXP)}: its contract is "within 1 ulp", and on JDK 25 it
 * is not one function. C2 compiles it to a vector math-library stub, the interpreter and C1 run
 * {@code Math.exp} per lane, and the two differ by an ulp on some inputs; a softmax or silu changed
 * its result when its caller got compiled, which broke the engine's bit-identical promises (thread
 * count, batch composition, expert-parallel split) at random. {@link LaneSums} is the same fix for
 * {@code reduceLanes(ADD)}.
 *
 * <p>The algorithm is the one llama.cpp's CPU backend uses for the vector parts of its softmax and
 * silu ({@code ggml_v_expf}, adapted there from Arm's optimized-routines), in the form of its AVX2
 * and NEON builds, with the same constants and the same order of roundings, so that a lane here
 * equals a lane of the oracle's:
 * <ol>
 *   <li>n = round(x / ln 2): adding 1.5 * 2^23 in one FMA leaves round-to-nearest(x log2 e) in the low
 *       mantissa bits of z, and z - 1.5 * 2^23 is n as a float (exact while |x log2 e| < 2^22).
 *   <li>r = x - n ln 2 in two FMAs, ln 2 split into a short head and a tail; |r| <= ln 2 / 2.
 *   <li>p = e^r - 1 by a degree-5 minimax polynomial with no constant term, as c1 r + u (c2 + c3 r)
 *       + u^2 (c4 + c5 r), u = r^2 (short dependency chains).
 *   <li>e^x = 2^n + 2^n p in one FMA, 2^n made by shifting z's low bits (n) into the exponent field
 *       and adding the bits of 1.0 (the bias); exact for |n| <= 126.
 *   <li>|n| > 126, where 2^n is no normal float: 2^n = s1 * s2 with both normal, the result rounded
 *       once more when multiplied by s1 (so subnormal results may carry two roundings); |n| > 192 gives
 *       s1 * s1 directly, +Inf or +0.
 * </ol>
 *
 * <p>Edges: x above about 88.72 gives +Inf, below about -103.97 gives +0 (subnormal results in
 * between), +Inf gives +Inf, -Inf gives +0, NaN gives NaN. Only the lanes with |n| > 126 take
 * step 5; the vector form skips it when no lane needs it.
 *
 * <p>Accuracy, measured over all 2^32 floats by {@code FloatExpAccuracy} (test sources) against exp in
 * double: at most 1.954 ulp where the result is a normal float (Arm states 1.45 ulp plus the final
 * rounding), 1.29 ulp of 2^-149 where it is subnormal; the vector form equals the scalar form on every
 * float. Of the 1.0e9 floats whose e^x is a normal float other than 1, 89% are within 0.5 ulp and 11%
 * give another float than {@code (float) Math.exp} (lanewise EXP was within 1 ulp): the price of
 * computing what the oracle computes. The differential tests against {@link ScalarOps} (which keeps
 * {@code Math.exp}) hold their tolerances.
 * Over all 2^32 floats, silu built on it ({@link VectorOps#swiglu} with up = 1) equals llama.cpp
 * b4916's AVX2 vector silu bit for bit ({@code SiluLlamaCppIT} checks a dense sample).
 */
final class FloatExp {
    /** 1.5 * 2^23: adding it rounds to an integer and keeps that integer in the low mantissa bits. */
    private static final float SHIFT = 0x1.8p23f;
    private static final float LOG2E = 0x1.715476p+0f;
    /** ln 2 = LN2_HI + LN2_LO to 2^-44; LN2_HI has 15 significant bits, so n * LN2_HI is exact. */
    private static final float LN2_HI = 0x1.62e4p-1f;
    private static final float LN2_LO = 0x1.7f7d1cp-20f;
    /** e^r - 1 ~ C1 r + C2 r^2 + C3 r^3 + C4 r^4 + C5 r^5 on |r| <= ln 2 / 2 (Arm optimized-routines). */
    private static final float C1 = 0x1.ffffecp-1f;
    private static final float C2 = 0x1.fffdb6p-2f;
    private static final float C3 = 0x1.555e66p-3f;
    private static final float C4 = 0x1.573e2ep-5f;
    private static final float C5 = 0x1.0e4020p-7f;
    private static final int ONE_BITS = 0x3f800000;
    /** 2^127 and, with N_NEG_BIAS added, 2^-125: the outer factor s1 of step 5. */
    private static final int S1_BITS = 0x7f000000;
    /** Moves s1 from 2^127 to 2^-125 and s2 up by 2^252 (bits wrap), for n < -126. */
    private static final int N_NEG_BIAS = 0x82000000;

    private FloatExp() {}

    /** e^x per lane; each lane equals {@link #exp(float)} of it. */
    static FloatVector exp(FloatVector x) {
        FloatVector z = x.fma(LOG2E, SHIFT);
        FloatVector n = z.sub(SHIFT);
        FloatVector r = n.fma(x.broadcast(-LN2_HI), x);
        r = n.fma(x.broadcast(-LN2_LO), r);
        IntVector e = z.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23);
        FloatVector k = e.add(ONE_BITS).reinterpretAsFloats();
        FloatVector u = r.mul(r);
        FloatVector p = r.fma(C5, C4).fma(u, r.fma(C3, C2)).fma(u, r.mul(C1));
        FloatVector inRange = p.fma(k, k);
        VectorMask<Float> far = n.abs().compare(VectorOperators.GT, 126f);
        if (!far.anyTrue()) {
            return inRange;
        }
        // Step 5. N_NEG_BIAS where n < 0 (n's sign bit, spread), 0 where n > 0; n is never 0 here.
        IntVector g = n.reinterpretAsInts().lanewise(VectorOperators.ASHR, 31).and(N_NEG_BIAS);
        FloatVector s1 = g.add(S1_BITS).reinterpretAsFloats();
        FloatVector s2 = e.sub(g).reinterpretAsFloats();
        FloatVector outOfRange = s2.fma(p, s2).mul(s1)
                .blend(s1.mul(s1), n.abs().compare(VectorOperators.GT, 192f));
        return inRange.blend(outOfRange, far);
    }

    /** e^x, the same steps as {@link #exp(FloatVector)} on one value. */
    static float exp(float x) {
        float z = Math.fma(x, LOG2E, SHIFT);
        float n = z - SHIFT;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        int e = Float.floatToRawIntBits(z) << 23;
        float k = Float.intBitsToFloat(e + ONE_BITS);
        float u = r * r;
        float p = Math.fma(Math.fma(Math.fma(r, C5, C4), u, Math.fma(r, C3, C2)), u, r * C1);
        float an = Math.abs(n);
        if (!(an > 126f)) { // NaN included: it stays NaN through p
            return Math.fma(p, k, k);
        }
        int g = (Float.floatToRawIntBits(n) >> 31) & N_NEG_BIAS;
        float s1 = Float.intBitsToFloat(g + S1_BITS);
        if (an > 192f) {
            return s1 * s1;
        }
        float s2 = Float.intBitsToFloat(e - g);
        return Math.fma(s2, p, s2) * s1;
    }
}
