package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.kernel.ActivationRounding;
import io.moeoperator.engine.kernel.WeightMatrix;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.TensorRole;
import io.moeoperator.engine.model.WeightSource;
import java.lang.foreign.MemorySegment;
import java.util.List;

/** A weight source whose matrices multiply their activations unrounded, as a Hugging Face checkpoint's do. */
record UnroundedActivations(WeightSource source) implements WeightSource {

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
        return unrounded(source.matrix(role, layer, rows, cols));
    }

    @Override
    public WeightMatrix expert(TensorRole role, int layer, int expert, int rows, int cols) {
        return unrounded(source.expert(role, layer, expert, rows, cols));
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

    private static WeightMatrix unrounded(WeightMatrix w) {
        return new WeightMatrix(w.name(), w.type(), w.rows(), w.cols(), w.data(), w.scales(), ActivationRounding.NONE);
    }
}
