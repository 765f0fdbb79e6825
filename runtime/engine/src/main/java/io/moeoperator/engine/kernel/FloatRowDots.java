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
        FloatVector a2 = FloatVector.zero(F);
        FloatVector a3 = FloatVector.zero(F);
        int i = 0;
        // Four independent FMA chains: a single chain waits out the FMA latency on every vector and
        // cannot consume the loads as fast as memory delivers them.
        for (; i <= n - 4 * L; i += 4 * L) {
            long at = wOff + 4L * i;
            a0 = FloatVector.fromMemorySegment(F, w, at, LE).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = FloatVector.fromMemorySegment(F, w, at + 4L * L, LE).fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
            a2 = FloatVector.fromMemorySegment(F, w, at + 8L * L, LE).fma(FloatVector.fromArray(F, x, xOff + i + 2 * L), a2);
            a3 = FloatVector.fromMemorySegment(F, w, at + 12L * L, LE).fma(FloatVector.fromArray(F, x, xOff + i + 3 * L), a3);
        }
        for (; i <= n - L; i += L) {
            a0 = FloatVector.fromMemorySegment(F, w, wOff + 4L * i, LE).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += w.get(F32_LE, wOff + 4L * i) * x[xOff + i];
        }
        return sum;
    }

    /** As {@link #f32} for an F16 row; {@code x} should already be rounded to F16 (ggml does). */
    static float f16(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        // Two chains suffice here: the conversion already spaces the FMAs out.
        for (; i <= n - 2 * L; i += 2 * L) {
            long at = wOff + 2L * i;
            a0 = halfToFloat(ShortVector.fromMemorySegment(H, w, at, LE)).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = halfToFloat(ShortVector.fromMemorySegment(H, w, at + 2L * L, LE))
                    .fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (; i <= n - L; i += L) {
            a0 = halfToFloat(ShortVector.fromMemorySegment(H, w, wOff + 2L * i, LE)).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.float16ToFloat(w.get(I16_LE, wOff + 2L * i)) * x[xOff + i];
        }
        return sum;
    }

    /** As {@link #f32} for a BF16 row. */
    static float bf16(MemorySegment w, long wOff, float[] x, int xOff, int n) {
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = FloatVector.zero(F);
        int i = 0;
        // Same shape as f16: a BF16 is the top half of an F32, so widening is a shift.
        for (; i <= n - 2 * L; i += 2 * L) {
            long at = wOff + 2L * i;
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(H, w, at, LE)).fma(FloatVector.fromArray(F, x, xOff + i), a0);
            a1 = bf16ToFloat(ShortVector.fromMemorySegment(H, w, at + 2L * L, LE))
                    .fma(FloatVector.fromArray(F, x, xOff + i + L), a1);
        }
        for (; i <= n - L; i += L) {
            a0 = bf16ToFloat(ShortVector.fromMemorySegment(H, w, wOff + 2L * i, LE)).fma(FloatVector.fromArray(F, x, xOff + i), a0);
        }
        float sum = a0.add(a1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += Float.intBitsToFloat(w.get(I16_LE, wOff + 2L * i) << 16) * x[xOff + i];
        }
        return sum;
    }

    /**
     * F16 bits to F32, lane-wise. JDK 25's Vector API has no half-precision conversion, so: put the
     * half's exponent and mantissa where a float's go ({@code << 13}), which reads as the value times
     * 2^-112, and scale back by 2^112. Exact for every finite half, subnormals included (the product is
     * representable, and Java never flushes subnormals); infinities and NaNs come out as large finite
     * values, which model weights do not contain.
     */
    static FloatVector halfToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0); // sign-extends: bit 31 = sign
        FloatVector magnitude = bits.lanewise(VectorOperators.LSHL, 13).and(0x0fff_e000).reinterpretAsFloats().mul(0x1p112f);
        return magnitude.reinterpretAsInts().or(bits.and(0x8000_0000)).reinterpretAsFloats();
    }

    static FloatVector bf16ToFloat(ShortVector h) {
        IntVector bits = (IntVector) h.convertShape(VectorOperators.S2I, I, 0);
        return bits.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }
}
