package io.moeoperator.server.metrics;

import io.moeoperator.engine.exec.EngineStats;
import java.util.function.Supplier;

/**
 * The engine's stats, fetched at most once per {@link #MAX_AGE_NANOS}: one Prometheus scrape reads
 * thousands of meters (one per layer and expert), and they should all see one snapshot rather
 * than ask the engine thousands of times.
 */
final class StatsSnapshot {
    static final long MAX_AGE_NANOS = 200_000_000L;

    private final Supplier<EngineStats> source;
    private volatile EngineStats stats;
    private volatile long takenNanos;

    StatsSnapshot(Supplier<EngineStats> source) {
        this.source = source;
    }

    EngineStats get() {
        long now = System.nanoTime();
        EngineStats s = stats;
        if (s == null || now - takenNanos > MAX_AGE_NANOS) {
            s = source.get();
            stats = s;
            takenNanos = now;
        }
        return s;
    }

    /** Tokens routed to one expert so far; 0 for a dense layer or an expert the engine did not report. */
    long expertTokens(int layer, int expert) {
        long[][] counts = get().expertTokens();
        return layer < counts.length && expert < counts[layer].length ? counts[layer][expert] : 0;
    }
}
