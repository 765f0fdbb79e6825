package io.moeoperator.engine.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of Q8_0/Q4_0 weight rows with several tokens' Q8_0 activations: the multi-token matmul
 * path for quantized weights. It computes exactly the sums of {@link QuantRowDots} (ggml's integer block
 * dot, scaled by {@code d_w * d_x} per block, in the same order), so a token's result is bit-identical
 * alone or batched.
 *
 * <p>Weights and activations come in as their quants converted to floats (exact), transposed so that
 * a vector lane holds one block: F32 FMAs over a block's 32 elements then sum its products in one lane.
 * A product of two quants is at most 128 * 128 in magnitude, so every partial sum is an integer below
 * 2^19 and exact in F32, whatever the order: the lane ends with the block's {@code sumi}, as the integer
 * kernel computes it. Per group of {@link QuantRowDots#GROUP_BLOCKS} blocks and (row, token) pair: 32 FMAs
 * give the blocks' sumi, one multiply the scales {@code d_w * d_x}, one FMA adds their product to the
 * accumulator: close to the cost of multiplying dequantized weights, which is what this path did before
 * it had to match the one-token path.
 *
 * <h2>Layout (rows of {@link #quantFloats} and {@link #scaleFloats} floats)</h2>
 * A row of {@code numBlocks} blocks is {@code numGroups = ceil(numBlocks / L)} groups of L = GROUP_BLOCKS
 * blocks. Quants: group g is 32 vectors of L lanes, lane j of vector e holding element e of block
 * {@code g * L + j}. Scales: group g is one vector of L lanes, lane j holding block {@code g * L + j}'s.
 * Lanes past the last block are zero and add nothing.
 */
final class QuantTokenDots {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    private static final int BLOCK = Q8Activations.BLOCK;
    static final int ROWS = 4;
    static final int TOKENS = 4;

    static {
        if (L != QuantRowDots.GROUP_BLOCKS) {
            throw new IllegalStateException("group of " + QuantRowDots.GROUP_BLOCKS + " blocks for " + F);
        }
    }

    private QuantTokenDots() {}

    static int numGroups(int numBlocks) {
        return (numBlocks + L - 1) / L;
    }

    /** Floats of quants of a row of {@code numBlocks} blocks. */
    static int quantFloats(int numBlocks) {
        return numGroups(numBlocks) * BLOCK * L;
    }

    /** Floats of scales of a row of {@code numBlocks} blocks. */
    static int scaleFloats(int numBlocks) {
        return numGroups(numBlocks) * L;
    }

    /** Where element e of block b is in a row of quants. */
    static int quantAt(int b, int e) {
        return ((b / L) * BLOCK + e) * L + b % L;
    }

    /** Where block b's scale is in a row of scales. */
    static int scaleAt(int b) {
        return b;
    }

    /**
     * {@code out[t * numOutRows + o0 + r]} for {@code r < numRows} (at most {@link #ROWS}) and tokens
     * {@code [t0, t1)}: weight rows {@code wq}/{@code wd} (numRows rows of quants and scales) against token
     * rows {@code xq}/{@code xd}, all in the layout above.
     */
    static void dot(float[] wq, float[] wd, int numRows, int numGroups, float[] xq, float[] xd, int t0, int t1,
            float[] out, int numOutRows, int o0) {
        int qn = numGroups * BLOCK * L;
        int dn = numGroups * L;
        if (numRows < ROWS) {
            for (int r = 0; r < numRows; r++) {
                for (int t = t0; t < t1; t++) {
                    out[t * numOutRows + o0 + r] = chain(wq, r * qn, wd, r * dn, numGroups, xq, t * qn, xd, t * dn);
                }
            }
            return;
        }
        float[] acc = new float[ROWS * TOKENS * L]; // (ROWS, TOKENS) accumulators, in memory
        int t = t0;
        for (; t + TOKENS <= t1; t += TOKENS) {
            java.util.Arrays.fill(acc, 0f);
            tile4x4(wq, wd, numGroups, xq, xd, t, acc);
            for (int r = 0; r < ROWS; r++) {
                for (int j = 0; j < TOKENS; j++) {
                    out[(t + j) * numOutRows + o0 + r] = LaneSums.sum(FloatVector.fromArray(F, acc, (r * TOKENS + j) * L));
                }
            }
        }
        for (; t < t1; t++) {
            for (int r = 0; r < ROWS; r++) {
                out[t * numOutRows + o0 + r] = chain(wq, r * qn, wd, r * dn, numGroups, xq, t * qn, xd, t * dn);
            }
        }
    }

    /**
     * Tokens {@code [t, t + 4)} against the 4 rows, adding to accumulator (r, j) at {@code acc[(4r + j) L]}.
     * The 16 blocks' sums of a group take 16 registers, so the accumulators live in memory (L1): loaded,
     * updated and stored once per group, which is once per 32 FMAs. As in the F32 tile, 8 loads feed 16
     * FMAs.
     */
    private static void tile4x4(float[] wq, float[] wd, int numGroups, float[] xq, float[] xd, int t, float[] acc) {
        int qn = numGroups * BLOCK * L;
        int dn = numGroups * L;
        int x0 = t * qn;
        int x1 = x0 + qn;
        int x2 = x1 + qn;
        int x3 = x2 + qn;
        for (int g = 0; g < numGroups; g++) {
            FloatVector p00 = FloatVector.zero(F), p01 = FloatVector.zero(F), p02 = FloatVector.zero(F), p03 = FloatVector.zero(F);
            FloatVector p10 = FloatVector.zero(F), p11 = FloatVector.zero(F), p12 = FloatVector.zero(F), p13 = FloatVector.zero(F);
            FloatVector p20 = FloatVector.zero(F), p21 = FloatVector.zero(F), p22 = FloatVector.zero(F), p23 = FloatVector.zero(F);
            FloatVector p30 = FloatVector.zero(F), p31 = FloatVector.zero(F), p32 = FloatVector.zero(F), p33 = FloatVector.zero(F);
            int end = (g + 1) * BLOCK * L;
            for (int at = g * BLOCK * L; at < end; at += L) {
                FloatVector v0 = FloatVector.fromArray(F, xq, x0 + at);
                FloatVector v1 = FloatVector.fromArray(F, xq, x1 + at);
                FloatVector v2 = FloatVector.fromArray(F, xq, x2 + at);
                FloatVector v3 = FloatVector.fromArray(F, xq, x3 + at);
                FloatVector w = FloatVector.fromArray(F, wq, at);
                p00 = w.fma(v0, p00);
                p01 = w.fma(v1, p01);
                p02 = w.fma(v2, p02);
                p03 = w.fma(v3, p03);
                w = FloatVector.fromArray(F, wq, qn + at);
                p10 = w.fma(v0, p10);
                p11 = w.fma(v1, p11);
                p12 = w.fma(v2, p12);
                p13 = w.fma(v3, p13);
                w = FloatVector.fromArray(F, wq, 2 * qn + at);
                p20 = w.fma(v0, p20);
                p21 = w.fma(v1, p21);
                p22 = w.fma(v2, p22);
                p23 = w.fma(v3, p23);
                w = FloatVector.fromArray(F, wq, 3 * qn + at);
                p30 = w.fma(v0, p30);
                p31 = w.fma(v1, p31);
                p32 = w.fma(v2, p32);
                p33 = w.fma(v3, p33);
            }
            int s = g * L;
            FloatVector d0 = FloatVector.fromArray(F, xd, t * dn + s);
            FloatVector d1 = FloatVector.fromArray(F, xd, (t + 1) * dn + s);
            FloatVector d2 = FloatVector.fromArray(F, xd, (t + 2) * dn + s);
            FloatVector d3 = FloatVector.fromArray(F, xd, (t + 3) * dn + s);
            // acc = sumi * (d_w * d_x) + acc per pair, written out: as a helper method C2 would not inline
            // it ("callee uses too much stack"), and the vectors passed to it were boxed.
            FloatVector e = FloatVector.fromArray(F, wd, s);
            p00.fma(e.mul(d0), FloatVector.fromArray(F, acc, 0)).intoArray(acc, 0);
            p01.fma(e.mul(d1), FloatVector.fromArray(F, acc, L)).intoArray(acc, L);
            p02.fma(e.mul(d2), FloatVector.fromArray(F, acc, 2 * L)).intoArray(acc, 2 * L);
            p03.fma(e.mul(d3), FloatVector.fromArray(F, acc, 3 * L)).intoArray(acc, 3 * L);
            e = FloatVector.fromArray(F, wd, dn + s);
            p10.fma(e.mul(d0), FloatVector.fromArray(F, acc, 4 * L)).intoArray(acc, 4 * L);
            p11.fma(e.mul(d1), FloatVector.fromArray(F, acc, 5 * L)).intoArray(acc, 5 * L);
            p12.fma(e.mul(d2), FloatVector.fromArray(F, acc, 6 * L)).intoArray(acc, 6 * L);
            p13.fma(e.mul(d3), FloatVector.fromArray(F, acc, 7 * L)).intoArray(acc, 7 * L);
            e = FloatVector.fromArray(F, wd, 2 * dn + s);
            p20.fma(e.mul(d0), FloatVector.fromArray(F, acc, 8 * L)).intoArray(acc, 8 * L);
            p21.fma(e.mul(d1), FloatVector.fromArray(F, acc, 9 * L)).intoArray(acc, 9 * L);
            p22.fma(e.mul(d2), FloatVector.fromArray(F, acc, 10 * L)).intoArray(acc, 10 * L);
            p23.fma(e.mul(d3), FloatVector.fromArray(F, acc, 11 * L)).intoArray(acc, 11 * L);
            e = FloatVector.fromArray(F, wd, 3 * dn + s);
            p30.fma(e.mul(d0), FloatVector.fromArray(F, acc, 12 * L)).intoArray(acc, 12 * L);
            p31.fma(e.mul(d1), FloatVector.fromArray(F, acc, 13 * L)).intoArray(acc, 13 * L);
            p32.fma(e.mul(d2), FloatVector.fromArray(F, acc, 14 * L)).intoArray(acc, 14 * L);
            p33.fma(e.mul(d3), FloatVector.fromArray(F, acc, 15 * L)).intoArray(acc, 15 * L);
        }
    }

    /** One (row, token) pair in the tile's order: the leftover rows and tokens. */
    private static float chain(float[] wq, int wqOff, float[] wd, int wdOff, int numGroups, float[] xq, int xqOff,
            float[] xd, int xdOff) {
        FloatVector acc = FloatVector.zero(F);
        for (int g = 0; g < numGroups; g++) {
            FloatVector sumi = FloatVector.zero(F);
            for (int at = g * BLOCK * L; at < (g + 1) * BLOCK * L; at += L) {
                sumi = FloatVector.fromArray(F, wq, wqOff + at).fma(FloatVector.fromArray(F, xq, xqOff + at), sumi);
            }
            FloatVector scale = FloatVector.fromArray(F, wd, wdOff + g * L).mul(FloatVector.fromArray(F, xd, xdOff + g * L));
            acc = sumi.fma(scale, acc);
        }
        return LaneSums.sum(acc);
    }
}
