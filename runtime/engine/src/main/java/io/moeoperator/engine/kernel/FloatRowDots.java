package io.moeoperator.engine.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products of weight rows stored as F32, F16 or BF16 with one float activation row: the one-token
 * matmul path. Weights are read straight from the (mapped) segment and widened to F32 in registers, so
 * a row costs one pass over its bytes. Each row's sum is formed exactly as {@link TokenDots} forms it
 * from decoded rows, so a token's result does not depend on the path.
 */
final class FloatRowDots {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Half-width shorts: one load gives as many halves as a float vector has lanes. */
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, F.vectorShape());

    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();

    private FloatRowDots() {}

    /**
     * {@code sum_i w[i] * x[i]} for the F32 row at byte {@code wOff}, in the order of {@link TokenDots}:
     * one FMA chain over whole vectors, {@link LaneSums}, then the remaining elements one by one.
     *
     * <p>One chain is latency-bound at one FMA per 4 cycles, 16 bytes a cycle of F32 (8 of F16), which
     * is still above what one core streams from memory (~20 GB/s cold). Four rows at a time (four
     * chains) ran faster hot but at half the speed cold for 2 KB rows: two rows in one 4 KB page, read
     * alternately, no longer looked like a stream to the prefetcher (MatmulBench, Zen 4).
     */
    static float f32(MemorySegment w, long wOff, float[] x, int n) {
        FloatVector acc = FloatVector.zero(F);
        long vecEnd = wOff + 4L * (n - n % L);
        int i = 0;
        // The loop counts bytes in a long on purpose: C2 then leaves it un-unrolled, so the weight loads
        // issue in ascending address order. The unrolled int-counted form it makes otherwise interleaves
        // them descending within each unrolled step, which on cold memory ran at ~9 GB/s against ~20 GB/s
        // for this form (MatmulBench, Zen 4).
        for (long at = wOff; at < vecEnd; at += 4L * L, i += L) {
            acc = FloatVector.fromMemorySegment(F, w, at, LE).fma(FloatVector.fromArray(F, x, i), acc);
        }
        return f32Tail(LaneSums.sum(acc), w, wOff, x, i, n);
    }

    /** As {@link #f32} for an F16 row; {@code x} should already be rounded to F16 (ggml does). */
    static float f16(MemorySegment w, long wOff, float[] x, int n) {
        FloatVector acc = FloatVector.zero(F);
        long vecEnd = wOff + 2L * (n - n % L);
        int i = 0;
        // Shaped as f32 (see there), with the halves widened in registers.
        for (long at = wOff; at < vecEnd; at += 2L * L, i += L) {
            acc = halfToFloat(ShortVector.fromMemorySegment(H, w, at, LE)).fma(FloatVector.fromArray(F, x, i), acc);
        }
        return f16Tail(LaneSums.sum(acc), w, wOff, x, i, n);
    }

    /** As {@link #f32} for a BF16 row; {@code x} should already be rounded to BF16 (ggml does). */
    static float bf16(MemorySegment w, long wOff, float[] x, int n) {
        FloatVector acc = FloatVector.zero(F);
        long vecEnd = wOff + 2L * (n - n % L);
        int i = 0;
        // Shaped as f32 (see there); a BF16 is the top half of an F32, so widening is a shift.
        for (long at = wOff; at < vecEnd; at += 2L * L, i += L) {
            acc = bf16ToFloat(ShortVector.fromMemorySegment(H, w, at, LE)).fma(FloatVector.fromArray(F, x, i), acc);
        }
        return bf16Tail(LaneSums.sum(acc), w, wOff, x, i, n);
    }

    /** {@code sum} plus the products of elements {@code [from, n)} of the row at {@code rowAt}, in order. */
    private static float f32Tail(float sum, MemorySegment w, long rowAt, float[] x, int from, int n) {
        for (int j = from; j < n; j++) {
            sum += w.get(F32_LE, rowAt + 4L * j) * x[j];
        }
        return sum;
    }

    private static float f16Tail(float sum, MemorySegment w, long rowAt, float[] x, int from, int n) {
        for (int j = from; j < n; j++) {
            sum += Float.float16ToFloat(w.get(I16_LE, rowAt + 2L * j)) * x[j];
        }
        return sum;
    }

    private static float bf16Tail(float sum, MemorySegment w, long rowAt, float[] x, int from, int n) {
        for (int j = from; j < n; j++) {
            sum += Float.intBitsToFloat(w.get(I16_LE, rowAt + 2L * j) << 16) * x[j];
        }
        return sum;
    }

    /**
     * F16 bits to F32, lane-wise. JDK 25's Vector API has no half-precision conversion, so: move the
     * half's sign, exponent and mantissa to where a float keeps them, which reads as the value times
     * 2^-112, and multiply by 2^112. Sign-extending to int and shifting left by 13 lands the sign in bit
     * 31 and exponent+mantissa in bits 27..13; the mask clears the sign copies in bits 30..28. Exact for
     * every finite half, subnormals included (the product is representable, and Java never flushes
     * subnormals); infinities and NaNs come out as finite values, which model weights do not contain.
     */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 13).and(0x8fff_e000).reinterpretAsFloats().mul(0x1p112f);
    }

    static FloatVector bf16ToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
