package io.moeoperator.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Encodes float rows into ggml element types and decodes them back, exactly as ggml's reference
 * code does (round-to-nearest-even f16, Q8_0 {@code d = amax/127}, Q4_0 {@code d = max/-8}). This is
 * the slow, obviously-correct path: writers and the scalar reference kernels use it.
 */
public final class GgmlCodec {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private GgmlCodec() {}

    /** Encodes {@code n} floats from {@code src[srcOff..]} into {@code dst} at byte {@code dstOff}. */
    public static void encode(GgmlType type, float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, srcOff, dst, F32, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I16, dstOff + 2L * i, Float.floatToFloat16(src[srcOff + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(I16, dstOff + 2L * i, toBf16(src[srcOff + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    encodeQ8_0Block(src, srcOff + b * 32, dst, dstOff + b * 34L);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    encodeQ4_0Block(src, srcOff + b * 32, dst, dstOff + b * 18L);
                }
            }
        }
    }

    /** Decodes {@code n} elements starting at element {@code elemOff} of {@code src} into {@code dst}. */
    public static void decode(GgmlType type, MemorySegment src, long elemOff, float[] dst, int dstOff, int n) {
        switch (type) {
            case F32 -> MemorySegment.copy(src, F32, elemOff * 4, dst, dstOff, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.float16ToFloat(src.get(I16, (elemOff + i) * 2));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = Float.intBitsToFloat(src.get(I16, (elemOff + i) * 2) << 16);
                }
            }
            case Q8_0, Q4_0 -> {
                if (elemOff % 32 != 0 || n % 32 != 0) {
                    throw new IllegalArgumentException(type + " decodes whole blocks of 32");
                }
                long block = elemOff / 32;
                for (int b = 0; b < n / 32; b++) {
                    if (type == GgmlType.Q8_0) {
                        decodeQ8_0Block(src, (block + b) * 34, dst, dstOff + b * 32);
                    } else {
                        decodeQ4_0Block(src, (block + b) * 18, dst, dstOff + b * 32);
                    }
                }
            }
        }
    }

    public static short toBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) { // NaN: keep it quiet
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    static void encodeQ8_0Block(float[] x, int off, MemorySegment dst, long at) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[off + j]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        dst.set(I16, at, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) Math.round(x[off + j] * id));
        }
    }

    /**
     * Quantizes activations to Q8_0 as ggml's x86 SIMD {@code quantize_row_q8_0} does before a dot
     * product with Q8_0/Q4_0 weights. It differs from the reference used for weights in two
     * last-bit ways that decide ties: the multiplier is {@code 127 / amax} rather than {@code 1 / d},
     * and rounding is to nearest even rather than away from zero.
     */
    public static void encodeQ8_0Activations(float[] x, int off, int n, MemorySegment dst, long dstOff) {
        for (int b = 0; b < n / 32; b++) {
            int from = off + b * 32;
            long at = dstOff + b * 34L;
            float amax = 0;
            for (int j = 0; j < 32; j++) {
                amax = Math.max(amax, Math.abs(x[from + j]));
            }
            float id = amax != 0 ? 127f / amax : 0f;
            dst.set(I16, at, Float.floatToFloat16(amax / 127f));
            for (int j = 0; j < 32; j++) {
                dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (int) Math.rint(x[from + j] * id));
            }
        }
    }

    static void decodeQ8_0Block(MemorySegment src, long at, float[] dst, int off) {
        float d = Float.float16ToFloat(src.get(I16, at));
        for (int j = 0; j < 32; j++) {
            dst[off + j] = d * src.get(ValueLayout.JAVA_BYTE, at + 2 + j);
        }
    }

    static void encodeQ4_0Block(float[] x, int off, MemorySegment dst, long at) {
        float amax = 0;
        float max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[off + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0 ? 1f / d : 0f;
        dst.set(I16, at, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int lo = Math.min(15, (byte) (x[off + j] * id + 8.5f));
            int hi = Math.min(15, (byte) (x[off + 16 + j] * id + 8.5f));
            dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | (hi << 4)));
        }
    }

    static void decodeQ4_0Block(MemorySegment src, long at, float[] dst, int off) {
        float d = Float.float16ToFloat(src.get(I16, at));
        for (int j = 0; j < 16; j++) {
            int q = src.get(ValueLayout.JAVA_BYTE, at + 2 + j) & 0xff;
            dst[off + j] = ((q & 0x0f) - 8) * d;
            dst[off + 16 + j] = ((q >>> 4) - 8) * d;
        }
    }
}
