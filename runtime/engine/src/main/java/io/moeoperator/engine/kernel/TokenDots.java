package io.moeoperator.engine.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of decoded F32 weight rows with several tokens' activations: the multi-token matmul
 * path for F32, F16 and BF16 weights. The core is a 4-row by 4-token register tile: each weight vector
 * loaded feeds four FMAs and so does each activation vector. With one row at a time the activations (a
 * tile of tokens, larger than L1) were re-read from L2 for every row, and L2 bandwidth capped the FMAs
 * at about a third of peak.
 *
 * <p>Every (row, token) dot is formed the same way, whichever kernel computes it and whatever else is
 * in the batch: one FMA chain over the whole vectors, {@code acc = w[i..i+L) * x[i..i+L) + acc} in
 * ascending i, its lanes summed by {@link LaneSums}, then {@code sum += w[j] * x[j]} for the remaining
 * elements in order. {@link FloatRowDots} forms one-token dots the same way, so a token's result is
 * bit-identical alone or batched.
 */
final class TokenDots {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
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
                    out[t * numOutRows + o0 + r] = chain(w, r * n, x, t * n, n);
                }
            }
            return;
        }
        float[] acc = new float[ROWS * TOKENS * L]; // (ROWS, TOKENS) accumulators, parked
        int t = t0;
        for (; t + TOKENS <= t1; t += TOKENS) {
            tile4x4(w, n, x, t, acc);
            finish(acc, TOKENS, w, n, x, t, out, numOutRows, o0);
        }
        for (; t < t1; t++) {
            tile4x1(w, n, x, t, acc);
            finish(acc, 1, w, n, x, t, out, numOutRows, o0);
        }
    }

    /** Tokens {@code [t, t + 4)} against the 4 rows, over whole vectors; accumulator (r, j) to {@code acc[(4r + j) L]}. */
    private static void tile4x4(float[] w, int n, float[] x, int t, float[] acc) {
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
        // Parked in memory and finished in one loop: sixteen inlined lane sums took C2 past its node
        // budget, and a vector passed to a call that is not inlined gets boxed.
        a00.intoArray(acc, 0 * L);
        a01.intoArray(acc, 1 * L);
        a02.intoArray(acc, 2 * L);
        a03.intoArray(acc, 3 * L);
        a10.intoArray(acc, 4 * L);
        a11.intoArray(acc, 5 * L);
        a12.intoArray(acc, 6 * L);
        a13.intoArray(acc, 7 * L);
        a20.intoArray(acc, 8 * L);
        a21.intoArray(acc, 9 * L);
        a22.intoArray(acc, 10 * L);
        a23.intoArray(acc, 11 * L);
        a30.intoArray(acc, 12 * L);
        a31.intoArray(acc, 13 * L);
        a32.intoArray(acc, 14 * L);
        a33.intoArray(acc, 15 * L);
    }

    /** Token t against the 4 rows, over whole vectors; accumulator r to {@code acc[r L]}. */
    private static void tile4x1(float[] w, int n, float[] x, int t, float[] acc) {
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
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    /**
     * Sums the lanes of a tile's parked accumulators ({@code numTokens} per row), adds each pair's scalar
     * tail (the elements past the last whole vector), stores the dots.
     */
    private static void finish(float[] acc, int numTokens, float[] w, int n, float[] x, int t, float[] out, int numOutRows, int o0) {
        int from = n - n % L;
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < numTokens; j++) {
                float s = LaneSums.sum(FloatVector.fromArray(F, acc, (r * numTokens + j) * L));
                int xOff = (t + j) * n;
                for (int k = from; k < n; k++) {
                    s += w[r * n + k] * x[xOff + k];
                }
                out[(t + j) * numOutRows + o0 + r] = s;
            }
        }
    }

    /**
     * One (row, token) dot in the tiles' order (see the class comment), for the rows left over when the
     * row count is not a multiple of {@link #ROWS}: a single chain, slower, but only for up to 3 rows.
     */
    static float chain(float[] w, int wOff, float[] x, int xOff, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i <= n - L; i += L) {
            acc = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), acc);
        }
        float s = LaneSums.sum(acc);
        for (; i < n; i++) {
            s += w[wOff + i] * x[xOff + i];
        }
        return s;
    }

    /**
     * A plain F32 dot product: {@link VectorOps#dot} (attention scores over the latent cache). Not the
     * matmul order (two chains here), but as fixed: the same inputs give the same bits every call.
     */
    static float dot1(float[] w, int wOff, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        // Two chains for the FMA latency.
        for (; i <= n - 2 * L; i += 2 * L) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromArray(F, w, wOff + i + L).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (; i <= n - L; i += L) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = LaneSums.sum(a0.add(a1)); // not reduceLanes: its order changes when C2 compiles it
        for (; i < n; i++) {
            sum += w[wOff + i] * x[xOff + i];
        }
        return sum;
    }

    /**
     * {@link #dot1(float[], int, float[], int, int)} with {@code x} the F32 values of a native segment
     * from float {@code xOff} (the latent KV cache): the same chains, lane sums and tail, so the same
     * bits as the array form on the same values.
     */
    static float dot1(float[] w, int wOff, MemorySegment x, long xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        long at = xOff * Float.BYTES;
        int i = 0;
        for (; i <= n - 2 * L; i += 2 * L, at += 2L * L * Float.BYTES) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromMemorySegment(F, x, at, NATIVE), a0);
            a1 = FloatVector.fromArray(F, w, wOff + i + L).fma(FloatVector.fromMemorySegment(F, x, at + (long) L * Float.BYTES, NATIVE), a1);
        }
        for (; i <= n - L; i += L, at += (long) L * Float.BYTES) {
            a0 = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromMemorySegment(F, x, at, NATIVE), a0);
        }
        float sum = LaneSums.sum(a0.add(a1));
        for (; i < n; i++) {
            sum += w[wOff + i] * x.getAtIndex(ValueLayout.JAVA_FLOAT, xOff + i);
        }
        return sum;
    }
}
