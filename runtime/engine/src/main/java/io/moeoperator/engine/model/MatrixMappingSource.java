package io.moeoperator.engine.model;

import io.moeoperator.engine.kernel.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.function.UnaryOperator;

/** {@link WeightSource#mapMatrices}: a source whose matrices pass through {@code each} as they are looked up. */
record MatrixMappingSource(WeightSource source, UnaryOperator<WeightMatrix> each) implements WeightSource {

    @Override
    public ModelConfig config() {
        return source.config();
    }

    @Override
    public String name() {
        return source.name();
    }

    @Override
    public boolean has(TensorRole role, int layer) {
        return source.has(role, layer);
    }

    @Override
    public WeightMatrix matrix(TensorRole role, int layer, int rows, int cols) {
        return each.apply(source.matrix(role, layer, rows, cols));
    }

    @Override
    public WeightMatrix expert(TensorRole role, int layer, int expert, int rows, int cols) {
        return each.apply(source.expert(role, layer, expert, rows, cols));
    }

    @Override
    public float[] vector(TensorRole role, int layer, int n) {
        return source.vector(role, layer, n);
    }

    @Override
    public List<MemorySegment> mappings() {
        return source.mappings();
    }

    @Override
    public long fileBytes() {
        return source.fileBytes();
    }

    @Override
    public long expertFileBytes(int layer, int expert) {
        return source.expertFileBytes(layer, expert);
    }

    @Override
    public void close() {
        source.close();
    }
}
