package io.moeoperator.engine.exec;

import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.gguf.GgufMetadata;
import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.VectorOps;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.ModelFootprint;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import java.nio.file.Path;

/** A model file opened for inference: the mapping, the kernels, the forward pass and the tokenizer. */
public final class LoadedModel implements AutoCloseable {
    private final GgufFile file;
    private final VectorOps ops;
    private final DeepSeek2Model model;
    private final BpeTokenizer tokenizer;

    private LoadedModel(GgufFile file, VectorOps ops, ExpertParallelism ep) {
        this.file = file;
        this.ops = ops;
        this.model = new DeepSeek2Model(file, ops, ep);
        this.tokenizer = BpeTokenizer.fromGguf(file.metadata());
    }

    /** Opens {@code path} and computes with {@code threads} CPU threads. */
    public static LoadedModel open(Path path, int threads) {
        return open(path, threads, ExpertParallelism.SINGLE);
    }

    /**
     * Opens {@code path} as one rank of an expert-parallel group: only this rank's experts are
     * loaded. Start {@code ep}'s transport with {@link DeepSeek2Model#computeExperts} afterwards.
     */
    public static LoadedModel open(Path path, int threads, ExpertParallelism ep) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        GgufFile file = GgufFile.open(path);
        VectorOps ops = new VectorOps(threads);
        try {
            return new LoadedModel(file, ops, ep);
        } catch (RuntimeException e) {
            ops.close();
            file.close();
            throw e;
        }
    }

    public DeepSeek2Model model() {
        return model;
    }

    public BpeTokenizer tokenizer() {
        return tokenizer;
    }

    /** The file's metadata (e.g. {@code tokenizer.chat_template}). */
    public GgufMetadata metadata() {
        return file.metadata();
    }

    /** Memory the model keeps resident outside the Java heap (see {@link DeepSeek2Model#footprint()}). */
    public ModelFootprint footprint() {
        return model.footprint();
    }

    public TensorOps ops() {
        return ops;
    }

    public Generator generator() {
        return new Generator(model, tokenizer);
    }

    @Override
    public void close() {
        ops.close();
        file.close();
    }
}
