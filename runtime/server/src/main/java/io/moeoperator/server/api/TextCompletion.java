package io.moeoperator.server.api;

import java.util.List;

/**
 * A /v1/completions response, and (with the same shape) each streamed chunk of one: object
 * {@code "text_completion"}. {@code usage} is null in chunks unless the client asked for it.
 */
public record TextCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {

    /** {@code logprobs} is always null: the server does not return them. */
    public record Choice(int index, String text, Object logprobs, String finishReason) {}

    public static TextCompletion of(String id, long created, String model, List<Choice> choices, Usage usage) {
        return new TextCompletion(id, "text_completion", created, model, choices, usage);
    }
}
