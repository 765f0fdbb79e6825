package io.moeoperator.engine.ep;

/**
 * Hears of every completed peer call, for per-peer metrics. Called on transport threads: must be
 * quick and must not throw.
 */
public interface TransportObserver {
    TransportObserver NONE = (peer, roundTripNanos, peerComputeNanos, bytesSent, bytesReceived) -> {};

    /**
     * @param roundTripNanos   from sending the call to having its result (dispatch + compute + combine)
     * @param peerComputeNanos the part the peer spent computing
     */
    void callCompleted(int peer, long roundTripNanos, long peerComputeNanos, long bytesSent, long bytesReceived);
}
