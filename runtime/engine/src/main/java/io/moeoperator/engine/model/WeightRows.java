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
            byte code = m.data().get(ValueLayout.JAVA_BYTE, base + col + i);
            dst[dstOff + i] = GgmlCodec.fromF8E4M3(code) * m.scales().scale(row, col + i, m.cols());
        }
    }
}
