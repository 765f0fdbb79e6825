package io.moeoperator.engine.kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The per-block multipliers of a block-quantized weight matrix: the weight at (r, c) is its stored
 * value times the scale of block (r / blockRows, c / blockCols). DeepSeek-V3's FP8 checkpoints keep
 * one F32 scale per 128 x 128 block (safetensors {@code <name>_scale_inv}, which despite its name is
 * a multiplier); edge blocks are partial.
 *
 * @param data F32 scales (ceil(rows / blockRows), ceil(cols / blockCols)), row-major, native order
 */
public record BlockScales(int blockRows, int blockCols, MemorySegment data) {

    public BlockScales {
        if (blockRows < 1 || blockCols < 1) {
            throw new IllegalArgumentException("block size must be positive, got " + blockRows + "x" + blockCols);
        }
    }

    /** Number of scales a rows x cols matrix needs. */
    public long countFor(int rows, int cols) {
        return (long) ceilDiv(rows, blockRows) * ceilDiv(cols, blockCols);
    }

    /** Scale of the block holding (row, col) of a matrix with {@code cols} columns. */
    public float scale(int row, int col, int cols) {
        long index = (long) (row / blockRows) * ceilDiv(cols, blockCols) + col / blockCols;
        return data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, index);
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
