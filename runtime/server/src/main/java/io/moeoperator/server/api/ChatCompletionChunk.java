package io.moeoperator.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * One streamed piece of a chat completion: object {@code "chat.completion.chunk"}. The first chunk
 * carries the role, the following ones text, the last one {@code finish_reason} with an empty
 * delta; with {@code include_usage} a final chunk with no choices carries the usage.
 */
public record ChatCompletionChunk(String id, String object, long created, String model, List<Choice> choices,
                                  Usage usage) {

    public record Choice(int index, Delta delta, Object logprobs, String finishReason) {}

    /** Only what changed: absent fields are left out, so the last delta is {@code {}}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(String role, String content) {}

    public static ChatCompletionChunk of(String id, long created, String model, Delta delta, String finishReason) {
        return new ChatCompletionChunk(id, "chat.completion.chunk", created, model,
                List.of(new Choice(0, delta, null, finishReason)), null);
    }

    public static ChatCompletionChunk usageOnly(String id, long created, String model, Usage usage) {
        return new ChatCompletionChunk(id, "chat.completion.chunk", created, model, List.of(), usage);
    }
}
