package io.moeoperator.engine.oracle;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.CacheType;
import de.kherud.llama.args.Sampler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * llama.cpp (b4916, through de.kherud:llama) loaded on one of our GGUF files: the engine's oracle.
 * Its KV cache is F32 so its attention is F32 too (the default F16 cache rounds q and the softmax).
 */
final class LlamaOracle implements AutoCloseable {
    private final LlamaModel model;

    LlamaOracle(Path gguf, int contextSize) {
        ensureTmpDir();
        ModelParameters params = new ModelParameters()
                .setModel(gguf.toString())
                .setCtxSize(contextSize)
                .setThreads(2)
                .setThreadsBatch(2)
                .setGpuLayers(0)
                .setCacheTypeK(CacheType.F32)
                .setCacheTypeV(CacheType.F32)
                .skipWarmup();
        LlamaModel.setLogger(de.kherud.llama.args.LogFormat.TEXT, (level, msg) -> { });
        this.model = new LlamaModel(params);
    }

    /** The greedy continuation as streamed pieces (one piece per token of a synthetic model's output). */
    List<String> greedyPieces(String prompt, int maxTokens) {
        return greedyPieces(prompt, maxTokens, List.of());
    }

    /** As {@link #greedyPieces(String, int)}, with these tokens banned (llama.cpp's logit_bias of -infinity). */
    List<String> greedyPieces(String prompt, int maxTokens, Collection<Integer> bannedIds) {
        InferenceParameters ip = new InferenceParameters(prompt)
                .setTemperature(0f)
                .setTopK(1)
                .setSamplers(Sampler.TOP_K)
                .setNPredict(maxTokens)
                .setCachePrompt(false);
        if (!bannedIds.isEmpty()) {
            ip.disableTokenIds(bannedIds);
        }
        List<String> pieces = new ArrayList<>();
        for (LlamaOutput out : model.generate(ip)) {
            if (!out.text.isEmpty()) {
                pieces.add(out.text);
            }
        }
        return pieces;
    }

    int[] encode(String text) {
        return model.encode(text);
    }

    @Override
    public void close() {
        model.close();
    }

    /**
     * The native library is extracted into java.io.tmpdir; failsafe points that at target/it-tmp so
     * it never touches (or deletes) files in the shared /tmp.
     */
    private static void ensureTmpDir() {
        try {
            Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
