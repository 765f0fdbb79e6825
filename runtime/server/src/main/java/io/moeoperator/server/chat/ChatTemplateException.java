package io.moeoperator.server.chat;

/** The chat template rejected the conversation (raise_exception) or failed on it. */
public class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }
}
