package io.moeoperator.server.generation;

import io.moeoperator.engine.exec.FinishReason;

/** A listener callback, carried off the engine's step thread. */
sealed interface EngineEvent {
    /** @param nanos when the engine produced the token (System.nanoTime), for latency metrics */
    record Token(int tokenId, long nanos) implements EngineEvent {}

    record Done(FinishReason reason, int promptTokens, int completionTokens) implements EngineEvent {}

    record Failed(RuntimeException error) implements EngineEvent {}
}
