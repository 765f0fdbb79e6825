package io.moeoperator.engine.exec;

import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.tokenizer.BpeTokenizer;

/** Continuous batching over a paged latent KV cache. (Being written; see Engine.) */
final class BatchingEngine implements Engine {
    private final LoadedModel model;

    BatchingEngine(LoadedModel model, EngineConfig config) {
        this.model = model;
        throw new UnsupportedOperationException("BatchingEngine is being written in this session");
    }

    @Override
    public RequestHandle submit(GenerationRequest request, GenerationListener listener) {
        throw new UnsupportedOperationException();
    }

    @Override
    public EngineStats stats() {
        throw new UnsupportedOperationException();
    }

    @Override
    public ModelConfig config() {
        return model.model().config();
    }

    @Override
    public BpeTokenizer tokenizer() {
        return model.tokenizer();
    }

    @Override
    public void close() {
        model.close();
    }
}
