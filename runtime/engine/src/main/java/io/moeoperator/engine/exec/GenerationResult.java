package io.moeoperator.engine.exec;

/**
 * What one generation produced.
 *
 * @param finishReason "stop" (end-of-generation token) or "length" (max tokens reached)
 */
public record GenerationResult(int[] promptTokens, int[] generatedTokens, String text, String finishReason,
                               long prefillNanos, long decodeNanos) {}
