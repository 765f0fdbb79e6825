package io.moeoperator.engine.gguf;

import java.util.Arrays;

/**
 * One tensor's entry in a GGUF header. {@code shape} lists ne0 first: ne0 is the contiguous row
 * length, so a Linear(in -> out) weight has shape [in, out].
 *
 * @param offset byte offset from the start of the data section
 */
public record TensorInfo(String name, GgmlType type, long[] shape, long offset) {

    public long numElements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long numBytes() {
        return type.bytesFor(numElements());
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
