package io.moeoperator.engine.exec;

import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.gguf.GgufWeightSource;
import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.VectorOps;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.ModelFootprint;
import io.moeoperator.engine.model.WeightSource;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A model opened for inference: its files (one GGUF file, or a Hugging Face directory of
 * safetensors shards), the kernels, the forward pass, the tokenizer and the chat template. The only
 * place that knows which format a model came in; everything past it reads weights by role.
 */
public final class LoadedModel implements AutoCloseable {
    private final WeightSource source;
    private final VectorOps ops;
    private final DeepSeek2Model model;
    private final BpeTokenizer tokenizer;
    private final Optional<String> chatTemplate;
    private final ModelFormat format;

    private LoadedModel(ModelFormat format, WeightSource source, VectorOps ops, ExpertParallelism ep,
                        BpeTokenizer tokenizer, Optional<String> chatTemplate) {
        this.format = format;
        this.source = source;
        this.ops = ops;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.model = new DeepSeek2Model(source, ops, ep);
    }

    /** Opens {@code path} and computes with {@code threads} CPU threads. */
    public static LoadedModel open(Path path, int threads) {
        return open(path, threads, ExpertParallelism.SINGLE);
    }

    /**
     * Opens {@code path} (its format detected) as one rank of an expert-parallel group: only this
     * rank's experts are loaded. Start {@code ep}'s transport with {@link DeepSeek2Model#computeExperts}
     * afterwards.
     */
    public static LoadedModel open(Path path, int threads, ExpertParallelism ep) {
        return open(path, ModelFormat.detect(path), threads, ep);
    }

    /** Opens {@code path} as the given format (an override of detection). */
    public static LoadedModel open(Path path, ModelFormat format, int threads, ExpertParallelism ep) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        format.check(path);
        WeightSource source = switch (format) {
            case GGUF -> GgufWeightSource.open(path);
            case SAFETENSORS -> throw new UnsupportedOperationException("safetensors");
        };
        VectorOps ops = null;
        try {
            BpeTokenizer tokenizer;
            Optional<String> chatTemplate;
            if (source instanceof GgufWeightSource gguf) {
                tokenizer = BpeTokenizer.fromGguf(gguf.file().metadata());
                chatTemplate = gguf.file().metadata().findString("tokenizer.chat_template");
            } else {
                throw new UnsupportedOperationException("safetensors");
            }
            ops = new VectorOps(threads);
            return new LoadedModel(format, source, ops, ep, tokenizer, chatTemplate);
        } catch (RuntimeException e) {
            if (ops != null) {
                ops.close();
            }
            source.close();
            throw e;
        }
    }

    public DeepSeek2Model model() {
        return model;
    }

    public BpeTokenizer tokenizer() {
        return tokenizer;
    }

    /** The model's own Jinja chat template (GGUF {@code tokenizer.chat_template}, or tokenizer_config.json's), if it has one. */
    public Optional<String> chatTemplate() {
        return chatTemplate;
    }

    public ModelFormat format() {
        return format;
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
        source.close();
    }
}
