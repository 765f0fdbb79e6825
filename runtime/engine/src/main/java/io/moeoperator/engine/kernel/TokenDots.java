package io.moeoperator.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of decoded F32 weight rows with several tokens' activations: the multi-token matmul
 * path. The core is a 4-row by 4-token register tile: each weight vector loaded feeds four FMAs and so
 * does each activation vector. With one row at a time the activations (a tile of tokens, larger than
 * L1) were re-read from L2 for every row, and L2 bandwidth capped the FMAs at about a third of peak.
 */
final class TokenDots {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows decoded together and tokens handled together by the register tile. */
    static final int ROWS = 4;
    static final int TOKENS = 4;

    private TokenDots() {}

    /**
     * {@code out[t * numOutRows + o0 + r] = sum_i w[r * n + i] * x[t * n + i]} for {@code r < numRows}
     * (at most {@link #ROWS}) and tokens {@code [t0, t1)}.
     */
    static void dot(float[] w, int numRows, int n, float[] x, int t0, int t1, float[] out, int numOutRows, int o0) {
        if (numRows < ROWS) {
            for (int r = 0; r < numRows; r++) {
                for (int t = t0; t < t1; t++) {
                    out[t * numOutRows + o0 + r] = dot1(w, r * n, x, t * n, n);
                }
            }
            return;
        }
        int t = t0;
        for (; t + TOKENS <= t1; t += TOKENS) {
            tile4x4(w, n, x, t, out, numOutRows, o0);
        }
        for (; t < t1; t++) {
            tile4x1(w, n, x, t, out, numOutRows, o0);
        }
    }

    private static void tile4x4(float[] w, int n, float[] x, int t, float[] out, int numOutRows, int o0) {
        int w0 = 0;
        int w1 = n;
        int w2 = 2 * n;
        int w3 = 3 * n;
        int x0 = t * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F), a23 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F), a33 = FloatVector.zero(F);
        int i = 0;
        // 8 loads feed 16 FMAs into 16 independent accumulators (of the 32 vector registers).
        for (; i <= n - L; i += L) {
            FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
            FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
            FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
            FloatVector r = FloatVector.fromArray(F, w, w0 + i);
            a00 = r.fma(v0, a00);
            a01 = r.fma(v1, a01);
            a02 = r.fma(v2, a02);
            a03 = r.fma(v3, a03);
            r = FloatVector.fromArray(F, w, w1 + i);
            a10 = r.fma(v0, a10);
            a11 = r.fma(v1, a11);
            a12 = r.fma(v2, a12);
            a13 = r.fma(v3, a13);
            r = FloatVector.fromArray(F, w, w2 + i);
            a20 = r.fma(v0, a20);
            a21 = r.fma(v1, a21);
            a22 = r.fma(v2, a22);
            a23 = r.fma(v3, a23);
            r = FloatVector.fromArray(F, w, w3 + i);
            a30 = r.fma(v0, a30);
            a31 = r.fma(v1, a31);
            a32 = r.fma(v2, a32);
            a33 = r.fma(v3, a33);
        }
        finish(a00, w, 0 * n, x, x0, i, n, out, (t + 0) * numOutRows + o0 + 0);
        finish(a01, w, 0 * n, x, x1, i, n, out, (t + 1) * numOutRows + o0 + 0);
        finish(a02, w, 0 * n, x, x2, i, n, out, (t + 2) * numOutRows + o0 + 0);
        finish(a03, w, 0 * n, x, x3, i, n, out, (t + 3) * numOutRows + o0 + 0);
        finish(a10, w, 1 * n, x, x0, i, n, out, (t + 0) * numOutRows + o0 + 1);
        finish(a11, w, 1 * n, x, x1, i, n, out, (t + 1) * numOutRows + o0 + 1);
        finish(a12, w, 1 * n, x, x2, i, n, out, (t + 2) * numOutRows + o0 + 1);
        finish(a13, w, 1 * n, x, x3, i, n, out, (t + 3) * numOutRows + o0 + 1);
        finish(a20, w, 2 * n, x, x0, i, n, out, (t + 0) * numOutRows + o0 + 2);
        finish(a21, w, 2 * n, x, x1, i, n, out, (t + 1) * numOutRows + o0 + 2);
        finish(a22, w, 2 * n, x, x2, i, n, out, (t + 2) * numOutRows + o0 + 2);
        finish(a23, w, 2 * n, x, x3, i, n, out, (t + 3) * numOutRows + o0 + 2);
        finish(a30, w, 3 * n, x, x0, i, n, out, (t + 0) * numOutRows + o0 + 3);
        finish(a31, w, 3 * n, x, x1, i, n, out, (t + 1) * numOutRows + o0 + 3);
        finish(a32, w, 3 * n, x, x2, i, n, out, (t + 2) * numOutRows + o0 + 3);
        finish(a33, w, 3 * n, x, x3, i, n, out, (t + 3) * numOutRows + o0 + 3);
    }

    private static void tile4x1(float[] w, int n, float[] x, int t, float[] out, int numOutRows, int o0) {
        int xt = t * n;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int i = 0;
        // The leftover tokens of a tile: one activation load feeds the four rows.
        for (; i <= n - L; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, xt + i);
            a0 = FloatVector.fromArray(F, w, i).fma(v, a0);
            a1 = FloatVector.fromArray(F, w, n + i).fma(v, a1);
            a2 = FloatVector.fromArray(F, w, 2 * n + i).fma(v, a2);
            a3 = FloatVector.fromArray(F, w, 3 * n + i).fma(v, a3);
        }
        finish(a0, w, 0 * n, x, xt, i, n, out, t * numOutRows + o0 + 0);
        finish(a1, w, 1 * n, x, xt, i, n, out, t * numOutRows + o0 + 1);
        finish(a2, w, 2 * n, x, xt, i, n, out, t * numOutRows + o0 + 2);
        finish(a3, w, 3 * n, x, xt, i, n, out, t * numOutRows + o0 + 3);
    }

    /** Reduces a tile's accumulator, adds the scalar tail {@code [from, n)}, stores the dot. */
    private static void finish(FloatVector acc, float[] w, int wOff, float[] x, int xOff, int from, int n, float[] out, int at) {
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (int j = from; j < n; j++) {
            s += w[wOff + j] * x[xOff + j];
        }
        out[at] = s;
    }

    /** A plain F32 dot product; also {@link VectorOps#dot} (attention scores over the latent cache). */
    static float dot1(float[] w, int wOff, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        // The leftover rows of a chunk; two chains for the FMA latency.
        for (; i <= n - 2 * L; i += 2 * L) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromArray(F, w, wOff + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (; i <= n - L; i += L) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += w[wOff + i] * x[xOff + i];
        }
        return sum;
    }
}
