package io.moeoperator.server.generation;

import io.moeoperator.engine.ep.PeerStatus;
import io.moeoperator.engine.exec.EngineFullException;
import io.moeoperator.engine.exec.FinishReason;
import io.moeoperator.engine.exec.GenerationListener;
import io.moeoperator.engine.exec.GenerationRequest;
import io.moeoperator.engine.exec.RequestHandle;
import io.moeoperator.server.api.ApiException;
import io.moeoperator.server.config.ServerConfig;
import io.moeoperator.server.metrics.ServingMetrics;
import io.moeoperator.server.model.ServedModel;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.operators.multi.processors.UnicastProcessor;
import io.smallrye.mutiny.subscription.BackPressureStrategy;
import io.smallrye.mutiny.subscription.Cancellable;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Submits requests to the engine and hands back their output as a {@link Multi}. The engine's
 * listener only queues events, so its step thread never waits on JSON or sockets; everything else
 * happens on a worker. Ending the Multi early (the client disconnected, or a stop string matched)
 * cancels the engine request, which frees its KV blocks at the next step.
 */
@ApplicationScoped
public class Generations {
    private final ServedModel model;
    private final ServingMetrics metrics;
    private final int retryAfterSeconds;

    Generations(ServedModel model, ServingMetrics metrics, ServerConfig config) {
        this.model = model;
        this.metrics = metrics;
        this.retryAfterSeconds = config.retryAfterSeconds();
    }

    /**
     * Queues the request at once, so a full queue or a request the engine refuses is an HTTP
     * error before any response is sent.
     *
     * @param arrivalNanos when the HTTP request arrived (System.nanoTime), for latency metrics
     * @throws ApiException 429 when the queue is full, 400 when the engine refuses the request, 503
     *                      when it has shut down or an expert-parallel peer is unavailable
     */
    public Multi<GenerationEvent> start(String reqId, int[] promptTokens, GenerationOptions options, long arrivalNanos) {
        for (PeerStatus peer : model.expertPeers()) {
            if (!peer.up()) { // fail now rather than in the first step: a clear reason, nothing computed
                throw ApiException.expertPeerUnavailable("expert rank " + peer.rank() + " (" + peer.address()
                        + ") is unavailable: " + peer.detail() + "; this rank serves again once it is back");
            }
        }
        UnicastProcessor<EngineEvent> events = UnicastProcessor.create();
        RequestHandle handle;
        try {
            handle = model.engine().submit(
                    new GenerationRequest(reqId, promptTokens, options.maxTokens(), options.sampling()),
                    new QueueingListener(events));
        } catch (EngineFullException e) {
            throw ApiException.busy(e.getMessage(), retryAfterSeconds);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(null, e.getMessage());
        } catch (IllegalStateException e) {
            throw ApiException.unavailable(e.getMessage());
        }
        metrics.promptTokens(promptTokens.length);
        RequestStream stream = new RequestStream(model.tokenizer(), options.stops(), promptTokens.length,
                arrivalNanos, metrics);
        return Multi.createFrom().<GenerationEvent>emitter(out -> {
            Cancellable upstream = events.emitOn(Infrastructure.getDefaultWorkerPool())
                    .subscribe().with(e -> stream.accept(e, out), out::fail, out::complete);
            out.onTermination(() -> {
                upstream.cancel();
                handle.cancel(); // a no-op for a request that finished; frees the cache otherwise
                stream.terminated();
            });
        }, BackPressureStrategy.BUFFER);
    }

    /** Runs on the engine's step thread: queue and return. */
    private record QueueingListener(UnicastProcessor<EngineEvent> events) implements GenerationListener {
        @Override
        public void onToken(int tokenId) {
            events.onNext(new EngineEvent.Token(tokenId, System.nanoTime()));
        }

        @Override
        public void onComplete(FinishReason reason, int promptTokens, int completionTokens) {
            events.onNext(new EngineEvent.Done(reason, promptTokens, completionTokens));
            events.onComplete();
        }

        @Override
        public void onError(RuntimeException error) {
            events.onNext(new EngineEvent.Failed(error));
            events.onComplete();
        }
    }
}
