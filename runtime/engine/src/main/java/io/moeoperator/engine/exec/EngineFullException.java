package io.moeoperator.engine.exec;

/** The waiting queue is full; the caller should retry later (HTTP 429). */
public class EngineFullException extends RuntimeException {
    public EngineFullException(int maxWaiting) {
        super("the server is busy: " + maxWaiting + " requests are already waiting; retry later");
    }
}
