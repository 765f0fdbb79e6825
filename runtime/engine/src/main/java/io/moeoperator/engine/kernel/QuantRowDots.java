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
 * block of 32 the integer dot product of the quants (exact), times {@code d_w * d_x}, summed in F32.
 *
 * <p>Per block: the integer dot in 16-bit lanes, folded to ints, converted and multiplied by the
 * block's scale into one float vector accumulator, which is reduced across lanes once per row. Both
 * kernels run at about 2.3 ns per block on one Zen 4 core, bound by vector-port throughput; variants
 * that were measured and lost: two accumulators, a separate pass converting a row's scales, 512-bit
 * lanes (Zen 4 runs 512-bit shuffles and multiplies at half rate, so Q4_0 got slower and Q8_0 no faster).
 */
final class QuantRowDots {
    private static final int BITS = Math.min(256, FloatVector.SPECIES_PREFERRED.vectorBitSize());
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(BITS));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** Twice F's lanes of shorts: a product vector that reinterprets as F's lanes of ints. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());
    /** As many bytes as S has shorts: widened to S. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(BITS / 2));

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int BLOCK = Q8Activations.BLOCK;
    private static final int STEP = S.length();
    static final int Q8_0_BYTES = 2 + BLOCK;
    static final int Q4_0_BYTES = 2 + BLOCK / 2;

    private QuantRowDots() {}

    /** The Q8_0 row at byte {@code wOff} against the activation quants of block {@code xBlock} onwards. */
    static float q8_0(MemorySegment w, long wOff, int numBlocks, Q8Activations x, int xBlock) {
        FloatVector acc = FloatVector.zero(F);
        // A plain counted loop over blocks: C2 unrolls it and removes the bounds checks, which it did
        // not for the two-block-per-iteration variant.
        for (int b = 0; b < numBlocks; b++) {
            long at = wOff + (long) b * Q8_0_BYTES;
            float scale = Float.float16ToFloat(w.get(I16_LE, at)) * x.d[xBlock + b];
            acc = q8Block(w, at, x.q, (xBlock + b) * BLOCK).fma(FloatVector.broadcast(F, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * One Q8_0 block's integer dot as F's lanes of partial sums. Bytes widen to shorts and multiply in
     * 16 bits (|127 * -128| fits); two halves' products add in 16 bits (2 * 16256 fits); then each int
     * lane adds its two shorts, as SIMD int8 dot instructions do, which Java cannot name.
     */
    private static FloatVector q8Block(MemorySegment w, long at, short[] xq, int xAt) {
        IntVector sum = q8Step(w, at + 2, xq, xAt);
        for (int j = 2 * STEP; j < BLOCK; j += 2 * STEP) { // no iterations with 256-bit vectors
            sum = sum.add(q8Step(w, at + 2 + j, xq, xAt + j));
        }
        return (FloatVector) sum.convert(VectorOperators.I2F, 0);
    }

    private static IntVector q8Step(MemorySegment w, long at, short[] xq, int xAt) {
        ShortVector w0 = (ShortVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2S, S, 0);
        ShortVector w1 = (ShortVector) ByteVector.fromMemorySegment(B, w, at + STEP, LE).convertShape(VectorOperators.B2S, S, 0);
        IntVector v = w0.mul(ShortVector.fromArray(S, xq, xAt)).add(w1.mul(ShortVector.fromArray(S, xq, xAt + STEP))).reinterpretAsInts();
        return v.lanewise(VectorOperators.ASHR, 16).add(v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }

    /** As {@link #q8_0} for a Q4_0 row: byte j holds element j (low nibble) and j + 16 (high), each q - 8. */
    static float q4_0(MemorySegment w, long wOff, int numBlocks, Q8Activations x, int xBlock) {
        FloatVector acc = FloatVector.zero(F);
        // Shaped as q8_0 (see there).
        for (int b = 0; b < numBlocks; b++) {
            long at = wOff + (long) b * Q4_0_BYTES;
            float scale = Float.float16ToFloat(w.get(I16_LE, at)) * x.d[xBlock + b];
            acc = q4Block(w, at, x.q, (xBlock + b) * BLOCK).fma(FloatVector.broadcast(F, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * One Q4_0 block's integer dot as F's lanes of partial sums. The packed bytes widen to shorts first,
     * because x86 has no byte shift; low and high nibbles' products with their activations add in 16
     * bits (2 * 8 * 127 fits). An int lane then holds two such sums small enough that
     * {@code (v + (v << 16)) >> 16} adds them in three operations.
     */
    private static FloatVector q4Block(MemorySegment w, long at, short[] xq, int xAt) {
        IntVector sum = q4Step(w, at + 2, xq, xAt);
        for (int j = STEP; j < BLOCK / 2; j += STEP) { // no iterations with 256-bit vectors
            sum = sum.add(q4Step(w, at + 2 + j, xq, xAt + j));
        }
        return (FloatVector) sum.convert(VectorOperators.I2F, 0);
    }

    private static IntVector q4Step(MemorySegment w, long at, short[] xq, int xAt) {
        ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
        ShortVector lo = packed.and((short) 0x0f).sub((short) 8);
        ShortVector hi = packed.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
        IntVector v = lo.mul(ShortVector.fromArray(S, xq, xAt)).add(hi.mul(ShortVector.fromArray(S, xq, xAt + BLOCK / 2))).reinterpretAsInts();
        return v.add(v.lanewise(VectorOperators.LSHL, 16)).lanewise(VectorOperators.ASHR, 16);
    }
}
