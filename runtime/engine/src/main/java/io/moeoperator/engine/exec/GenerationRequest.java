package io.moeoperator.engine.exec;

import io.moeoperator.engine.sample.SamplingParams;

/**
 * One sequence to generate: already-tokenized prompt (with BOS if the model wants one), a token
 * budget and sampling. Validated on construction; the engine checks it against the model.
 */
public record GenerationRequest(String id, int[] promptTokens, int maxTokens, SamplingParams sampling) {
    public GenerationRequest {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt has no tokens");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max_tokens must be >= 1, got " + maxTokens);
        }
        promptTokens = promptTokens.clone();
    }
}
