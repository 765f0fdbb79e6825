package io.moeoperator.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.server.model.ServedModel;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The serving metrics at /q/metrics. Their Prometheus names are a contract (dashboards and the
 * autoscaler read them): {@code moe_requests_waiting}, {@code moe_requests_running},
 * {@code moe_kv_cache_usage_ratio}, {@code moe_request_success_total{finish_reason}},
 * {@code moe_request_failure_total{reason}}, {@code moe_prompt_tokens_total},
 * {@code moe_generation_tokens_total}, the histograms {@code moe_time_to_first_token_seconds},
 * {@code moe_inter_token_latency_seconds}, {@code moe_e2e_request_latency_seconds}, and
 * {@code moe_expert_tokens_total{layer,expert}}. Engine state is read when scraped, never pushed
 * from the engine's step thread.
 */
@ApplicationScoped
public class ServingMetrics {
    static final List<String> FINISH_REASONS = List.of("stop", "length");
    static final List<String> FAILURE_REASONS = List.of("invalid_request", "unauthorized", "queue_full", "cancelled", "error");

    private final MeterRegistry registry;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Timer e2eLatency;
    /** Held here because meters keep only weak references to the objects they read. */
    private StatsSnapshot stats;

    public ServingMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.promptTokens = Counter.builder("moe.prompt.tokens").description("Prompt tokens of admitted requests")
                .register(registry);
        this.generationTokens = Counter.builder("moe.generation.tokens").description("Tokens generated")
                .register(registry);
        // Buckets as vLLM's, so the same dashboards read both.
        this.timeToFirstToken = latency("moe.time.to.first.token", "From request arrival to its first token",
                0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80);
        this.interTokenLatency = latency("moe.inter.token.latency", "Between consecutive tokens of a request",
                0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80);
        this.e2eLatency = latency("moe.e2e.request.latency", "From request arrival to its last token",
                0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960);
        // Registered up front so every series exists (at 0) before the first request.
        FINISH_REASONS.forEach(this::success);
        FAILURE_REASONS.forEach(this::failure);
    }

    /** After the model is loaded (ServedModel observes start-up earlier): its shape sizes the expert counters. */
    void registerEngineMeters(@Observes @Priority(Interceptor.Priority.APPLICATION + 1000) StartupEvent event,
                              ServedModel model) {
        stats = new StatsSnapshot(() -> model.engine().stats());
        Gauge.builder("moe.requests.waiting", stats, s -> s.get().waiting())
                .description("Requests queued for a slot").register(registry);
        Gauge.builder("moe.requests.running", stats, s -> s.get().running())
                .description("Requests being computed").register(registry);
        Gauge.builder("moe.kv.cache.usage.ratio", stats, s -> s.get().kvCacheUsage())
                .description("Used KV-cache blocks / all blocks, 0..1").register(registry);
        ModelConfig config = model.engine().config();
        for (int layer = 0; layer < config.numLayers(); layer++) {
            if (!config.isMoeLayer(layer)) {
                continue; // dense layers route nothing
            }
            for (int expert = 0; expert < config.numExperts(); expert++) {
                int l = layer;
                int e = expert;
                FunctionCounter.builder("moe.expert.tokens", stats, s -> s.expertTokens(l, e))
                        .description("Tokens routed to each routed expert")
                        .tags("layer", Integer.toString(layer), "expert", Integer.toString(expert))
                        .register(registry);
            }
        }
    }

    public void promptTokens(int count) {
        promptTokens.increment(count);
    }

    public void timeToFirstToken(long nanos) {
        timeToFirstToken.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void interTokenLatency(long nanos) {
        interTokenLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void requestSucceeded(String finishReason, int completionTokens, long e2eNanos) {
        success(finishReason).increment();
        generationTokens.increment(completionTokens);
        e2eLatency.record(e2eNanos, TimeUnit.NANOSECONDS);
    }

    /** A request that ended without a result, after generating {@code completionTokens}. */
    public void requestFailed(String reason, int completionTokens) {
        failure(reason).increment();
        generationTokens.increment(completionTokens);
    }

    /** A request refused before it reached the engine. */
    public void requestFailed(String reason) {
        failure(reason).increment();
    }

    private Counter success(String finishReason) {
        return Counter.builder("moe.request.success").description("Requests finished, by finish_reason")
                .tag("finish_reason", finishReason).register(registry);
    }

    private Counter failure(String reason) {
        return Counter.builder("moe.request.failure").description("Requests refused or ended without a result")
                .tag("reason", reason).register(registry);
    }

    private Timer latency(String name, String description, double... bucketSeconds) {
        Duration[] buckets = new Duration[bucketSeconds.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = Duration.ofNanos(Math.round(bucketSeconds[i] * 1e9));
        }
        return Timer.builder(name).description(description).serviceLevelObjectives(buckets).register(registry);
    }
}
