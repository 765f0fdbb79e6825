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
 * Decodes one weight row to F32 into {@code dst} from {@code off}, vectorised, with exactly the values
 * {@code GgmlCodec.decode} gives. The multi-token matmul path decodes a row once and multiplies it with
 * many tokens, so the unpacking is paid once per row rather than once per row and token. The loops are
 * plain: the row is small and its decoded copy goes to L1.
 */
final class RowDecode {
    private static final VectorSpecies<Float> F = FloatRowDots.F;
    private static final VectorSpecies<Short> H = FloatRowDots.H;
    private static final VectorSpecies<Integer> I = FloatRowDots.I;
    /** As many bytes as F has lanes (at least the 64-bit minimum shape). */
    private static final VectorSpecies<Byte> B =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, F.vectorBitSize() / 4)));
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    private static final int L = F.length();
    private static final int BLOCK = Q8Activations.BLOCK;

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

    /** {@code d * q} per element, the product rounded to F32 as the codec does. */
    static void q8_0(MemorySegment w, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n / BLOCK; b++) {
            long blockAt = at + (long) b * QuantRowDots.Q8_0_BYTES;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16_LE, blockAt)));
            for (int j = 0; j < BLOCK; j += B.length()) {
                for (int part = 0; part < B.length() / L; part++) {
                    FloatVector q = (FloatVector) ByteVector.fromMemorySegment(B, w, blockAt + 2 + j, LE)
                            .convertShape(VectorOperators.B2F, F, part);
                    q.mul(d).intoArray(dst, off + b * BLOCK + j + part * L);
                }
            }
        }
    }

    /** {@code (q - 8) * d} per element; byte j holds element j (low nibble) and j + 16 (high). */
    static void q4_0(MemorySegment w, long at, int n, float[] dst, int off) {
        for (int b = 0; b < n / BLOCK; b++) {
            long blockAt = at + (long) b * QuantRowDots.Q4_0_BYTES;
            FloatVector d = FloatVector.broadcast(F, Float.float16ToFloat(w.get(I16_LE, blockAt)));
            // Each packed byte yields element j (low nibble) and j + 16 (high): two stores per load.
            for (int j = 0; j < BLOCK / 2; j += B.length()) {
                for (int part = 0; part < B.length() / L; part++) {
                    IntVector packed = (IntVector) ByteVector.fromMemorySegment(B, w, blockAt + 2 + j, LE)
                            .convertShape(VectorOperators.ZERO_EXTEND_B2I, I, part);
                    int e = off + b * BLOCK + j + part * L;
                    ((FloatVector) packed.and(0x0f).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, e);
                    ((FloatVector) packed.lanewise(VectorOperators.LSHR, 4).sub(8).convert(VectorOperators.I2F, 0))
                            .mul(d).intoArray(dst, e + BLOCK / 2);
                }
            }
        }
    }
}
