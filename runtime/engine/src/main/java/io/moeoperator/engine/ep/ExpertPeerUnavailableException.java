package io.moeoperator.engine.ep;

/**
 * A rank holding experts that a step needs could not be reached, or did not answer in time. The
 * requests of that step fail with it (the server answers 503 {@code expert_peer_unavailable}); the
 * group serves again once the rank is back.
 */
public class ExpertPeerUnavailableException extends RuntimeException {
    private final int peer;

    public ExpertPeerUnavailableException(int peer, String message) {
        super(message);
        this.peer = peer;
    }

    public ExpertPeerUnavailableException(int peer, String message, Throwable cause) {
        super(message, cause);
        this.peer = peer;
    }

    /** The rank at fault. */
    public int peer() {
        return peer;
    }
}
