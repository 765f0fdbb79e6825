package io.moeoperator.engine.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The FP8 E4M3 codec: OCP E4M3 ("float8_e4m3fn") values, and PyTorch's conversion to it. */
class GgmlCodecTest {

    /**
     * Inputs (F32 bits) and the codes PyTorch 2.14.1 gives them, recorded in the sid root
     * (tests/oracles/in-sid-root.sh) with
     * {@code torch.tensor(values, dtype=torch.float32).to(torch.float8_e4m3fn).view(torch.uint8)}: zeros,
     * ties (to even) in the subnormals and normals, the smallest normal, and past 448, where torch 2.12
     * and later saturate (torch 2.11 and earlier gave NaN from 464.00003 up and for infinities).
     */
    private static final long[][] TORCH = {
        {0x00000000L, 0x00}, // 0.0
        {0x80000000L, 0x80}, // -0.0
        {0x3a800000L, 0x00}, // 2^-10: halfway between 0 and the smallest subnormal 2^-9, ties to even
        {0x3a800001L, 0x01}, // just above it
        {0x3b400000L, 0x02}, // 3 * 2^-10: halfway between codes 1 and 2, ties to even
        {0x3ba00000L, 0x02}, // 5 * 2^-10: halfway between codes 2 and 3, ties to even
        {0x3c7fffffL, 0x08}, // just below 2^-6 rounds up to the smallest normal
        {0x3c800000L, 0x08}, // 2^-6
        {0x3f800000L, 0x38}, // 1.0
        {0x3f880000L, 0x38}, // 1.0625: halfway between 1 and 1.125, ties to even
        {0x3f980000L, 0x3a}, // 1.1875: halfway between 1.125 and 1.25, ties to even
        {0xbf880000L, 0xb8}, // -1.0625
        {0x3f880001L, 0x39}, // just above 1.0625
        {0x3dcccccdL, 0x1d}, // 0.1
        {0xbe99999aL, 0xaa}, // -0.3
        {0x40490fd0L, 0x45}, // 3.14159
        {0x41780000L, 0x58}, // 15.5
        {0x43700000L, 0x77}, // 240
        {0x43780000L, 0x78}, // 248: halfway between 240 and 256, ties to even
        {0x43dc0000L, 0x7e}, // 440
        {0x43e00000L, 0x7e}, // 448, the largest
        {0x43e00001L, 0x7e}, // just above 448
        {0x43e80000L, 0x7e}, // 464: halfway to the 480 that does not exist
        {0x43e80001L, 0x7e}, // just above 464: torch < 2.12 gave NaN
        {0x43efffffL, 0x7e}, // just below 480
        {0x43f00000L, 0x7e}, // 480
        {0x49742400L, 0x7e}, // 1e6
        {0x7f7fffffL, 0x7e}, // the largest float
        {0x7f800000L, 0x7e}, // +infinity
        {0xff800000L, 0xfe}, // -infinity
        {0x7fc00000L, 0x7f}, // NaN
        {0xffc00000L, 0xff}, // NaN with the sign bit
        {0x00000001L, 0x00}, // the smallest float subnormal
        {0x80000001L, 0x80}, // its negative: -0
        {0x000116c2L, 0x00}, // 1e-40
    };

    @Test
    void encodesAsTorch() {
        for (long[] c : TORCH) {
            float f = Float.intBitsToFloat((int) c[0]);
            assertEquals(c[1], GgmlCodec.toF8E4M3(f) & 0xff, () -> f + " (0x" + Long.toHexString(c[0]) + ")");
        }
    }

