package io.moeoperator.engine.ep;

import java.time.Duration;

/**
 * How a model copy is split over an expert-parallel group, as one rank sees it: which rank this is,
 * the shard plan (text form, or null for contiguous equal shares), how peers are called, and how
 * long a step waits for a peer before its requests fail.
 */
public record ExpertParallelism(int rank, int size, String expertsSpec, ExpertTransport transport, Duration timeout) {

    /** One process holding every expert: no transport. */
    public static final ExpertParallelism SINGLE = new ExpertParallelism(0, 1, null, null, Duration.ofSeconds(1));

    public ExpertParallelism {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("expert-parallel rank " + rank + " is outside the group of " + size);
        }
        if (size > 1 && transport == null) {
            throw new IllegalArgumentException("a group of " + size + " ranks needs a transport");
        }
        if (transport != null && (transport.rank() != rank || transport.size() != size)) {
            throw new IllegalArgumentException("the transport is rank " + transport.rank() + " of " + transport.size()
                    + ", not " + rank + " of " + size);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the expert call timeout must be > 0, got " + timeout);
        }
        if (expertsSpec != null) {
            ShardPlan.checkSyntax(expertsSpec, size);
        }
    }

    /** The plan for a model with {@code numExperts} routed experts. */
    public ShardPlan plan(int numExperts) {
        return expertsSpec == null ? ShardPlan.contiguous(size, numExperts) : ShardPlan.parse(expertsSpec, size, numExperts);
    }
}
