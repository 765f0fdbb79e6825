package io.moeoperator.server.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The body of {@code POST /v1/completions} (JSON names are snake_case). Fields the server cannot
 * honour (echo, logprobs, suffix, best_of > 1) are rejected rather than silently ignored.
 *
 * @param prompt a string, a list holding one string, or a list of token ids
 */
public record CompletionRequest(
        String model, JsonNode prompt, Integer maxTokens, Double temperature, Double topP, Integer topK, Long seed,
        JsonNode stop, Integer n, Boolean stream, StreamOptions streamOptions, Double presencePenalty,
        Double frequencyPenalty, Boolean echo, Integer logprobs, String suffix, Integer bestOf, JsonNode logitBias)
        implements GenerationFields {}