    /**
     * Every code against the format's definition, worked out independently in double:
     * {@code (-1)^s * 2^(e-7) * (1 + m/8)}, or {@code (-1)^s * 2^-6 * m/8} for e = 0; 0x7F and 0xFF are NaN,
     * with the bits torch widens them to.
     */
    @Test
    void decodesEveryCodeByDefinition() {
        for (int c = 0; c < 256; c++) {
            int s = c >>> 7;
            int e = (c >>> 3) & 0xf;
            int m = c & 7;
            float actual = GgmlCodec.fromF8E4M3((byte) c);
            if (e == 15 && m == 7) {
                assertEquals(s == 0 ? 0x7ff00000 : 0xfff00000, Float.floatToRawIntBits(actual), "NaN code " + c);
                continue;
            }
            double magnitude = e == 0 ? Math.pow(2, -6) * m / 8 : Math.pow(2, e - 7) * (1 + m / 8.0);
            float expected = (float) (s == 0 ? magnitude : -magnitude);
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(actual), "code 0x" + Integer.toHexString(c));
        }
        assertEquals(448f, GgmlCodec.fromF8E4M3((byte) 0x7e));
        assertEquals(-448f, GgmlCodec.fromF8E4M3((byte) 0xfe));
        assertEquals(0x1p-9f, GgmlCodec.fromF8E4M3((byte) 0x01));
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(GgmlCodec.fromF8E4M3((byte) 0x80)));
    }

    @Test
    void everyValueEncodesToItsCode() {
        for (int c = 0; c < 256; c++) {
            if ((c & 0x7f) != 0x7f) {
                assertEquals(c, GgmlCodec.toF8E4M3(GgmlCodec.fromF8E4M3((byte) c)) & 0xff, "code 0x" + Integer.toHexString(c));
            }
        }
    }

    /**
     * Round to nearest, ties to even, saturating, against a search of all the codes: every value near a
     * code and near every midpoint between neighbours (one float step either side), and random floats of
     * every magnitude that matters (2^-20 to 2^12).
     */
    @Test
    void encodesToTheNearestCodeTiesToEven() {
        Random rnd = new Random(8);
        int checked = 0;
        for (int c = 0; c < 0x7e; c++) {
            float lo = GgmlCodec.fromF8E4M3((byte) c);
            float hi = GgmlCodec.fromF8E4M3((byte) (c + 1));
            for (float v : new float[] {lo, (lo + hi) / 2, hi}) { // the midpoint is exact: 4 significant bits
                for (float f : new float[] {Math.nextDown(v), v, Math.nextUp(v)}) {
                    checkNearest(f);
                    checkNearest(-f);
                    checked += 2;
                }
            }
        }
        for (int i = 0; i < 200_000; i++, checked++) {
            checkNearest((float) ((rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextDouble()) * Math.scalb(1.0, rnd.nextInt(33) - 20)));
        }
        assertEquals(126 * 3 * 3 * 2 + 200_000, checked);
    }

    private static void checkNearest(float f) {
        int expected = nearest(f);
        int actual = GgmlCodec.toF8E4M3(f) & 0xff;
        if (actual != expected) {
            fail(f + " (0x" + Integer.toHexString(Float.floatToRawIntBits(f)) + ") encodes to 0x" + Integer.toHexString(actual)
                    + ", the nearest code is 0x" + Integer.toHexString(expected));
        }
    }

    /** The nearest finite code by search, the even one of two equally near; from 448 up, 448. */
    private static int nearest(float f) {
        int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x80 : 0;
        double a = Math.abs((double) f);
        if (a >= 448) {
            return sign | 0x7e;
        }
        int best = 0;
        double bestDistance = Double.POSITIVE_INFINITY;
        for (int c = 0; c <= 0x7e; c++) { // codes 0..0x7E rise with their value
            double d = Math.abs(a - GgmlCodec.fromF8E4M3((byte) c));
            if (d < bestDistance || (d == bestDistance && c % 2 == 0)) {
                best = c;
                bestDistance = d;
            }
        }
        return sign | best;
    }

    /** The segment forms: encode writes one byte per element, decode reads them back from an element offset. */
    @Test
    void encodesAndDecodesRows() {
        float[] row = {0f, 1f, -2.5f, 448f, 1000f, 0x1p-9f, Float.NaN, -0.1f};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(GgmlType.F8_E4M3.bytesFor(row.length + 3));
            GgmlCodec.encode(GgmlType.F8_E4M3, row, 0, row.length, seg, 3);
            for (int i = 0; i < row.length; i++) {
                assertEquals(GgmlCodec.toF8E4M3(row[i]), seg.get(ValueLayout.JAVA_BYTE, 3 + i), "element " + i);
            }
            float[] back = new float[row.length];
            GgmlCodec.decode(GgmlType.F8_E4M3, seg, 3, back, 0, row.length);
            float[] expected = {0f, 1f, -2.5f, 448f, 448f, 0x1p-9f, Float.NaN, -0.1015625f};
            for (int i = 0; i < row.length; i++) {
                assertEquals(expected[i], back[i], "element " + i);
            }
        }
    }
}
