package io.moeoperator.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Encodes float rows into ggml element types and decodes them back, exactly as ggml's reference
 * code does (round-to-nearest-even f16, Q8_0 {@code d = amax/127}, Q4_0 {@code d = max/-8}), and FP8
 * E4M3 exactly as PyTorch does ({@link #toF8E4M3}). This is the slow, obviously-correct path: writers
 * and the scalar reference kernels use it.
 *
 * <p>F8_E4M3 elements are the values alone: the block scales that make them weights live beside
 * them ({@code kernel.BlockScales}) and are not applied here.
 */
public final class GgmlCodec {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    /** The largest finite FP8 E4M3 value, 1.75 * 2^8 (bits 0x7E). */
    public static final float F8_E4M3_MAX = 448f;
    /** Every FP8 E4M3 code's float value (index = the byte, unsigned). */
    private static final float[] F8_E4M3_VALUES = new float[256];

    static {
        for (int code = 0; code < 256; code++) {
            F8_E4M3_VALUES[code] = f8E4M3Value(code);
        }
    }

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
            case F8_E4M3 -> {
                for (int i = 0; i < n; i++) {
                    dst.set(ValueLayout.JAVA_BYTE, dstOff + i, toF8E4M3(src[srcOff + i]));
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
            case F8_E4M3 -> {
                for (int i = 0; i < n; i++) {
                    dst[dstOff + i] = fromF8E4M3(src.get(ValueLayout.JAVA_BYTE, elemOff + i));
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

    /**
     * The float value of an FP8 E4M3 code (OCP "E4M3", PyTorch's {@code float8_e4m3fn}): sign, 4 exponent
     * bits with bias 7, 3 mantissa bits; exponent 0 is subnormal ({@code m/8 * 2^-6}); no infinities;
     * 0x7F and 0xFF are NaN, returned with the bits PyTorch gives them (0x7FF00000, 0xFFF00000).
     */
    public static float fromF8E4M3(byte code) {
        return F8_E4M3_VALUES[code & 0xff];
    }

    /** The definition, by which the table is filled. */
    private static float f8E4M3Value(int code) {
        int sign = (code & 0x80) << 24;
        int exp = (code >>> 3) & 0xf;
        int mant = code & 0x7;
        if (exp == 0xf && mant == 0x7) {
            return Float.intBitsToFloat(sign | 0x7ff0_0000);
        }
        float magnitude = exp == 0 ? Math.scalb(mant / 8f, -6) : Math.scalb(1 + mant / 8f, exp - 7);
        return Float.intBitsToFloat(sign | Float.floatToRawIntBits(magnitude));
    }

    /**
     * The FP8 E4M3 code nearest to {@code f}, ties to even, as PyTorch 2.12 and later convert
     * ({@code x.to(torch.float8_e4m3fn)}, checked against torch 2.14.1 on 402,018 inputs): magnitudes that
     * round above 448, and infinities, saturate to +-448; NaN stays NaN (0x7F, 0xFF with its sign).
     * Before 2.12 torch gave NaN for magnitudes from 464 up (just past the tie with 448) and for
     * infinities; saturating is what the OCP spec calls its saturating mode and what a quantizer wants:
     * one NaN weight would make every output of its row NaN. A quantizer that scales blocks by
     * {@code amax / 448} (DeepSeek's) never reaches it anyway.
     */
    public static byte toF8E4M3(float f) {
        int sign = (Float.floatToRawIntBits(f) >>> 24) & 0x80;
        float a = Math.abs(f);
        if (Float.isNaN(f)) {
            return (byte) (sign | 0x7f);
        }
        if (a >= F8_E4M3_MAX) { // everything from 448 up rounds or saturates to it
            return (byte) (sign | 0x7e);
        }
        if (a < 0x1p-6f) {
            // Subnormals are the multiples of 2^-9: the scaling is exact and rint ties to even. 8 (the
            // smallest normal, when rounding carries) is code 0x08 too.
            return (byte) (sign | (int) Math.rint(a * 0x1p9f));
        }
        // Normal: 3 mantissa bits, so the spacing is 2^(e-3). Scaling by it is exact; rint ties to even;
        // a carry to the next binade (1.9375 -> 2) lands on its first code, as the bits add up.
        int e = Math.getExponent(a);
        int steps = (int) Math.rint(Math.scalb(a, 3 - e)); // 8..16
        return (byte) (sign | (((e + 7) << 3) + steps - 8));
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
