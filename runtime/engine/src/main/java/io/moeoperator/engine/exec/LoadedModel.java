package io.moeoperator.engine.exec;

import io.moeoperator.engine.concurrent.Background;
import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.gguf.GgufFile;
import io.moeoperator.engine.gguf.GgufWeightSource;
import io.moeoperator.engine.gguf.ModelDigest;
import io.moeoperator.engine.kernel.TensorOps;
import io.moeoperator.engine.kernel.VectorOps;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.model.ModelFootprint;
import io.moeoperator.engine.model.WeightSource;
import io.moeoperator.engine.safetensors.SafetensorsDigest;
import io.moeoperator.engine.safetensors.SafetensorsWeightSource;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.engine.tokenizer.HfTokenizer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

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

    private LoadedModel(ModelFormat format, WeightSource source, VectorOps ops, DeepSeek2Model model,
                        BpeTokenizer tokenizer, Optional<String> chatTemplate) {
        this.format = format;
        this.source = source;
        this.ops = ops;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
        this.model = model;
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
        // The tokenizer is read while the weights load: in a fresh JVM each takes tens to hundreds of
        // milliseconds (DeepSeek-V3's tokenizer.json about half a second), and neither needs the other.
        // A Hugging Face directory's tokenizer files are read from the start; GGUF's once the file is open.
        CompletableFuture<TokenizerFiles> tokenizing = format == ModelFormat.SAFETENSORS
                ? Background.start("moe-tokenizer-load", () -> TokenizerFiles.huggingFace(path)) : null;
        // An expert-parallel rank reads only part of the files: map them for that from the start.
        boolean sparse = ep.size() > 1;
        WeightSource source;
        try {
            source = switch (format) {
                case GGUF -> GgufWeightSource.open(path, sparse);
                case SAFETENSORS -> SafetensorsWeightSource.open(path, sparse);
            };
        } catch (RuntimeException | Error e) {
            if (tokenizing != null) {
                Background.settle(tokenizing);
            }
            throw e;
        }
        if (source instanceof GgufWeightSource gguf) {
            tokenizing = Background.start("moe-tokenizer-load", () -> TokenizerFiles.gguf(gguf));
        }
        VectorOps ops = null;
        try {
            ops = new VectorOps(threads);
            DeepSeek2Model model = new DeepSeek2Model(source, ops, ep);
            TokenizerFiles t = Background.join(tokenizing);
            checkVocabulary(source, t.tokenizer());
            return new LoadedModel(format, source, ops, model, t.tokenizer(), t.chatTemplate());
        } catch (RuntimeException | Error e) {
            Background.settle(tokenizing); // it may still read the files being closed
            if (ops != null) {
                ops.close();
            }
            source.close();
            throw e;
        }
    }

    /** The tokenizer and chat template, from the GGUF file's metadata or the directory's tokenizer files. */
    private record TokenizerFiles(BpeTokenizer tokenizer, Optional<String> chatTemplate) {
        static TokenizerFiles gguf(GgufWeightSource gguf) {
            return new TokenizerFiles(BpeTokenizer.fromGguf(gguf.file().metadata()),
                    gguf.file().metadata().findString("tokenizer.chat_template"));
        }

        static TokenizerFiles huggingFace(Path dir) {
            HfTokenizer hf = HfTokenizer.load(dir);
            return new TokenizerFiles(hf.tokenizer(), hf.chatTemplate());
        }
    }

    /**
     * The weights' vocabulary must hold every token the tokenizer can produce: it may be larger
     * (padding rows, never sampled), never smaller.
     */
    private static void checkVocabulary(WeightSource source, BpeTokenizer tokenizer) {
        int vocab = source.config().vocabSize();
        if (tokenizer.vocabSize() > vocab) {
            String files = source instanceof GgufWeightSource ? "its tokenizer has " : "tokenizer.json has ";
            String rows = source instanceof GgufWeightSource ? " rows in token_embd" : " in config.json's vocab_size";
            throw new ModelFileException("model " + source.name() + ": " + files + tokenizer.vocabSize()
                    + " tokens but the weights only " + vocab + rows + " (the embedding has a row per token)");
        }
    }

    /**
     * Only the tokenizer of the model at {@code path} (GGUF metadata, or the directory's tokenizer
     * files), without mapping any weights: for commands that only tokenize.
     */
    public static BpeTokenizer readTokenizer(Path path, ModelFormat format) {
        format.check(path);
        if (format == ModelFormat.SAFETENSORS) {
            return HfTokenizer.load(path).tokenizer();
        }
        try (GgufFile file = GgufFile.open(path)) {
            return BpeTokenizer.fromGguf(file.metadata());
        }
    }

    /**
     * The model's identity for expert-parallel ranks that must serve the same weights (issue 12):
     * a SHA-256 of its hyper-parameters, tensor table and samples of every tensor, per format.
     */
    public String digest() {
        return switch (source) {
            case GgufWeightSource gguf -> ModelDigest.of(gguf.file());
            case SafetensorsWeightSource hf -> SafetensorsDigest.of(hf);
            default -> throw new IllegalStateException("no digest for " + source.getClass().getSimpleName());
        };
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
