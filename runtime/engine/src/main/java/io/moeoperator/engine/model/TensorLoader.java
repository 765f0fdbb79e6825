package io.moeoperator.engine.model;

import io.moeoperator.engine.gguf.GgmlCodec;
import io.moeoperator.engine.gguf.GgufException;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.gguf.TensorInfo;
import io.moeoperator.engine.kernel.WeightMatrix;
import java.util.Arrays;
import java.util.function.IntPredicate;

/** Fetches tensors from a GGUF file by name, checking each shape against what the model expects. */
final class TensorLoader {
    private final GgufFile file;

    TensorLoader(GgufFile file) {
        this.file = file;
    }

    boolean has(String name) {
        return file.hasTensor(name);
    }

    /** A Linear(in -> out) weight: GGUF shape [in, out]. */
    WeightMatrix matrix(String name, int in, int out) {
        TensorInfo t = expect(name, in, out);
        return new WeightMatrix(name, t.type(), out, in, file.tensorData(t));
    }

    /**
     * A stack of {@code n} Linear(in -> out) weights, GGUF shape [in, out, n], one matrix per expert;
     * only the experts {@code held} selects get a view (the others are null), so an expert-parallel
     * rank never touches, and so never pages in, the bytes of experts it does not hold.
     */
    WeightMatrix[] stack(String name, int in, int out, int n, IntPredicate held) {
        TensorInfo t = expect(name, in, out, n);
        WeightMatrix all = new WeightMatrix(name, t.type(), out * n, in, file.tensorData(t));
        WeightMatrix[] experts = new WeightMatrix[n];
        for (int e = 0; e < n; e++) {
            if (held.test(e)) {
                experts[e] = all.rowSlice(name + "[" + e + "]", e * out, out);
            }
        }
        return experts;
    }

    /** A 1-D tensor (norm weight, bias) decoded to floats. */
    float[] vector(String name, int n) {
        TensorInfo t = expect(name, n);
        float[] v = new float[n];
        GgmlCodec.decode(t.type(), file.tensorData(t), 0, v, 0, n);
        return v;
    }

    private TensorInfo expect(String name, long... shape) {
        TensorInfo t = file.tensorInfo(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new GgufException("model file " + file.path().getFileName() + ": tensor " + name + " has shape "
                    + t.shapeString() + ", expected " + Arrays.toString(shape));
        }
        return t;
    }
}
