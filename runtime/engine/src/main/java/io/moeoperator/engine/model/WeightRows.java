package io.moeoperator.engine.model;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.lang.foreign.ValueLayout;

/**
 * Reads values of a weight matrix as floats outside the kernels: an embedding row, the attention's
 * kv_b blocks at load time. Block-scaled FP8 values are multiplied by their block's scale, so every
 * type reads as the number the matrix means.
 */
final class WeightRows {
    private static final float[] E4M3 = e4m3Table();

    private WeightRows() {}

    /** {@code n} values of row {@code row} from column {@code col} into {@code dst[dstOff..]}. */
    static void decode(WeightMatrix m, int row, int col, float[] dst, int dstOff, int n) {
        if (col < 0 || n < 0 || col + n > m.cols() || row < 0 || row >= m.rows()) {
            throw new IndexOutOfBoundsException("row " + row + " columns " + col + ".." + (col + n) + " of "
                    + m.name() + " (" + m.rows() + "x" + m.cols() + ")");
        }
        if (m.type() != GgmlType.F8_E4M3) {
            GgmlCodec.decode(m.type(), m.data(), (long) row * m.cols() + col, dst, dstOff, n);
            return;
        }
        long base = (long) row * m.cols();
        for (int i = 0; i < n; i++) {
            int bits = m.data().get(ValueLayout.JAVA_BYTE, base + col + i) & 0xff;
            dst[dstOff + i] = E4M3[bits] * m.scales().scale(row, col + i, m.cols());
        }
    }

    /**
     * Every OCP FP8 E4M3 ("float8_e4m3fn") value: sign, 4 exponent bits (bias 7), 3 mantissa bits;
     * exponent 0 is subnormal (m/8 * 2^-6); S.1111.111 is NaN; there are no infinities.
     */
    private static float[] e4m3Table() {
        float[] t = new float[256];
        for (int b = 0; b < 256; b++) {
            int exp = (b >>> 3) & 0xf;
            int mant = b & 7;
            float v;
            if (exp == 15 && mant == 7) {
                v = Float.NaN;
            } else if (exp == 0) {
                v = mant / 8f * 0x1p-6f;
            } else {
                v = (1 + mant / 8f) * (float) Math.scalb(1.0, exp - 7);
            }
            t[b] = (b & 0x80) != 0 ? -v : v;
        }
        return t;
    }
}
