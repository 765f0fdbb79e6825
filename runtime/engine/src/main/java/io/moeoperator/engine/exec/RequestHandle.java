package io.moeoperator.engine.exec;

/** A submitted request. */
public interface RequestHandle {
    /**
     * Stops the request and frees its cache at the next step; the listener then gets
     * {@code onComplete(CANCELLED, ...)}. Safe from any thread, idempotent, and a no-op once the
     * request has finished.
     */
    void cancel();
}
