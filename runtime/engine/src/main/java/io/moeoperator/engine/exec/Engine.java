package io.moeoperator.engine.exec;

import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.tokenizer.BpeTokenizer;

/**
 * The serving engine: accepts requests from any thread and runs them with continuous batching on
 * its own step thread. This interface is the contract the server uses.
 */
public interface Engine extends AutoCloseable {

    /** Starts an engine on a loaded model; the engine owns the model from then on. */
    static Engine start(LoadedModel model, EngineConfig config) {
        return new BatchingEngine(model, config);
    }

    /**
     * Queues a request. Fails at once with {@link IllegalArgumentException} when the prompt plus
     * {@code maxTokens} cannot fit the model's context or the KV-cache pool, and with
     * {@link EngineFullException} when too many requests wait, and with {@link IllegalStateException}
     * after {@link #close()}.
     */
    RequestHandle submit(GenerationRequest request, GenerationListener listener);

    EngineStats stats();

    /** Whether the step thread runs (false after {@link #close()} or if it died): a liveness signal. */
    boolean isAlive();

    ModelConfig config();

    BpeTokenizer tokenizer();

    /** Stops the step thread; requests still running get {@code onError}. */
    @Override
    void close();
}
