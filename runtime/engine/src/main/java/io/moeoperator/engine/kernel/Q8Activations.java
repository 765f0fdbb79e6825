package io.moeoperator.engine.kernel;

/**
 * Activations quantized to Q8_0 blocks, the form ggml multiplies Q8_0 and Q4_0 weights with: per 32
 * values {@code d = amax/127} (kept as F16), {@code q = round(x/d)}. Computed once per matmul call,
 * bit-for-bit as {@code GgmlCodec.encode(Q8_0)} does.
 *
 * <p>The quants are kept as shorts rather than bytes because the dot kernels multiply in 16-bit lanes;
 * widening once here saves a widening per weight row.
 */
final class Q8Activations {
    static final int BLOCK = 32;

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
        // Scalar on purpose: this is O(cols) against the matmul's O(rows * cols), and Math.round's
        // exact ties-up rounding is what the encoder uses (a vector floor(v + 0.5) differs near 0.5).
        for (int b = 0; b < numValues / BLOCK; b++) {
            int off = b * BLOCK;
            float amax = 0;
            for (int j = 0; j < BLOCK; j++) {
                amax = Math.max(amax, Math.abs(x[off + j]));
            }
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            a.dBits[b] = Float.floatToFloat16(d);
            a.d[b] = Float.float16ToFloat(a.dBits[b]);
            for (int j = 0; j < BLOCK; j++) {
                a.q[off + j] = (byte) Math.round(x[off + j] * id);
            }
        }
        return a;
    }

    /** {@code d * q} per value, the product rounded to F32 as {@code GgmlCodec.decode(Q8_0)} does. */
    float[] dequantize() {
        float[] x = new float[q.length];
        for (int i = 0; i < q.length; i++) {
            x[i] = d[i / BLOCK] * q[i];
        }
        return x;
    }
}
