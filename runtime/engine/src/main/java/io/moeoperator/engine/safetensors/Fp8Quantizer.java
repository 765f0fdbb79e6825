package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgufWriter.RowSource;

/**
 * Block-scaled FP8 E4M3 quantization as DeepSeek-V3's checkpoints hold it: per block of
 * (blockRows, blockCols) weights one F32 scale s = max|w| / 448 (E4M3's largest finite value), stored
 * as {@code weight_scale_inv} (a multiplier, despite the name), and each weight w / s converted to
 * E4M3 as torch converts ({@link GgmlCodec#toF8E4M3}). Used to write synthetic FP8 checkpoints.
 */
final class Fp8Quantizer {
    private Fp8Quantizer() {}

    /** The scales of a whole matrix (one pass over its rows) and the rows divided by them. */
    record Scales(float[] values, int scaleCols, float[] matrix, int rows, int cols, int blockRows, int blockCols) {
        /** Rows of w / s (to be encoded to E4M3). */
        RowSource quantized() {
            return (row, dst) -> {
                for (int c = 0; c < cols; c++) {
                    float s = values[(int) (row / blockRows) * scaleCols + c / blockCols];
                    dst[c] = matrix[(int) row * cols + c] / s;
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
            scales[b] = scales[b] > 0 ? scales[b] / GgmlCodec.F8_E4M3_MAX : 1f; // an all-zero block keeps scale 1
        }
        return new Scales(scales, scaleCols, m, rows, cols, blockRows, blockCols);
    }
}
