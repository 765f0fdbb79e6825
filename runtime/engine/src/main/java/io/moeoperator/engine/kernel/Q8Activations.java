package io.moeoperator.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activations quantized to Q8_0 blocks, the form ggml multiplies Q8_0 and Q4_0 weights with: per 32
 * values {@code d = amax/127} (kept as F16), {@code q = rint(x * 127/amax)}. Computed once per matmul
 * call, bit-for-bit as {@code GgmlCodec.encodeQ8_0Activations} (ggml's x86 quantize_row_q8_0) does.
 *
 * <p>The quants are kept as shorts rather than bytes because the dot kernels multiply in 16-bit lanes;
 * widening once here saves a widening per weight row.
 */
final class Q8Activations {
    static final int BLOCK = 32;
    /** At most 512 bits, so a block of 32 is whole vectors; the shorts are half as wide as the floats. */
    private static final VectorSpecies<Float> F =
            VectorSpecies.of(float.class, VectorShape.forBitSize(Math.min(512, FloatVector.SPECIES_PREFERRED.vectorBitSize())));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final int L = F.length();
    private static final float RINT_SHIFT = 0x1.8p23f;

    /** (numTokens, cols) quants, each in [-127, 127]. */
    final short[] q;
    /** (numTokens, cols/32) block scales as stored F16 bits. */
    final short[] dBits;
    /** (numTokens, cols/32) the same scales as floats. */
    final float[] d;

    private Q8Activations(int numValues) {
        q = new short[numValues];
        dBits = new short[numValues / BLOCK];
        d = new float[numValues / BLOCK];
    }

    /** Quantizes {@code x[0 .. numValues)}; {@code numValues} is a multiple of 32. */
    static Q8Activations quantize(float[] x, int numValues) {
        Q8Activations a = new Q8Activations(numValues);
        // Per block: the absolute maximum over whole vectors, one scalar scale, then the quants. This
        // runs once per matmul, but against small expert matrices it was a quarter of the time scalar.
        for (int b = 0; b < numValues / BLOCK; b++) {
            int off = b * BLOCK;
            FloatVector vmax = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += L) {
                vmax = vmax.max(FloatVector.fromArray(F, x, off + j).abs());
            }
            float amax = vmax.reduceLanes(VectorOperators.MAX);
            float id = amax != 0 ? 127f / amax : 0f;
            a.dBits[b] = Float.floatToFloat16(amax / 127f);
            a.d[b] = Float.float16ToFloat(a.dBits[b]);
            for (int j = 0; j < BLOCK; j += L) {
                IntVector q = rint(FloatVector.fromArray(F, x, off + j).mul(id));
                // (byte) as the encoder casts, then to shorts
                q = q.lanewise(VectorOperators.LSHL, 24).lanewise(VectorOperators.ASHR, 24);
                ((ShortVector) q.convertShape(VectorOperators.I2S, S, 0)).intoArray(a.q, off + j);
            }
        }
        return a;
    }

    /**
     * {@code (int) Math.rint(v)} lane-wise, exactly: adding and subtracting 1.5 * 2^23 leaves a float
     * whose ulp is 1, so the add rounds to an integer, ties to even, and the subtract is exact. Valid
     * for |v| up to 2^22; here |v| is at most 127 except when {@code 127/amax} overflowed, and then
     * infinities and NaN pass through to the same saturated or zero cast as Math.rint gives.
     */
    private static IntVector rint(FloatVector v) {
        return (IntVector) v.add(RINT_SHIFT).sub(RINT_SHIFT).convert(VectorOperators.F2I, 0);
    }

    /** Quants as floats and scales of tokens in {@link QuantTokenDots}' layout, one row per token. */
    record TokenRows(float[] q, float[] d) {}

    /**
     * The quants as floats and the block scales in {@link QuantTokenDots}' transposed layout, for tokens
     * of {@code cols} values each (a multiple of 32). Element by element: this runs once per matmul, over
     * the activations only.
     */
    TokenRows tokenRows(int cols) {
        int numBlocks = cols / BLOCK;
        int numTokens = q.length / cols;
        int qn = QuantTokenDots.quantFloats(numBlocks);
        int dn = QuantTokenDots.scaleFloats(numBlocks);
        float[] fq = new float[numTokens * qn];
        float[] fd = new float[numTokens * dn];
        for (int t = 0; t < numTokens; t++) {
            for (int b = 0; b < numBlocks; b++) {
                int block = t * numBlocks + b;
                fd[t * dn + QuantTokenDots.scaleAt(b)] = d[block];
                for (int e = 0; e < BLOCK; e++) {
                    fq[t * qn + QuantTokenDots.quantAt(b, e)] = q[block * BLOCK + e];
                }
            }
        }
        return new TokenRows(fq, fd);
    }
}
