package io.moeoperator.engine.model;

import io.moeoperator.engine.kernel.WeightMatrix;

/**
 * A model's hyper-parameters and weights by {@link TensorRole}, whatever the file format: the one
 * way weights reach the model code. Each implementation is the single place its format's tensor
 * names and layouts live ({@code gguf.GgufWeightSource}: llama.cpp names, experts stacked per layer;
 * {@code safetensors.SafetensorsWeightSource}: Hugging Face names, one tensor per expert, sharded).
 *
 * <p>Every lookup states the shape the model expects; a tensor that is missing, shaped otherwise or of
 * an unusable type fails with a {@link ModelFileException} naming the file and the tensor. Matrices
 * are views of mapped files, never copies, and looking one up reads none of its bytes, so a rank
 * that never asks for other ranks' experts never touches them.
 *
 * <p>{@code layer} is ignored for the model-wide roles ({@link TensorRole#perLayer()} false).
 */
public interface WeightSource extends AutoCloseable {

    ModelConfig config();

    /** The file or directory, for messages and logs. */
    String name();

    /** Whether an optional tensor is there (the q-lora path, the router bias). */
    boolean has(TensorRole role, int layer);

    /** A Linear weight as the kernels take it: {@code rows} = out, {@code cols} = in. */
    WeightMatrix matrix(TensorRole role, int layer, int rows, int cols);

    /** One routed expert's Linear weight ({@link TensorRole#perExpert()} roles). */
    WeightMatrix expert(TensorRole role, int layer, int expert, int rows, int cols);

    /** A 1-D tensor (norm weight, bias) of {@code n} values, decoded to F32. */
    float[] vector(TensorRole role, int layer, int n);

    /** The whole mapping of every file, for read advice ({@code PageAdvice}); never read through. */
    java.util.List<java.lang.foreign.MemorySegment> mappings();

    /** Bytes of every file this source maps. */
    long fileBytes();

    /** Bytes one routed expert's three matrices (and their scales) take in the files. */
    long expertFileBytes(int layer, int expert);

    /**
     * This source with every matrix it hands out passed through {@code each} first (read advice; another
     * numerics policy). Closing the result closes this source.
     */
    default WeightSource mapMatrices(java.util.function.UnaryOperator<WeightMatrix> each) {
        return new MatrixMappingSource(this, each);
    }

    /** Unmaps the files: no view handed out may be used afterwards. */
    @Override
    void close();
}
