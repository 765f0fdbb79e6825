package io.moeoperator.server.api;

import com.fasterxml.jackson.databind.JsonNode;

/** The request fields that /v1/completions and /v1/chat/completions share. */
public interface GenerationFields {
    String model();

    Integer maxTokens();

    Double temperature();

    Double topP();

    Integer topK();

    Long seed();

    /** A string, a list of strings, or absent. */
    JsonNode stop();

    Integer n();

    Boolean stream();

    StreamOptions streamOptions();

    Double presencePenalty();

    Double frequencyPenalty();

    /** {@code logit_bias}: an object from token id (a decimal string) to a bias in [-100, 100], or absent. */
    JsonNode logitBias();

    /** {@code stream_options}: only {@code include_usage} changes anything. */
    record StreamOptions(Boolean includeUsage) {}
}
