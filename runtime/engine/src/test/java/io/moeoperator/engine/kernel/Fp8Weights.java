package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

/**
 * FP8 E4M3 weight matrices for tests, quantized as DeepSeek-V3's checkpoints are: per block, scale =
 * amax / 448 and element = fp8(w / scale), so the block's largest weight lands on 448.
 */
final class Fp8Weights {
    private Fp8Weights() {}

    /**
     * {@code w} (rows, cols) quantized in blocks of blockRows x blockCols. Both segments start one byte
     * past an aligned address: mapped tensors are rarely aligned.
     */
    static WeightMatrix quantize(Arena arena, String name, float[] w, int rows, int cols, int blockRows, int blockCols) {
        int numBlockRows = (rows + blockRows - 1) / blockRows;
        int numBlockCols = (cols + blockCols - 1) / blockCols;
        MemorySegment data = arena.allocate((long) rows * cols + 1, 64).asSlice(1); // (rows, cols) codes
        MemorySegment scales = arena.allocate((long) numBlockRows * numBlockCols * Float.BYTES + 1, 64).asSlice(1); // (numBlockRows, numBlockCols)
        for (int br = 0; br < numBlockRows; br++) {
            for (int bc = 0; bc < numBlockCols; bc++) {
                int r1 = Math.min(rows, (br + 1) * blockRows);
                int c1 = Math.min(cols, (bc + 1) * blockCols);
                float amax = 0;
                for (int r = br * blockRows; r < r1; r++) {
                    for (int c = bc * blockCols; c < c1; c++) {
                        amax = Math.max(amax, Math.abs(w[r * cols + c]));
                    }
                }
                float scale = amax > 0 ? amax / GgmlCodec.F8_E4M3_MAX : 1f;
                scales.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, (long) br * numBlockCols + bc, scale);
                for (int r = br * blockRows; r < r1; r++) {
                    for (int c = bc * blockCols; c < c1; c++) {
                        data.set(ValueLayout.JAVA_BYTE, (long) r * cols + c, GgmlCodec.toF8E4M3(w[r * cols + c] / scale));
                    }
                }
            }
        }
        return new WeightMatrix(name, GgmlType.F8_E4M3, rows, cols, data, new BlockScales(blockRows, blockCols, scales));
    }

    /**
     * Gaussian weights whose magnitude changes by up to 2^+-4 from block to block, so that a scale applied
     * to the wrong block shows.
     */
    static WeightMatrix random(Arena arena, int rows, int cols, int blockRows, int blockCols, Random rnd) {
        int numBlockCols = (cols + blockCols - 1) / blockCols;
        float[] blockMagnitude = new float[((rows + blockRows - 1) / blockRows) * numBlockCols];
        for (int b = 0; b < blockMagnitude.length; b++) {
            blockMagnitude[b] = 0.05f * (float) Math.scalb(1.0, rnd.nextInt(9) - 4);
        }
        float[] w = new float[rows * cols]; // (rows, cols)
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                w[r * cols + c] = (float) rnd.nextGaussian() * blockMagnitude[(r / blockRows) * numBlockCols + c / blockCols];
            }
        }
        return quantize(arena, "w.F8_E4M3." + blockRows + "x" + blockCols, w, rows, cols, blockRows, blockCols);
    }
}
