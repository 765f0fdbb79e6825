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
 * <p>The block sums stay in a float vector accumulator (one lane-wise FMA per block) and are reduced
 * across lanes once per row; a horizontal reduction per block would cost more than the block's
 * arithmetic.
 */
final class QuantRowDots {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());
    /** 2L shorts: a product vector that reinterprets as L ints. */
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, F.vectorShape());
    /** 2L bytes: widen to S. */
    private static final VectorSpecies<Byte> B = VectorSpecies.of(byte.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    /**
     * Q4_0 packed bytes per step (L, but at least the 64-bit minimum shape) and their nibbles widened
     * to shorts; with 128-bit vectors those shorts fill two int vectors.
     */
    private static final VectorSpecies<Byte> B_PACKED =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 4)));
    private static final VectorSpecies<Short> S_NIBBLES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(2 * B_PACKED.vectorBitSize()));
    private static final int NIBBLE_PARTS = S_NIBBLES.length() / F.length();

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    private static final int BLOCK = Q8Activations.BLOCK;
    static final int Q8_0_BYTES = 2 + BLOCK;
    static final int Q4_0_BYTES = 2 + BLOCK / 2;

    private QuantRowDots() {}

    /** The Q8_0 row at byte {@code wOff} ({@code numBlocks} blocks) against token quants from {@code xOff}. */
    static float q8_0(MemorySegment w, long wOff, int numBlocks, Q8Activations x, int xOff) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < numBlocks; b++) {
            long at = wOff + (long) b * Q8_0_BYTES;
            int xAt = xOff + b * BLOCK;
            // 2L quant pairs per step (one step per block with 512-bit vectors): bytes widen to shorts,
            // multiply in 16 bits (|127 * -128| fits), and each int lane adds its two short products.
            // That pairwise add is what SIMD int8 dot instructions do; it keeps the block in one vector.
            IntVector sum = q8Pairs(w, at + 2, x.q, xAt);
            for (int j = 2 * L; j < BLOCK; j += 2 * L) {
                sum = sum.add(q8Pairs(w, at + 2 + j, x.q, xAt + j));
            }
            float scale = Float.float16ToFloat(w.get(I16_LE, at)) * x.d[xAt / BLOCK];
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** Sums of adjacent products of 2L weight quants at byte {@code at} and 2L activation quants. */
    private static IntVector q8Pairs(MemorySegment w, long at, short[] xq, int xAt) {
        ShortVector wq = (ShortVector) ByteVector.fromMemorySegment(B, w, at, LE).convertShape(VectorOperators.B2S, S, 0);
        IntVector prod = wq.mul(ShortVector.fromArray(S, xq, xAt)).reinterpretAsInts();
        return prod.lanewise(VectorOperators.ASHR, 16).add(prod.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16));
    }

    /** As {@link #q8_0} for a Q4_0 row: byte j holds element j (low nibble) and j + 16 (high), each q - 8. */
    static float q4_0(MemorySegment w, long wOff, int numBlocks, Q8Activations x, int xOff) {
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < numBlocks; b++) {
            long at = wOff + (long) b * Q4_0_BYTES;
            int xAt = xOff + b * BLOCK;
            // L packed bytes per step give L low and L high quants. They are split after widening to
            // shorts, because x86 has no byte shift; the products with the matching activations add
            // lane-wise in shorts (2 * 8 * 127 fits), then widen to L ints.
            IntVector sum = IntVector.zero(I);
            for (int j = 0; j < BLOCK / 2; j += B_PACKED.length()) {
                ShortVector packed = (ShortVector) ByteVector.fromMemorySegment(B_PACKED, w, at + 2 + j, LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S_NIBBLES, 0);
                ShortVector lo = packed.and((short) 0x0f).sub((short) 8);
                ShortVector hi = packed.lanewise(VectorOperators.LSHR, 4).sub((short) 8);
                ShortVector prod = lo.mul(ShortVector.fromArray(S_NIBBLES, x.q, xAt + j))
                        .add(hi.mul(ShortVector.fromArray(S_NIBBLES, x.q, xAt + BLOCK / 2 + j)));
                for (int part = 0; part < NIBBLE_PARTS; part++) {
                    sum = sum.add((IntVector) prod.convertShape(VectorOperators.S2I, I, part));
                }
            }
            float scale = Float.float16ToFloat(w.get(I16_LE, at)) * x.d[xAt / BLOCK];
            acc = ((FloatVector) sum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, scale), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
