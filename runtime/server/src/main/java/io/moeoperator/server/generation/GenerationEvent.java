package io.moeoperator.server.generation;

/** What a running request produces for its response: text pieces, then exactly one Finished. */
public sealed interface GenerationEvent {

    /** Text to append to the output; never contains (or follows) a stop string. */
    record Text(String text) implements GenerationEvent {}

    /** @param finishReason "stop" (end-of-sequence token or stop string) or "length" */
    record Finished(String finishReason, int promptTokens, int completionTokens) implements GenerationEvent {}
}
