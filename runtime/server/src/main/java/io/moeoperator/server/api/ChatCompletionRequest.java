package io.moeoperator.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * The body of {@code POST /v1/chat/completions}. {@code max_completion_tokens} is the current name
 * of {@code max_tokens}; either may be sent.
 */
public record ChatCompletionRequest(
        String model, List<Message> messages, Integer maxTokens, Integer maxCompletionTokens, Double temperature,
        Double topP, Integer topK, Long seed, JsonNode stop, Integer n, Boolean stream, StreamOptions streamOptions,
        Double presencePenalty, Double frequencyPenalty, Boolean logprobs, JsonNode tools, JsonNode logitBias)
        implements GenerationFields {

    /**
     * One turn. {@code content} is a string or a list of parts, of which only
     * {@code {"type": "text", "text": ...}} is supported.
     */
    public record Message(String role, JsonNode content, String name) {}

    /** The token budget under whichever name the client used. */
    public Integer maxTokens() {
        return maxCompletionTokens != null ? maxCompletionTokens : maxTokens;
    }
}
