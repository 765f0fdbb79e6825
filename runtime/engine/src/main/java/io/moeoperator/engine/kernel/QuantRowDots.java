package io.moeoperator.engine.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of one Q8_0 or Q4_0 weight row with {@link Q8Activations}, as ggml computes them: per
 * block of 32 the integer dot product of the quants {@code sumi} (exact), times {@code d_w * d_x}, summed
 * in F32. This is the one-token path; {@link QuantTokenDots} computes the same sums for many tokens.
 *
 * <p>The order of the F32 sum, which both paths share: an accumulator of {@link #GROUP_BLOCKS} floats
 * (the preferred vector width), lane j taking {@code acc = sumi * (d_w * d_x) + acc} (one FMA) for blocks
 * {@code j, j + GROUP_BLOCKS, j + 2 * GROUP_BLOCKS, ...} in turn; then {@link LaneSums}. One lane per block
 * is what lets the many-token kernel run at the speed of F32 FMAs (see there).
 *
 * <p>Per row, two passes. First, per block: the integer dot in 16-bit lanes, folded to {@link #LANES}
 * int lanes of partial sums, stored to scratch with the block's F16 scale. Then per LANES blocks: a tree
 * of lane-pair additions across the blocks' partials ({@link #pairSums}) gives one vector of their
 * {@code sumi}, which is converted (exactly), multiplied by the scales (widened and multiplied LANES at a
 * time) and added by one FMA to the half of the accumulator those blocks belong to. Hot, on one Zen 4
 * core, this runs at 1.9-2.0 ns per Q8_0 block, as the former kernel did (per block: partials times a
 * broadcast scale into one accumulator of partial lanes), and at 2.1-2.5 ns per Q4_0 block against 2.0
 * (the Q4_0 dot is cheaper, so the tree weighs more). Lost earlier: 512-bit lanes (Zen 4 runs 512-bit
 * shuffles and multiplies at half rate, so Q4_0 got slower and Q8_0 no faster).
 */
final class QuantRowDots {
    private static final int BITS = Math.min(256, FloatVector.SPECIES_PREFERRED.vectorBitSize());
    static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Twice F's lanes of shorts: a product vector that reinterprets as F's lanes of ints. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());
    /** Half as many shorts as F has lanes: F16 scales widened to F. */
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(BITS / 2));
    /** As many bytes as S has shorts: widened to S. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(BITS / 2));

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int BLOCK = Q8Activations.BLOCK;
    private static final int STEP = S.length();
    static final int Q8_0_BYTES = 2 + BLOCK;
    static final int Q4_0_BYTES = 2 + BLOCK / 2;
    /** Blocks summed together here: lanes of {@link #F} (8, or 4 with 128-bit vectors). */
    static final int LANES = F.length();
    /** Lanes of the shared accumulator: blocks per group of the many-token layout. */
    static final int GROUP_BLOCKS = FloatVector.SPECIES_PREFERRED.length();
    /** Halves of that accumulator (LANES blocks each): 2 with 512-bit vectors, else 1. */
    private static final int HALVES = GROUP_BLOCKS / LANES;
    /** Lanes {@code 2i} and {@code 2i + 1} of two concatenated vectors: see {@link #pairSums}. */
    private static final IntVector EVEN = IntVector.fromArray(I, iota(0), 0);
    private static final IntVector ODD = IntVector.fromArray(I, iota(1), 0);

    static {
        if ((LANES != 4 && LANES != 8) || HALVES < 1 || HALVES > 2 || HALVES * LANES != GROUP_BLOCKS) {
            throw new IllegalStateException("unsupported vector shape: preferred " + FloatVector.SPECIES_PREFERRED
                    + " is not one or two of the quant kernels' " + F);
        }
    }

    private QuantRowDots() {}

    private static int[] iota(int first) {
        int[] idx = new int[LANES];
        for (int i = 0; i < LANES; i++) {
            idx[i] = first + 2 * i;
        }
        return idx;
    }

    /**
     * Scratch for a row's per-block partial sums ({@link #LANES} ints per block) and scales, for rows
     * of up to {@code numBlocks} blocks.
     */
    record Scratch(int[] partials, short[] scales) {
        Scratch(int numBlocks) {
            this(new int[roundUp(numBlocks) * LANES], new short[roundUp(numBlocks)]);
        }
    }

    private static int roundUp(int numBlocks) {
        return (numBlocks + LANES - 1) / LANES * LANES;
    }

    /** The Q8_0 row at byte {@code wOff} against the activation quants of block {@code xBlock} onwards. */
    static float q8_0(MemorySegment w, long wOff, int numBlocks, Q8Activations x, int xBlock, Scratch scratch) {
        int[] partials = scratch.partials();
        short[] scales = scratch.scales();
        // Two passes: blocks to partial sums in L1, then the sums. In one pass, eight blocks' integer
        // dots and the tree over them were more than C2 would inline into one loop body (even two blocks
        // and one level of the tree were: NodeCountInliningCutoff), and the vectors passed to what it did
        // not inline were boxed.
        for (int b = 0; b < numBlocks; b++) {
            long at = wOff + (long) b * Q8_0_BYTES;
            scales[b] = w.get(I16_LE, at);
            q8Block(w, at, x.q, xBlock + b).intoArray(partials, b * LANES);
        }
        return sumBlocks(partials, scales, numBlocks, x.d, xBlock);
    }

    /**
     * {@code sum_b sumi_b * scale_b} in the shared order, from each block's partial sums (LANES ints at
     * {@code partials[b * LANES]}) and scale. Blocks past {@code numBlocks} up to a multiple of LANES
     * count as zero, which adds +0 to a lane that is never -0.
     */
    private static float sumBlocks(int[] partials, short[] scaleBits, int numBlocks, float[] xd, int xBlock) {
        if (numBlocks % LANES != 0) {
            java.util.Arrays.fill(partials, numBlocks * LANES, roundUp(numBlocks) * LANES, 0);
            java.util.Arrays.fill(scaleBits, numBlocks, roundUp(numBlocks), (short) 0);
        }
        FloatVector acc = FloatVector.zero(F);
        FloatVector next = FloatVector.zero(F); // the other half of the accumulator
        for (int b = 0; b < numBlocks; b += LANES) {
            int at = b * LANES;
            IntVector sumi;
            if (LANES == 8) {
                IntVector s0 = pairSums(IntVector.fromArray(I, partials, at), IntVector.fromArray(I, partials, at + LANES));
                IntVector s1 = pairSums(IntVector.fromArray(I, partials, at + 2 * LANES), IntVector.fromArray(I, partials, at + 3 * LANES));
                IntVector s2 = pairSums(IntVector.fromArray(I, partials, at + 4 * LANES), IntVector.fromArray(I, partials, at + 5 * LANES));
                IntVector s3 = pairSums(IntVector.fromArray(I, partials, at + 6 * LANES), IntVector.fromArray(I, partials, at + 7 * LANES));
                sumi = pairSums(pairSums(s0, s1), pairSums(s2, s3));
            } else {
                IntVector s0 = pairSums(IntVector.fromArray(I, partials, at), IntVector.fromArray(I, partials, at + LANES));
                IntVector s1 = pairSums(IntVector.fromArray(I, partials, at + 2 * LANES), IntVector.fromArray(I, partials, at + 3 * LANES));
                sumi = pairSums(s0, s1);
            }
            // d_w * d_x per block, as a float product (the weight scales widened from F16 here, eight at a
            // time, rather than one by one in the first pass). Past the row's last block: 0 * anything.
            FloatVector dx = b + LANES <= numBlocks
                    ? FloatVector.fromArray(F, xd, xBlock + b)
                    : FloatVector.fromArray(F, xd, xBlock + b, F.indexInRange(b, numBlocks));
            FloatVector scales = halfToFloat(ShortVector.fromArray(H, scaleBits, b)).mul(dx);
            FloatVector sum = ((FloatVector) sumi.convert(VectorOperators.I2F, 0)).fma(scales, acc);
            if (HALVES == 2) {
                acc = next;
                next = sum;
            } else {
                acc = sum;
            }
        }
        return LaneSums.sumQuant(HALVES == 2 ? acc.add(next) : acc);
    }

    /**
     * F16 bits to F32, lane-wise, as {@link FloatRowDots#halfToFloat}: exact for every finite half;
     * infinities and NaNs come out finite, as from {@link #halfToFloat(short)}, which the many-token
     * path uses, so that even such scales give the same result on both paths.
     */
    private static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 13).and(0x8fff_e000).reinterpretAsFloats().mul(0x1p112f);
    }

    /** One lane of {@link #halfToFloat(ShortVector)}. */
    static float halfToFloat(short h) {
        return Float.intBitsToFloat((h << 13) & 0x8fff_e000) * 0x1p112f;
    }

    /**
     * Lane i of the result is {@code c[2i] + c[2i + 1]}, c being a and b concatenated. Applied to two
     * blocks' partials, it leaves half as many partials per block, the first block's in the low lanes;
     * after log2(LANES) levels over LANES blocks, lane k holds block k's sum. Integer additions: exact.
     */
    static IntVector pairSums(IntVector a, IntVector b) {
        return EVEN.selectFrom(a, b).add(ODD.selectFrom(a, b));
    }

    /**
     * One Q8_0 block's integer dot as F's lanes of partial sums (their total is the block's sumi). Bytes
     * widen to shorts and multiply in 16 bits (|127 * -128| fits); two halves' products add in 16 bits
     * (2 * 16256 fits); then each int lane adds its two shorts, as SIMD int8 dot instructions do, which
     * Java cannot name.
     */
    private static IntVector q8Block(MemorySegment w, long at, short[] xq, int xBlock) {
        // One step with 256-bit vectors, two with 128-bit ones; written out in one method, because each
        // call level counts against C2's inlining depth, and past it the vector operations are not
        // intrinsified but boxed.
        int xAt = xBlock * BLOCK;
        IntVector sum = IntVector.zero(I);
        for (int j = 0; j < BLOCK; j += 2 * STEP) {
            ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B, w, at + 2 + j, LE).convertShape(VectorOperators.B2S, S, 0);
            ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B, w, at + 2 + j + STEP, LE).convertShape(VectorOperators.B2S, S, 0);
            IntVector v = w0.mul(ShortVector.fromArray(S, xq, xAt + j)).add(w1.mul(ShortVector.fromArray(S, xq, xAt + j + STEP)))
                    .reinterpretAsInts();
            sum = sum.add(v.lanewise(VectorOperators.ASHR, 16)).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
        }
        return sum;
    }

    /** As {@link #q8_0} for a Q4_0 row: byte j holds element j (low nibble) and j + 16 (high), each q - 8. */
    static float q4_0(MemorySegment w, long wOff, int numBlocks, Q8Activations x, int xBlock, Scratch scratch) {
        int[] partials = scratch.partials();
        short[] scales = scratch.scales();
        // Shaped as q8_0 (see there).
        for (int b = 0; b < numBlocks; b++) {
            long at = wOff + (long) b * Q4_0_BYTES;
            scales[b] = w.get(I16_LE, at);
            q4Block(w, at, x.q, xBlock + b).intoArray(partials, b * LANES);
        }
        return sumBlocks(partials, scales, numBlocks, x.d, xBlock);
    }

    /**
     * One Q4_0 block's integer dot as F's lanes of partial sums. The packed bytes widen to shorts first,
     * because x86 has no byte shift; low and high nibbles' products with their activations add in 16
     * bits (2 * 8 * 127 fits). An int lane then holds two such sums small enough that
     * {@code (v + (v << 16)) >> 16} adds them in three operations.
     */
    private static IntVector q4Block(MemorySegment w, long at, short[] xq, int xBlock) {
        // Written out in one method, as q8Block.
        int xAt = xBlock * BLOCK;
        IntVector sum = IntVector.zero(I);
        for (int j = 0; j < BLOCK / 2; j += STEP) {
            ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B, w, at + 2 + j, LE)
                    .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
            ShortVector lo = packed.and((short) 0x0f).sub((short) 8);
            ShortVector hi = packed.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
            IntVector v = lo.mul(ShortVector.fromArray(S, xq, xAt + j)).add(hi.mul(ShortVector.fromArray(S, xq, xAt + j + BLOCK / 2)))
                    .reinterpretAsInts();
            sum = sum.add(v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16));
        }
        return sum;
    }
}
