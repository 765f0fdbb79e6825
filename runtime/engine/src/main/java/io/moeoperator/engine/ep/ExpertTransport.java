package io.moeoperator.engine.ep;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Carries a layer's tokens to the ranks that hold their experts and the expert outputs back
 * (dispatch and combine as one call per destination rank per layer). Implementations: {@link
 * InProcessExpertGroup} (tests; every rank in one JVM) and the network transport of {@code
 * runtime/ep}. Every implementation runs the same contract test.
 *
 * <p>Contract: {@link #call} never blocks; a call to a peer that is unreachable, or that is lost
 * while the call is in flight, completes exceptionally with {@link ExpertPeerUnavailableException}
 * promptly (the caller's deadline covers a peer that hangs). Peer calls are computed off the
 * caller's threads, so two ranks calling each other cannot deadlock. After a peer comes back, calls
 * to it succeed again without restarting anything.
 */
public interface ExpertTransport extends AutoCloseable {

    /** This process's rank, 0-based. */
    int rank();

    /** Ranks in the group. */
    int size();

    /**
     * Starts serving peers' calls with this rank's experts and connecting to the peers. Called once,
     * after the model (and so {@code local}'s weights) has loaded.
     */
    void start(ExpertCompute local);

    /**
     * Runs {@code call} on rank {@code peer} (not this rank). The result's rows are in the call's
     * order: for each listed expert, its rows.
     */
    CompletableFuture<ExpertResult> call(int peer, ExpertCall call);

    /** Every rank's state, index = rank; this rank is always up. */
    List<PeerStatus> peers();

    /** True when every peer can be called now: the readiness of a rank. */
    default boolean allPeersUp() {
        return peers().stream().allMatch(PeerStatus::up);
    }

    /** Stops serving and disconnects; calls in flight fail. */
    @Override
    void close();
}
