package io.moeoperator.engine.exec;

/**
 * Receives one request's results. Called on the engine's step thread: implementations must return
 * quickly (hand the token to another thread or buffer it) and must not call back into the engine
 * except {@link RequestHandle#cancel()}.
 */
public interface GenerationListener {
    /** A generated token (never the end-of-generation token itself). */
    void onToken(int tokenId);

    /** The request finished; no more calls follow. */
    void onComplete(FinishReason reason, int promptTokens, int completionTokens);

    /** The request failed; no more calls follow. */
    void onError(RuntimeException error);
}
