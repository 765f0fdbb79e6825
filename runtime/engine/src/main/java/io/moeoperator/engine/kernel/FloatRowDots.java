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
 * Dot products of one weight row stored as F32, F16 or BF16 with a float activation row: the inner
 * loops of {@link VectorOps#matmul}. Weights are read straight from the (mapped) segment and widened to
 * F32 in registers, so a row costs one pass over its bytes.
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

    /** {@code sum_i w[i] * x[xOff + i]} for the F32 row at byte {@code wOff}. */
    static float f32(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = xOff;
        long vecEnd = wOff + 4L * (n - n % (2 * L));
        // Two FMA chains hide the FMA latency. The loop counts bytes in a long on purpose: C2 then
        // leaves it un-unrolled, so the weight loads issue in ascending address order. The unrolled
        // int-counted form it makes otherwise interleaves them descending within each unrolled step,
        // which on cold memory ran at ~9 GB/s against ~20 GB/s for this form (MatmulBench, Zen 4).
        for (long at = wOff; at < vecEnd; at += 8L * L, i += 2 * L) {
            a0 = FloatVector.fromMemorySegment(F, w, at, LE).fma(FloatVector.fromArray(F, x, i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, at + 4L * L, LE).fma(FloatVector.fromArray(F, x, i + L), a1);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (long at = vecEnd; i < xOff + n; at += 4, i++) {
            sum += w.get(F32_LE, at) * x[i];
        }
        return sum;
    }

    /** As {@link #f32} for an F16 row; {@code x} should already be rounded to F16 (ggml does). */
    static float f16(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = xOff;
        long vecEnd = wOff + 2L * (n - n % (2 * L));
        // Shaped as f32 (see there), with the halves widened in registers.
        for (long at = wOff; at < vecEnd; at += 4L * L, i += 2 * L) {
            a0 = halfToFloat(ShortVector.fromMemorySegment(H, w, at, LE)).fma(FloatVector.fromArray(F, x, i), a0);
            a1 = halfToFloat(ShortVector.fromMemorySegment(H, w, at + 2L * L, LE)).fma(FloatVector.fromArray(F, x, i + L), a1);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (long at = vecEnd; i < xOff + n; at += 2, i++) {
            sum += Float.float16ToFloat(w.get(I16_LE, at)) * x[i];
        }
        return sum;
    }

    /** As {@link #f32} for a BF16 row; {@code x} should already be rounded to BF16 (ggml does). */
    static float bf16(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = xOff;
        long vecEnd = wOff + 2L * (n - n % (2 * L));
        // Shaped as f32 (see there); a BF16 is the top half of an F32, so widening is a shift.
        for (long at = wOff; at < vecEnd; at += 4L * L, i += 2 * L) {
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(H, w, at, LE)).fma(FloatVector.fromArray(F, x, i), a0);
            a1 = bf16ToFloat(ShortVector.fromMemorySegment(H, w, at + 2L * L, LE)).fma(FloatVector.fromArray(F, x, i + L), a1);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (long at = vecEnd; i < xOff + n; at += 2, i++) {
            sum += Float.intBitsToFloat(w.get(I16_LE, at) << 16) * x[i];
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
