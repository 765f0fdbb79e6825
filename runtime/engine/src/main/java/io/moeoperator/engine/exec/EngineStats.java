package io.moeoperator.engine.exec;

/**
 * A snapshot of the engine for metrics and health.
 *
 * @param kvCacheUsage     used KV blocks / all blocks, 0..1
 * @param expertTokens     cumulative tokens routed to each expert, (numLayers, numExperts); dense
 *                         layers have all zeros
 * @param prefixCacheHitTokens cumulative prompt tokens served from cached KV blocks instead of computed
 */
public record EngineStats(int waiting, int running, double kvCacheUsage, long[][] expertTokens,
                          long prefixCacheHitTokens) {}
