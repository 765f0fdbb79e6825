package io.moeoperator.engine.ep;

/**
 * @param y            (rows, hidden) expert outputs in the call's order
 * @param computeNanos how long the peer computed (so a round trip splits into transport and compute)
 */
public record ExpertResult(float[] y, long computeNanos) {}
