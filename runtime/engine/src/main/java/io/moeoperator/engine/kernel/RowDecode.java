package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlCodec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Decodes one weight row for the multi-token matmul path, vectorised: F32, F16, BF16 and F8_E4M3 rows to
 * F32 into {@code dst} from {@code off}, with exactly the values {@code GgmlCodec.decode} gives (F8_E4M3:
 * but for the NaN codes, see {@link #f8e4m3}; its block scales are applied by the dot); Q8_0 and
 * Q4_0 rows to their quants as floats and their scales, in {@link QuantTokenDots}' transposed layout. The path
 * decodes a row once and multiplies it with many tokens, so the unpacking is paid once per row rather
 * than once per row and token. The loops are plain: the row is small and its decoded copy goes to L1.
 */
final class RowDecode {
    private static final VectorSpecies<Float> F = FloatRowDots.F;
    private static final VectorSpecies<Short> H = FloatRowDots.H;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    private static final int BLOCK = Q8Activations.BLOCK;
    // The quant transposes work on 8 blocks at a time in 256-bit int vectors; with 128-bit vectors (no
    // 8-lane int species) the rows are decoded element by element, correct but slow.
    private static final boolean FAST_TRANSPOSE = QuantRowDots.LANES == 8;
    private static final VectorSpecies<Integer> I8 = IntVector.SPECIES_256;
    /** Two-vector permutes of an 8x8 transpose, by level: lanes of the 16 of two vectors. */
    private static final IntVector T1A = indexes(0, 8, 2, 10, 4, 12, 6, 14);
    private static final IntVector T1B = indexes(1, 9, 3, 11, 5, 13, 7, 15);
    private static final IntVector T2A = indexes(0, 1, 8, 9, 4, 5, 12, 13);
    private static final IntVector T2B = indexes(2, 3, 10, 11, 6, 7, 14, 15);
    private static final IntVector T3A = indexes(0, 1, 2, 3, 8, 9, 10, 11);
    private static final IntVector T3B = indexes(4, 5, 6, 7, 12, 13, 14, 15);
    /** The same for 8 blocks of 4 ints, in the low halves of vectors. */
    private static final IntVector Q4_ZIP = indexes(0, 8, 1, 9, 2, 10, 3, 11);
    private static final IntVector Q4_LO = indexes(0, 1, 8, 9, 2, 3, 10, 11);
    private static final IntVector Q4_HI = indexes(4, 5, 12, 13, 6, 7, 14, 15);
    /** Bytes from the first of 8 Q4_0 blocks to the end of the last 256-bit load of {@link #q4Blocks8}. */
    private static final long Q4_OVERREAD = 7L * QuantRowDots.Q4_0_BYTES + 2 + 32;

    private RowDecode() {}

    static void f32(MemorySegment w, long at, int n, float[] dst, int off) {
        MemorySegment.copy(w, F32_LE, at, dst, off, n);
    }

    static void f16(MemorySegment w, long at, int n, float[] dst, int off) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatRowDots.halfToFloat(ShortVector.fromMemorySegment(H, w, at + 2L * i, LE)).intoArray(dst, off + i);
        }
        for (; i < n; i++) {
            dst[off + i] = Float.float16ToFloat(w.get(I16_LE, at + 2L * i));
        }
    }

    static void bf16(MemorySegment w, long at, int n, float[] dst, int off) {
        int i = 0;
        for (; i <= n - L; i += L) {
            FloatRowDots.bf16ToFloat(ShortVector.fromMemorySegment(H, w, at + 2L * i, LE)).intoArray(dst, off + i);
        }
        for (; i < n; i++) {
            dst[off + i] = Float.intBitsToFloat(w.get(I16_LE, at + 2L * i) << 16);
        }
    }

    /**
     * The FP8 E4M3 values of the row of {@code n} bytes at {@code at}, unscaled, in the layout of
     * {@link Fp8RowDots} (whole groups of 4L columns transposed per block of {@code blockCols}). Returns
     * whether the row holds a NaN code (0x7F, 0xFF), whose value is then not written as NaN but as the
     * widening leaves it: the caller makes that row's results NaN.
     */
    static boolean f8e4m3(MemorySegment w, long at, int n, int blockCols, float[] dst, int off) {
        int g = Fp8RowDots.G;
        ByteVector nanMax = ByteVector.broadcast(Fp8RowDots.B, Fp8RowDots.NAN_MARK);
        boolean nan = false;
        for (int c0 = 0; c0 < n; c0 += blockCols) {
            int c1 = Math.min(n, c0 + blockCols);
            int groupsEnd = Fp8RowDots.groupsEnd(c0, c1);
            for (int i = c0; i < groupsEnd; i += g) {
                IntVector v = IntVector.fromMemorySegment(Fp8RowDots.I, w, at + i, LE);
                nanMax = nanMax.max(v.reinterpretAsBytes().or(Fp8RowDots.NAN_MARK));
                Fp8RowDots.widen(v.lanewise(VectorOperators.LSHL, 24)).intoArray(dst, off + i);
                Fp8RowDots.widen(v.lanewise(VectorOperators.LSHL, 16)).intoArray(dst, off + i + L);
                Fp8RowDots.widen(v.lanewise(VectorOperators.LSHL, 8)).intoArray(dst, off + i + 2 * L);
                Fp8RowDots.widen(v).intoArray(dst, off + i + 3 * L);
            }
            for (int j = groupsEnd; j < c1; j++) {
                byte code = w.get(ValueLayout.JAVA_BYTE, at + j);
                nan |= (code | Fp8RowDots.NAN_MARK) == -1;
                dst[off + j] = GgmlCodec.fromF8E4M3(code);
            }
        }
        return nan || Fp8RowDots.sawNaN(nanMax);
    }

    /**
     * The quants of the Q8_0 row at {@code at} as floats, and its block scales, in the transposed layout
     * of {@link QuantTokenDots}, from {@code q[qOff]} and {@code d[dOff]}. Lanes past the last block are
     * not written: the caller zeroes them once.
     */
    static void q8_0Quants(MemorySegment w, long at, int numBlocks, float[] q, int qOff, float[] d, int dOff) {
        int b = 0;
        if (FAST_TRANSPOSE) {
            for (; b + 8 <= numBlocks; b += 8) {
                q8Blocks8(w, at + (long) b * QuantRowDots.Q8_0_BYTES, q, qOff + QuantTokenDots.quantAt(b, 0));
            }
        }
        for (int k = b; k < numBlocks; k++) {
            long blockAt = at + (long) k * QuantRowDots.Q8_0_BYTES;
            for (int e = 0; e < BLOCK; e++) {
                q[qOff + QuantTokenDots.quantAt(k, e)] = w.get(ValueLayout.JAVA_BYTE, blockAt + 2 + e);
            }
        }
        scales(w, at, QuantRowDots.Q8_0_BYTES, numBlocks, d, dOff);
    }

    /** As {@link #q8_0Quants} for a Q4_0 row: byte j holds element j (low nibble) and j + 16 (high), each q - 8. */
    static void q4_0Quants(MemorySegment w, long at, int numBlocks, float[] q, int qOff, float[] d, int dOff) {
        int b = 0;
        if (FAST_TRANSPOSE) {
            // The vector loads read 16 bytes past the 8 blocks: the last ones of the matrix go element-wise.
            for (; b + 8 <= numBlocks && at + (long) b * QuantRowDots.Q4_0_BYTES + Q4_OVERREAD <= w.byteSize(); b += 8) {
                q4Blocks8(w, at + (long) b * QuantRowDots.Q4_0_BYTES, q, qOff + QuantTokenDots.quantAt(b, 0));
            }
        }
        for (int k = b; k < numBlocks; k++) {
            long blockAt = at + (long) k * QuantRowDots.Q4_0_BYTES;
            for (int j = 0; j < BLOCK / 2; j++) {
                int packed = w.get(ValueLayout.JAVA_BYTE, blockAt + 2 + j) & 0xff;
                q[qOff + QuantTokenDots.quantAt(k, j)] = (packed & 0x0f) - 8;
                q[qOff + QuantTokenDots.quantAt(k, j + BLOCK / 2)] = (packed >>> 4) - 8;
            }
        }
        scales(w, at, QuantRowDots.Q4_0_BYTES, numBlocks, d, dOff);
    }

    private static void scales(MemorySegment w, long at, int blockBytes, int numBlocks, float[] d, int dOff) {
        for (int b = 0; b < numBlocks; b++) {
            d[dOff + QuantTokenDots.scaleAt(b)] = QuantRowDots.halfToFloat(w.get(I16_LE, at + (long) b * blockBytes));
        }
    }

    /**
     * Eight Q8_0 blocks from {@code at}: each block's 32 quants are 8 ints of 4 bytes; an 8x8 transpose of
     * the ints (three levels of two-vector permutes) gives, for each int position i, the 8 blocks' int i,
     * whose bytes are elements {@code 4i .. 4i + 3}, stored from {@code base} as the layout wants (element
     * e of the 8 blocks at {@code base + e * L}).
     */
    private static void q8Blocks8(MemorySegment w, long at, float[] q, int base) {
        long n = QuantRowDots.Q8_0_BYTES;
        IntVector r0 = IntVector.fromMemorySegment(I8, w, at + 2, LE);
        IntVector r1 = IntVector.fromMemorySegment(I8, w, at + n + 2, LE);
        IntVector r2 = IntVector.fromMemorySegment(I8, w, at + 2 * n + 2, LE);
        IntVector r3 = IntVector.fromMemorySegment(I8, w, at + 3 * n + 2, LE);
        IntVector r4 = IntVector.fromMemorySegment(I8, w, at + 4 * n + 2, LE);
        IntVector r5 = IntVector.fromMemorySegment(I8, w, at + 5 * n + 2, LE);
        IntVector r6 = IntVector.fromMemorySegment(I8, w, at + 6 * n + 2, LE);
        IntVector r7 = IntVector.fromMemorySegment(I8, w, at + 7 * n + 2, LE);
        IntVector t0 = T1A.selectFrom(r0, r1);
        IntVector t1 = T1B.selectFrom(r0, r1);
        IntVector t2 = T1A.selectFrom(r2, r3);
        IntVector t3 = T1B.selectFrom(r2, r3);
        IntVector t4 = T1A.selectFrom(r4, r5);
        IntVector t5 = T1B.selectFrom(r4, r5);
        IntVector t6 = T1A.selectFrom(r6, r7);
        IntVector t7 = T1B.selectFrom(r6, r7);
        IntVector u0 = T2A.selectFrom(t0, t2);
        IntVector u2 = T2B.selectFrom(t0, t2);
        IntVector u1 = T2A.selectFrom(t1, t3);
        IntVector u3 = T2B.selectFrom(t1, t3);
        IntVector u4 = T2A.selectFrom(t4, t6);
        IntVector u6 = T2B.selectFrom(t4, t6);
        IntVector u5 = T2A.selectFrom(t5, t7);
        IntVector u7 = T2B.selectFrom(t5, t7);
        q8Column(T3A.selectFrom(u0, u4), 0, q, base);
        q8Column(T3B.selectFrom(u0, u4), 4, q, base);
        q8Column(T3A.selectFrom(u1, u5), 1, q, base);
        q8Column(T3B.selectFrom(u1, u5), 5, q, base);
        q8Column(T3A.selectFrom(u2, u6), 2, q, base);
        q8Column(T3B.selectFrom(u2, u6), 6, q, base);
        q8Column(T3A.selectFrom(u3, u7), 3, q, base);
        q8Column(T3B.selectFrom(u3, u7), 7, q, base);
    }

    /** Int i of 8 Q8_0 blocks: its four bytes, sign-extended, are elements {@code 4i + k}. */
    private static void q8Column(IntVector c, int i, float[] q, int base) {
        for (int k = 0; k < 4; k++) {
            IntVector e = c.lanewise(VectorOperators.LSHL, 24 - 8 * k).lanewise(VectorOperators.ASHR, 24);
            ((FloatVector) e.convert(VectorOperators.I2F, 0)).intoArray(q, base + (4 * i + k) * L);
        }
    }

    /**
     * Eight Q4_0 blocks from {@code at}: each block's 16 packed bytes are 4 ints, the low half of a
     * 256-bit load (whose high half, the next block's bytes, the permutes ignore: a masked load would
     * be exact, but C2 did not keep it intrinsic, and everything after it fell back to boxed vectors);
     * three levels of permutes gather the 8 blocks' int i (i < 4) into one vector. Byte k of
     * int i holds elements {@code 4i + k} (low nibble) and {@code 4i + k + 16} (high).
     */
    private static void q4Blocks8(MemorySegment w, long at, float[] q, int base) {
        long n = QuantRowDots.Q4_0_BYTES;
        IntVector r0 = IntVector.fromMemorySegment(I8, w, at + 2, LE);
        IntVector r1 = IntVector.fromMemorySegment(I8, w, at + n + 2, LE);
        IntVector r2 = IntVector.fromMemorySegment(I8, w, at + 2 * n + 2, LE);
        IntVector r3 = IntVector.fromMemorySegment(I8, w, at + 3 * n + 2, LE);
        IntVector r4 = IntVector.fromMemorySegment(I8, w, at + 4 * n + 2, LE);
        IntVector r5 = IntVector.fromMemorySegment(I8, w, at + 5 * n + 2, LE);
        IntVector r6 = IntVector.fromMemorySegment(I8, w, at + 6 * n + 2, LE);
        IntVector r7 = IntVector.fromMemorySegment(I8, w, at + 7 * n + 2, LE);
        IntVector t0 = Q4_ZIP.selectFrom(r0, r1); // r0[0], r1[0], r0[1], r1[1], ...
        IntVector t1 = Q4_ZIP.selectFrom(r2, r3);
        IntVector t2 = Q4_ZIP.selectFrom(r4, r5);
        IntVector t3 = Q4_ZIP.selectFrom(r6, r7);
        IntVector u0 = Q4_LO.selectFrom(t0, t1); // blocks 0..3, ints 0 and 1
        IntVector u1 = Q4_HI.selectFrom(t0, t1); // blocks 0..3, ints 2 and 3
        IntVector u2 = Q4_LO.selectFrom(t2, t3);
        IntVector u3 = Q4_HI.selectFrom(t2, t3);
        q4Column(T3A.selectFrom(u0, u2), 0, q, base);
        q4Column(T3B.selectFrom(u0, u2), 1, q, base);
        q4Column(T3A.selectFrom(u1, u3), 2, q, base);
        q4Column(T3B.selectFrom(u1, u3), 3, q, base);
    }

    /** Int i of 8 Q4_0 blocks: byte k's nibbles, minus 8, are elements {@code 4i + k} and {@code 4i + k + 16}. */
    private static void q4Column(IntVector c, int i, float[] q, int base) {
        for (int k = 0; k < 4; k++) {
            IntVector lo = c.lanewise(VectorOperators.LSHR, 8 * k).and(0x0f).sub(8);
            IntVector hi = c.lanewise(VectorOperators.LSHR, 8 * k + 4).and(0x0f).sub(8);
            ((FloatVector) lo.convert(VectorOperators.I2F, 0)).intoArray(q, base + (4 * i + k) * L);
            ((FloatVector) hi.convert(VectorOperators.I2F, 0)).intoArray(q, base + (4 * i + k + BLOCK / 2) * L);
        }
    }

    private static IntVector indexes(int... idx) {
        return IntVector.fromArray(I8, idx, 0);
    }
}
