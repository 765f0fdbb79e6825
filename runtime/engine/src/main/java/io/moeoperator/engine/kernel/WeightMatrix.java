package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight matrix as stored: {@code rows} rows of {@code cols} contiguous elements of {@code type}
 * (so a Linear(in -> out) weight has rows = out, cols = in). The data is usually a slice of the
 * memory-mapped model file and is never copied. {@code scales} is set for block-scaled types
 * ({@link GgmlType#F8_E4M3}) and null otherwise. {@code activations} says how the activations it
 * multiplies are rounded first (ggml's way unless the weight source says otherwise).
 */
public record WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data, BlockScales scales,
                           ActivationRounding activations) {

    public WeightMatrix {
        if (activations == ActivationRounding.NONE && (type == GgmlType.Q8_0 || type == GgmlType.Q4_0)) {
            throw new IllegalArgumentException("weight " + name + ": " + type
                    + " weights multiply Q8_0-quantized activations; they cannot be left unrounded");
        }
        long need = type.bytesFor((long) rows * cols);
        if (data.byteSize() != need) {
            throw new IllegalArgumentException("weight " + name + ": " + rows + "x" + cols + " " + type
                    + " needs " + need + " bytes, got " + data.byteSize());
        }
        if ((type == GgmlType.F8_E4M3) != (scales != null)) {
            throw new IllegalArgumentException("weight " + name + ": " + type
                    + (scales == null ? " needs block scales" : " takes no block scales"));
        }
        if (scales != null && scales.data().byteSize() != scales.countFor(rows, cols) * Float.BYTES) {
            throw new IllegalArgumentException("weight " + name + ": " + rows + "x" + cols + " in blocks of "
                    + scales.blockRows() + "x" + scales.blockCols() + " needs " + scales.countFor(rows, cols)
                    + " scales, got " + scales.data().byteSize() / Float.BYTES);
        }
    }

    public WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {
        this(name, type, rows, cols, data, null, ActivationRounding.GGML);
    }

    public WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data, BlockScales scales) {
        this(name, type, rows, cols, data, scales, ActivationRounding.GGML);
    }

    /** The type activations are rounded to before they meet these weights (F32: not rounded). */
    public GgmlType activationType() {
        return activations.roundingFor(type);
    }

    public long rowBytes() {
        return type.bytesFor(cols);
    }

    /** Rows {@code [from, from + count)} as a matrix of their own (an expert of a stacked tensor). */
    public WeightMatrix rowSlice(String sliceName, int from, int count) {
        if (scales != null) {
            if (from % scales.blockRows() != 0 || (count % scales.blockRows() != 0 && from + count != rows)) {
                throw new IllegalArgumentException("weight " + name + ": rows " + from + ".." + (from + count)
                        + " do not start and end on its blocks of " + scales.blockRows() + " rows");
            }
            long perBlockRow = BlockScales.ceilDiv(cols, scales.blockCols()) * (long) Float.BYTES;
            long firstBlockRow = from / scales.blockRows();
            long blockRows = BlockScales.ceilDiv(count, scales.blockRows());
            BlockScales slice = new BlockScales(scales.blockRows(), scales.blockCols(),
                    scales.data().asSlice(firstBlockRow * perBlockRow, blockRows * perBlockRow));
            return new WeightMatrix(sliceName, type, count, cols, data.asSlice(from * rowBytes(), count * rowBytes()), slice,
                    activations);
        }
        return new WeightMatrix(sliceName, type, count, cols, data.asSlice(from * rowBytes(), count * rowBytes()), null,
                activations);
    }
}
