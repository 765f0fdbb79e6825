package io.moeoperator.server.generation;

import io.moeoperator.engine.exec.FinishReason;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.engine.tokenizer.StreamingDetokenizer;
import io.moeoperator.server.metrics.ServingMetrics;
import io.smallrye.mutiny.subscription.MultiEmitter;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request's engine events turned into response events: token ids become text in whole UTF-8
 * characters, stop strings end the output, and latencies and outcomes are counted. Events arrive
 * one at a time on a worker thread, never on the engine's.
 */
final class RequestStream {
    private final StreamingDetokenizer detokenizer;
    private final StopMatcher stopMatcher;
    private final ServingMetrics metrics;
    private final int promptTokens;
    private final long arrivalNanos;
    /** Set once: by finishing, failing, or the client going away, whichever is first. */
    private final AtomicBoolean ended = new AtomicBoolean();
    private int completionTokens;
    private long lastTokenNanos;

    RequestStream(BpeTokenizer tokenizer, List<String> stops, int promptTokens, long arrivalNanos,
                  ServingMetrics metrics) {
        this.detokenizer = new StreamingDetokenizer(tokenizer);
        this.stopMatcher = new StopMatcher(stops);
        this.metrics = metrics;
        this.promptTokens = promptTokens;
        this.arrivalNanos = arrivalNanos;
    }

    void accept(EngineEvent event, MultiEmitter<? super GenerationEvent> out) {
        if (ended.get()) {
            return; // after a stop string the engine may still deliver a token or its CANCELLED
        }
        switch (event) {
            case EngineEvent.Token t -> {
                completionTokens++;
                if (completionTokens == 1) {
                    metrics.timeToFirstToken(t.nanos() - arrivalNanos);
                } else {
                    metrics.interTokenLatency(t.nanos() - lastTokenNanos);
                }
                lastTokenNanos = t.nanos();
                emit(stopMatcher.push(detokenizer.accept(t.tokenId())), out);
                if (stopMatcher.matched()) {
                    finish("stop", out);
                }
            }
            case EngineEvent.Done d -> {
                emit(stopMatcher.push(detokenizer.flush()), out);
                if (stopMatcher.matched()) {
                    finish("stop", out);
                } else if (d.reason() == FinishReason.CANCELLED) {
                    // Not asked for by this request: the engine is shutting down.
                    if (ended.compareAndSet(false, true)) {
                        metrics.requestFailed("cancelled", completionTokens);
                        out.fail(GenerationFailedException.shuttingDown());
                    }
                } else {
                    emit(stopMatcher.flush(), out);
                    finish(d.reason().apiName(), out);
                }
            }
            case EngineEvent.Failed f -> {
                if (ended.compareAndSet(false, true)) {
                    metrics.requestFailed("error", completionTokens);
                    out.fail(GenerationFailedException.engineError(f.error()));
                }
            }
        }
    }

    /** The response ended (completed, failed, or the client went away); counts a disconnect. */
    void terminated() {
        if (ended.compareAndSet(false, true)) {
            metrics.requestFailed("cancelled", completionTokens);
        }
    }

    private void finish(String finishReason, MultiEmitter<? super GenerationEvent> out) {
        if (ended.compareAndSet(false, true)) {
            metrics.requestSucceeded(finishReason, completionTokens, System.nanoTime() - arrivalNanos);
            out.emit(new GenerationEvent.Finished(finishReason, promptTokens, completionTokens));
            out.complete();
        }
    }

    private static void emit(String text, MultiEmitter<? super GenerationEvent> out) {
        if (!text.isEmpty()) {
            out.emit(new GenerationEvent.Text(text));
        }
    }
}
