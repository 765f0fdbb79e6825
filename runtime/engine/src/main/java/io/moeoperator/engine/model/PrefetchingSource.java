package io.moeoperator.engine.model;

import io.moeoperator.engine.kernel.WeightMatrix;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** A source whose matrices, as they are looked up, start being read from the file whole ({@link PageAdvice#willNeed}). */
record PrefetchingSource(WeightSource source) implements WeightSource {

    private static WeightMatrix prefetch(WeightMatrix m) {
        PageAdvice.willNeed(m.data());
        if (m.scales() != null) {
            PageAdvice.willNeed(m.scales().data());
        }
        return m;
    }

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
        return prefetch(source.matrix(role, layer, rows, cols));
    }

    @Override
    public WeightMatrix expert(TensorRole role, int layer, int expert, int rows, int cols) {
        return prefetch(source.expert(role, layer, expert, rows, cols));
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
