package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one FP8 E4M3 weight row, block-scaled ({@link BlockScales}), with one F32 activation
 * row: the one-token matmul path. The bytes are read straight from the (mapped) segment and widened to
 * F32 in registers, so a row costs one pass over a quarter of the bytes of F32.
 *
 * <h2>Where the scale goes</h2>
 * As in DeepSeek's own FP8 GEMM, each block of {@code blockCols} columns is summed unscaled and its sum
 * multiplied by the block's scale once. Weight (r, c) is {@code e(r, c) * s(r / blockRows, c / blockCols)}
 * with e the FP8 value; an FP8 value times an F32 activation is exact inside an FMA, so a block sum
 * rounds only in its additions, and then once more in {@code p * s + acc}. Scaling each weight as it is
 * decoded instead (and reusing the F32 kernels) would cost a multiply per vector where this costs one FMA
 * per block, and round every weight.
 *
 * <h2>Layout: groups of 4L columns</h2>
 * The row is read as int lanes of 4 bytes: one load of L ints gives 4L codes, and byte k of every lane,
 * shifted into place, is the k-th vector of the group (lane j holding column {@code 4j + k} of the group).
 * That avoids the byte-to-int widening shuffle, with which the loop ran at half the speed (Zen 4). So
 * the activations are permuted the same way once per call ({@link #permute}): within each block, for
 * each whole group of {@code G = 4L} columns from the block's start, {@code xp[i + k L + j] = x[i + 4j + k]};
 * the block's columns past its last whole group (none with 128-column blocks and rows of a multiple of
 * 128) stay in place and are summed one by one.
 *
 * <h2>The order of the sum</h2>
 * <pre>
 *   acc = 0 (a vector)
 *   for each block b, columns [c0, c1):
 *     p = 0;  p = e[v] * xp[v] + p  (FMA) for the vectors v of its whole groups, in memory order
 *     acc = p * s_b + acc           (FMA, s_b in every lane)
 *     leftover columns: ts = sum e[j] * x[j] in order; tails += ts * s_b
 *   result = LaneSums(acc) (+ tails, when the shape leaves any)
 * </pre>
 * {@link Fp8TokenDots} forms every (row, token) sum in exactly this order from rows decoded into the same
 * layout, so a token's result is the same bits alone or batched.
 *
 * <h2>Widening</h2>
 * Byte k of an int lane shifted left to the top, then arithmetically right by 4, and masked to bit 31 and
 * bits 26..20, is an F32 with the byte's sign, exponent and mantissa in place: it reads as the value times
 * 2^-120 (biases 127 and 7), subnormals included, and an FMA by 2^120 (adding -0, which changes nothing)
 * gives the value exactly. An FMA, not a multiply: on Zen 4 a multiply whose input is subnormal (every
 * FP8 subnormal is one here) takes a microcode assist, and with one code in 16 subnormal the loop ran at
 * a third of the speed; the FMA takes none. The NaN codes (0x7F, 0xFF) come out as +-480, so the loop
 * also keeps, per byte, the max of {@code byte | 0x80}, which is -1 only for a NaN code; a row with one
 * gives {@link Float#NaN}, as the exact sum is NaN.
 */
final class Fp8RowDots {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** The bytes of one int vector, for the NaN check. */
    static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, F.vectorShape());
    static final int L = F.length();
    /** Columns per group: one int vector of codes. */
    static final int G = 4 * L;
    private static final int GROUPS_PER_128 = 128 / G;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfFloat SCALE = ValueLayout.JAVA_FLOAT_UNALIGNED;
    /** {@code byte | 0x80} is -1 only for the NaN codes 0x7F and 0xFF. */
    static final byte NAN_MARK = (byte) 0x80;
    private static final int WIDEN_MASK = 0x87f0_0000;

    private Fp8RowDots() {}

    /**
     * The dot of the FP8 row of {@code n} bytes at {@code rowAt} with the activations {@code x}, given
     * permuted ({@link #permute}) as {@code xp}, its block scales being the F32s at indices
     * {@code scaleAt, scaleAt + 1, ...} of {@code scales}; in the order of the class comment.
     * {@code lanes} is scratch of {@link #L} floats.
     */
    static float dot(MemorySegment w, long rowAt, int n, MemorySegment scales, long scaleAt, int blockCols, float[] xp,
                     float[] lanes) {
        FloatVector acc = FloatVector.zero(F);
        ByteVector nanMax = ByteVector.broadcast(B, NAN_MARK);
        float tails = 0f;
        boolean nanInTails = false;
        int b = 0;
        for (int c0 = 0; c0 < n; c0 += blockCols, b++) {
            int c1 = Math.min(n, c0 + blockCols);
            int groupsEnd = groupsEnd(c0, c1);
            FloatVector p = FloatVector.zero(F);
            // Four independent widenings per load feed one FMA chain; blocks' chains overlap in the core.
            // A whole 128-column block (DeepSeek's) gets a constant trip count, which C2 unrolls fully. With
            // a variable one, C2 unrolled this short loop (2 iterations with 16-lane vectors) in some runs
            // and not in others, depending on the profile, and the unrolled form ran at 60% of the speed.
            int numGroups = groupsEnd - c0 == 128 ? GROUPS_PER_128 : (groupsEnd - c0) / G;
            for (int k = 0, i = c0; k < numGroups; k++, i += G) {
                IntVector v = IntVector.fromMemorySegment(I, w, rowAt + i, LE);
                nanMax = nanMax.max(v.reinterpretAsBytes().or(NAN_MARK));
                p = widen(v.lanewise(VectorOperators.LSHL, 24)).fma(FloatVector.fromArray(F, xp, i), p);
                p = widen(v.lanewise(VectorOperators.LSHL, 16)).fma(FloatVector.fromArray(F, xp, i + L), p);
                p = widen(v.lanewise(VectorOperators.LSHL, 8)).fma(FloatVector.fromArray(F, xp, i + 2 * L), p);
                p = widen(v).fma(FloatVector.fromArray(F, xp, i + 3 * L), p);
            }
            float s = scales.getAtIndex(SCALE, scaleAt + b);
            acc = p.fma(FloatVector.broadcast(F, s), acc);
            if (groupsEnd < c1) {
                float t = tail(w, rowAt, groupsEnd, c1, xp);
                nanInTails |= Float.isNaN(t);
                tails += t * s;
            }
        }
        if (nanInTails || sawNaN(nanMax)) {
            return Float.NaN;
        }
        // The lanes are stored and summed as scalars, not passed to LaneSums.sum: by the end of this method
        // C2 has parsed past its node budget (NodeCountInliningCutoff) and no longer inlines calls (only
        // the Vector API's forced ones), so that call stayed a call and every row boxed its accumulator
        // (about 100 bytes a row: 2.3 GB in a 256-token decode of a small model, at half the speed).
        acc.intoArray(lanes, 0);
        float sum = LaneSums.sumStored(lanes);
        return hasTails(n, blockCols) ? sum + tails : sum;
    }

    /**
     * The unscaled dot of columns {@code [from, to)} (past a block's whole groups) in order, or NaN if
     * one of their codes is NaN.
     */
    private static float tail(MemorySegment w, long rowAt, int from, int to, float[] xp) {
        float ts = 0f;
        for (int j = from; j < to; j++) {
            byte code = w.get(ValueLayout.JAVA_BYTE, rowAt + j);
            if ((code | NAN_MARK) == -1) {
                return Float.NaN;
            }
            ts += GgmlCodec.fromF8E4M3(code) * xp[j];
        }
        return ts;
    }

    /** The end of the whole groups of the block of columns {@code [c0, c1)}. */
    static int groupsEnd(int c0, int c1) {
        return c0 + (c1 - c0) / G * G;
    }

    /** Whether some block of a row of {@code n} leaves columns past its last whole group. */
    static boolean hasTails(int n, int blockCols) {
        return blockCols % G != 0 || n % blockCols % G != 0;
    }

    /**
     * The FP8 value of the top byte of each lane of {@code shifted} (a code moved to bits 31..24), exactly;
     * NaN codes give +-480. See the class comment.
     */
    static FloatVector widen(IntVector shifted) {
        FloatVector raw = shifted.lanewise(VectorOperators.ASHR, 4).and(WIDEN_MASK).reinterpretAsFloats();
        return raw.fma(0x1p120f, -0f);
    }

    /** Whether a lane of a running {@code max(byte | 0x80)} saw a NaN code. */
    static boolean sawNaN(ByteVector nanMax) {
        return nanMax.eq((byte) -1).anyTrue();
    }

    /**
     * Copies the row of {@code n} values at {@code src[srcOff]} to {@code dst[dstOff]} in the layout of
     * the class comment: within each block, the whole groups of 4L columns transposed (lane j of vector k
     * of a group is its column {@code 4j + k}), the columns past them in place.
     */
    static void permute(float[] src, int srcOff, int n, int blockCols, float[] dst, int dstOff) {
        for (int c0 = 0; c0 < n; c0 += blockCols) {
            int c1 = Math.min(n, c0 + blockCols);
            int groupsEnd = groupsEnd(c0, c1);
            for (int i = c0; i < groupsEnd; i += G) {
                for (int k = 0; k < 4; k++) {
                    for (int j = 0; j < L; j++) {
                        dst[dstOff + i + k * L + j] = src[srcOff + i + 4 * j + k];
                    }
                }
            }
            System.arraycopy(src, srcOff + groupsEnd, dst, dstOff + groupsEnd, c1 - groupsEnd);
        }
    }
}
