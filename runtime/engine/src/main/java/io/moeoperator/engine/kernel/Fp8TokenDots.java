package io.moeoperator.engine.kernel;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of decoded FP8 E4M3 weight rows (their exact values as F32, not yet scaled) with several
 * tokens' F32 activations: the multi-token matmul path for block-scaled FP8 weights. Rows and activations
 * come in the layout of {@link Fp8RowDots} (whole groups of 4L columns transposed), and every (row, token)
 * sum is formed in the order it defines (per block: an unscaled FMA chain over the vectors of its whole
 * groups, then {@code acc = p * s_b + acc}; lane sums; then the blocks' leftover columns), so a token's
 * result is bit-identical alone or batched.
 *
 * <p>The core is the 4-row by 4-token register tile of {@link TokenDots}: each weight vector loaded feeds
 * four FMAs and so does each activation vector. The 16 block sums take 16 registers, so the 16
 * accumulators they are scaled into live in memory (L1) and are loaded, updated and stored once per
 * block, as in {@link QuantTokenDots}: 16 FMAs more per block, against the tile's 16 per vector of
 * columns (an eighth more for 128-column blocks of 16-lane vectors).
 */
final class Fp8TokenDots {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Rows decoded together and tokens handled together by the register tile. */
    static final int ROWS = 4;
    static final int TOKENS = 4;

    private Fp8TokenDots() {}

    static int numBlocks(int n, int blockCols) {
        return (n + blockCols - 1) / blockCols;
    }

    /**
     * {@code out[t * numOutRows + o0 + r] = sum_i w[r * n + i] * s[r * numBlocks + i / blockCols] * x[t * n + i]}
     * for {@code r < numRows} (at most {@link #ROWS}) and tokens {@code [t0, t1)}: w holds numRows decoded
     * rows of n, s their block scales (numBlocks = ceil(n / blockCols) per row), x the tokens' activations;
     * w and x in the layout of {@link Fp8RowDots} (a column's place is the same in both).
     */
    static void dot(float[] w, float[] s, int numRows, int n, int blockCols, float[] x, int t0, int t1,
            float[] out, int numOutRows, int o0) {
        int numBlocks = numBlocks(n, blockCols);
        if (numRows < ROWS) {
            for (int r = 0; r < numRows; r++) {
                for (int t = t0; t < t1; t++) {
                    out[t * numOutRows + o0 + r] = chain(w, r * n, s, r * numBlocks, n, blockCols, x, t * n);
                }
            }
            return;
        }
        float[] acc = new float[ROWS * TOKENS * L]; // (ROWS, TOKENS) accumulators, in memory
        int t = t0;
        for (; t + TOKENS <= t1; t += TOKENS) {
            Arrays.fill(acc, 0f);
            tile4x4(w, s, n, blockCols, numBlocks, x, t, acc);
            finish(acc, TOKENS, w, s, n, blockCols, numBlocks, x, t, out, numOutRows, o0);
        }
        for (; t < t1; t++) {
            tile4x1(w, s, n, blockCols, numBlocks, x, t, acc);
            finish(acc, 1, w, s, n, blockCols, numBlocks, x, t, out, numOutRows, o0);
        }
    }

    /** Tokens {@code [t, t + 4)} against the 4 rows; accumulator (r, j) at {@code acc[(4r + j) L]}, zeroed by the caller. */
    private static void tile4x4(float[] w, float[] s, int n, int blockCols, int numBlocks, float[] x, int t, float[] acc) {
        int w1 = n;
        int w2 = 2 * n;
        int w3 = 3 * n;
        int x0 = t * n;
        int x1 = x0 + n;
        int x2 = x1 + n;
        int x3 = x2 + n;
        int b = 0;
        for (int c0 = 0; c0 < n; c0 += blockCols, b++) {
            int vecEnd = Fp8RowDots.groupsEnd(c0, Math.min(n, c0 + blockCols));
            FloatVector p00 = FloatVector.zero(F), p01 = FloatVector.zero(F), p02 = FloatVector.zero(F), p03 = FloatVector.zero(F);
            FloatVector p10 = FloatVector.zero(F), p11 = FloatVector.zero(F), p12 = FloatVector.zero(F), p13 = FloatVector.zero(F);
            FloatVector p20 = FloatVector.zero(F), p21 = FloatVector.zero(F), p22 = FloatVector.zero(F), p23 = FloatVector.zero(F);
            FloatVector p30 = FloatVector.zero(F), p31 = FloatVector.zero(F), p32 = FloatVector.zero(F), p33 = FloatVector.zero(F);
            // 8 loads feed 16 FMAs into 16 independent block sums.
            for (int i = c0; i < vecEnd; i += L) {
                FloatVector v0 = FloatVector.fromArray(F, x, x0 + i);
                FloatVector v1 = FloatVector.fromArray(F, x, x1 + i);
                FloatVector v2 = FloatVector.fromArray(F, x, x2 + i);
                FloatVector v3 = FloatVector.fromArray(F, x, x3 + i);
                FloatVector r = FloatVector.fromArray(F, w, i);
                p00 = r.fma(v0, p00);
                p01 = r.fma(v1, p01);
                p02 = r.fma(v2, p02);
                p03 = r.fma(v3, p03);
                r = FloatVector.fromArray(F, w, w1 + i);
                p10 = r.fma(v0, p10);
                p11 = r.fma(v1, p11);
                p12 = r.fma(v2, p12);
                p13 = r.fma(v3, p13);
                r = FloatVector.fromArray(F, w, w2 + i);
                p20 = r.fma(v0, p20);
                p21 = r.fma(v1, p21);
                p22 = r.fma(v2, p22);
                p23 = r.fma(v3, p23);
                r = FloatVector.fromArray(F, w, w3 + i);
                p30 = r.fma(v0, p30);
                p31 = r.fma(v1, p31);
                p32 = r.fma(v2, p32);
                p33 = r.fma(v3, p33);
            }
            // acc = p * s_b + acc per pair, written out, as in QuantTokenDots: a helper taking the vectors
            // would not be inlined, and they would be boxed.
            FloatVector e = FloatVector.broadcast(F, s[b]);
            p00.fma(e, FloatVector.fromArray(F, acc, 0)).intoArray(acc, 0);
            p01.fma(e, FloatVector.fromArray(F, acc, L)).intoArray(acc, L);
            p02.fma(e, FloatVector.fromArray(F, acc, 2 * L)).intoArray(acc, 2 * L);
            p03.fma(e, FloatVector.fromArray(F, acc, 3 * L)).intoArray(acc, 3 * L);
            e = FloatVector.broadcast(F, s[numBlocks + b]);
            p10.fma(e, FloatVector.fromArray(F, acc, 4 * L)).intoArray(acc, 4 * L);
            p11.fma(e, FloatVector.fromArray(F, acc, 5 * L)).intoArray(acc, 5 * L);
            p12.fma(e, FloatVector.fromArray(F, acc, 6 * L)).intoArray(acc, 6 * L);
            p13.fma(e, FloatVector.fromArray(F, acc, 7 * L)).intoArray(acc, 7 * L);
            e = FloatVector.broadcast(F, s[2 * numBlocks + b]);
            p20.fma(e, FloatVector.fromArray(F, acc, 8 * L)).intoArray(acc, 8 * L);
            p21.fma(e, FloatVector.fromArray(F, acc, 9 * L)).intoArray(acc, 9 * L);
            p22.fma(e, FloatVector.fromArray(F, acc, 10 * L)).intoArray(acc, 10 * L);
            p23.fma(e, FloatVector.fromArray(F, acc, 11 * L)).intoArray(acc, 11 * L);
            e = FloatVector.broadcast(F, s[3 * numBlocks + b]);
            p30.fma(e, FloatVector.fromArray(F, acc, 12 * L)).intoArray(acc, 12 * L);
            p31.fma(e, FloatVector.fromArray(F, acc, 13 * L)).intoArray(acc, 13 * L);
            p32.fma(e, FloatVector.fromArray(F, acc, 14 * L)).intoArray(acc, 14 * L);
            p33.fma(e, FloatVector.fromArray(F, acc, 15 * L)).intoArray(acc, 15 * L);
        }
    }

    /** Token t against the 4 rows (the tokens left over by the 4x4 tiles); accumulator r to {@code acc[r L]}. */
    private static void tile4x1(float[] w, float[] s, int n, int blockCols, int numBlocks, float[] x, int t, float[] acc) {
        int xt = t * n;
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int b = 0;
        for (int c0 = 0; c0 < n; c0 += blockCols, b++) {
            int vecEnd = Fp8RowDots.groupsEnd(c0, Math.min(n, c0 + blockCols));
            FloatVector p0 = FloatVector.zero(F);
            FloatVector p1 = FloatVector.zero(F);
            FloatVector p2 = FloatVector.zero(F);
            FloatVector p3 = FloatVector.zero(F);
            // One activation load feeds the four rows.
            for (int i = c0; i < vecEnd; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, xt + i);
                p0 = FloatVector.fromArray(F, w, i).fma(v, p0);
                p1 = FloatVector.fromArray(F, w, n + i).fma(v, p1);
                p2 = FloatVector.fromArray(F, w, 2 * n + i).fma(v, p2);
                p3 = FloatVector.fromArray(F, w, 3 * n + i).fma(v, p3);
            }
            a0 = p0.fma(FloatVector.broadcast(F, s[b]), a0);
            a1 = p1.fma(FloatVector.broadcast(F, s[numBlocks + b]), a1);
            a2 = p2.fma(FloatVector.broadcast(F, s[2 * numBlocks + b]), a2);
            a3 = p3.fma(FloatVector.broadcast(F, s[3 * numBlocks + b]), a3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
    }

    /** Sums the lanes of a tile's accumulators ({@code numTokens} per row), adds the pairs' leftover columns, stores the dots. */
    private static void finish(float[] acc, int numTokens, float[] w, float[] s, int n, int blockCols, int numBlocks,
            float[] x, int t, float[] out, int numOutRows, int o0) {
        boolean hasTails = Fp8RowDots.hasTails(n, blockCols);
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < numTokens; j++) {
                float sum = LaneSums.sum(FloatVector.fromArray(F, acc, (r * numTokens + j) * L));
                if (hasTails) {
                    sum += tails(w, r * n, s, r * numBlocks, n, blockCols, x, (t + j) * n);
                }
                out[(t + j) * numOutRows + o0 + r] = sum;
            }
        }
    }

    /**
     * One (row, token) sum in the order of {@link Fp8RowDots}, for the rows left over when the row count
     * is not a multiple of {@link #ROWS}: a single chain, slower, but only for up to 3 rows.
     */
    static float chain(float[] w, int wOff, float[] s, int sOff, int n, int blockCols, float[] x, int xOff) {
        FloatVector acc = FloatVector.zero(F);
        int b = 0;
        for (int c0 = 0; c0 < n; c0 += blockCols, b++) {
            int vecEnd = Fp8RowDots.groupsEnd(c0, Math.min(n, c0 + blockCols));
            FloatVector p = FloatVector.zero(F);
            for (int i = c0; i < vecEnd; i += L) {
                p = FloatVector.fromArray(F, w, wOff + i).fma(FloatVector.fromArray(F, x, xOff + i), p);
            }
            acc = p.fma(FloatVector.broadcast(F, s[sOff + b]), acc);
        }
        float sum = LaneSums.sum(acc);
        return Fp8RowDots.hasTails(n, blockCols) ? sum + tails(w, wOff, s, sOff, n, blockCols, x, xOff) : sum;
    }

    /** The blocks' leftover columns, as {@link Fp8RowDots#dot} sums them: {@code tails += (sum e * x) * s_b}. */
    private static float tails(float[] w, int wOff, float[] s, int sOff, int n, int blockCols, float[] x, int xOff) {
        float tails = 0f;
        int b = 0;
        for (int c0 = 0; c0 < n; c0 += blockCols, b++) {
            int c1 = Math.min(n, c0 + blockCols);
            int vecEnd = Fp8RowDots.groupsEnd(c0, c1);
            if (vecEnd < c1) {
                float ts = 0f;
                for (int j = vecEnd; j < c1; j++) {
                    ts += w[wOff + j] * x[xOff + j];
                }
                tails += ts * s[sOff + b];
            }
        }
        return tails;
    }
}
