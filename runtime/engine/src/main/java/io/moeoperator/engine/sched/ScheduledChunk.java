package io.moeoperator.engine.sched;

/**
 * Compute {@code numTokens} tokens of {@code seq} from position {@code startPos}. When
 * {@code completes}, they are all its pending tokens and the step samples its next token.
 */
public record ScheduledChunk(SequenceState seq, int startPos, int numTokens, boolean completes) {}
