package io.moeoperator.engine.kernel;

import io.moeoperator.engine.gguf.GgmlType;
import java.lang.foreign.MemorySegment;

/**
 * A 2-D weight matrix as stored: {@code rows} rows of {@code cols} contiguous elements of {@code type}
 * (so a Linear(in -> out) weight has rows = out, cols = in). The data is usually a slice of the
 * memory-mapped model file and is never copied.
 */
public record WeightMatrix(String name, GgmlType type, int rows, int cols, MemorySegment data) {

    public WeightMatrix {
        long need = type.bytesFor((long) rows * cols);
        if (data.byteSize() != need) {
            throw new IllegalArgumentException("weight " + name + ": " + rows + "x" + cols + " " + type
                    + " needs " + need + " bytes, got " + data.byteSize());
        }
    }

    public long rowBytes() {
        return type.bytesFor(cols);
    }

    /** Rows {@code [from, from + count)} as a matrix of their own (an expert of a stacked tensor). */
    public WeightMatrix rowSlice(String sliceName, int from, int count) {
        return new WeightMatrix(sliceName, type, count, cols, data.asSlice(from * rowBytes(), count * rowBytes()));
    }
}
