package io.moeoperator.server.api;

import java.util.List;

/** A /v1/chat/completions response: object {@code "chat.completion"}. */
public record ChatCompletion(String id, String object, long created, String model, List<Choice> choices, Usage usage) {

    public record Choice(int index, Message message, Object logprobs, String finishReason) {}

    /** The assistant's reply; {@code refusal} is always null. */
    public record Message(String role, String content, String refusal) {}

    public static ChatCompletion of(String id, long created, String model, String content, String finishReason,
                                    Usage usage) {
        return new ChatCompletion(id, "chat.completion", created, model,
                List.of(new Choice(0, new Message("assistant", content, null), null, finishReason)), usage);
    }
}
