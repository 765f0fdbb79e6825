package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.gguf.GgufWriter.RowSource;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Block-scaled FP8 E4M3 quantization as DeepSeek-V3's checkpoints hold it: per block of
 * (blockRows, blockCols) weights one F32 scale s = max|w| / 448 (E4M3's largest finite value), stored
 * as {@code weight_scale_inv} (a multiplier, despite the name), and each weight w / s rounded to the
 * nearest E4M3 value (ties to even). Used to write synthetic FP8 checkpoints.
 */
final class Fp8Quantizer {
    static final float E4M3_MAX = 448f;

    private Fp8Quantizer() {}

    /** The scales of a whole matrix (one pass over its rows) and the rows divided by them. */
    record Scales(float[] values, int scaleCols, float[] matrix, int rows, int cols, int blockRows, int blockCols) {
        /** Rows of w / s (to be encoded to E4M3). */
        RowSource quantized() {
            return (row, dst) -> {
                for (int c = 0; c < cols; c++) {
                    float s = values[(int) (row / blockRows) * scaleCols + c / blockCols];
                    dst[c] = s == 0 ? 0 : matrix[(int) row * cols + c] / s;
                }
            };
        }

        /** The scales as rows of the F32 scale tensor. */
        RowSource asRows() {
            return (row, dst) -> System.arraycopy(values, (int) row * scaleCols, dst, 0, scaleCols);
        }
    }

    /**
     * Draws the matrix once (synthetic matrices are small enough to hold) and computes its block scales.
     */
    static Scales scales(int rows, int cols, int blockRows, int blockCols, RowSource src) {
        float[] m = new float[Math.multiplyExact(rows, cols)];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            src.fill(r, row);
            System.arraycopy(row, 0, m, r * cols, cols);
        }
        int scaleRows = (rows + blockRows - 1) / blockRows;
        int scaleCols = (cols + blockCols - 1) / blockCols;
        float[] scales = new float[scaleRows * scaleCols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int b = r / blockRows * scaleCols + c / blockCols;
                scales[b] = Math.max(scales[b], Math.abs(m[r * cols + c]));
            }
        }
        for (int b = 0; b < scales.length; b++) {
            scales[b] /= E4M3_MAX;
        }
        return new Scales(scales, scaleCols, m, rows, cols, blockRows, blockCols);
    }

    static void encodeRow(float[] row, MemorySegment dst, long at) {
        for (int i = 0; i < row.length; i++) {
            dst.set(ValueLayout.JAVA_BYTE, at + i, encode(row[i]));
        }
    }

    /** The nearest E4M3 value (ties to even), saturating at +-448; NaN stays NaN. */
    static byte encode(float x) {
        if (Float.isNaN(x)) {
            return 0x7f;
        }
        int sign = x < 0 || (x == 0 && 1 / x < 0) ? 0x80 : 0;
        float a = Math.min(Math.abs(x), E4M3_MAX);
        // Candidates are k * 2^(e-3) for the binade of a; subnormals share e = -6.
        int e = a < 0x1p-6f ? -6 : Math.getExponent(a);
        float step = (float) Math.scalb(1.0, e - 3);
        float q = (float) Math.rint(a / step) * step; // rint: ties to even on the last mantissa bit
        if (q > E4M3_MAX) {
            q = E4M3_MAX;
        }
        return (byte) (sign | bits(q));
    }

    private static int bits(float q) {
        if (q == 0) {
            return 0;
        }
        int e = Math.getExponent(q);
        if (e < -6) {
            return Math.round(q / 0x1p-9f); // subnormal: m * 2^-9
        }
        int mant = Math.round((q / (float) Math.scalb(1.0, e) - 1) * 8);
        if (mant == 8) { // rounded up into the next binade
            mant = 0;
            e++;
        }
        return ((e + 7) << 3) | mant;
    }
}
