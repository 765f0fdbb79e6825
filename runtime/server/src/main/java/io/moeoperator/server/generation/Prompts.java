package io.moeoperator.server.generation;

import com.fasterxml.jackson.databind.JsonNode;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.server.api.ApiException;
import io.moeoperator.server.api.ChatCompletionRequest;
import io.moeoperator.server.chat.ChatTemplate;
import io.moeoperator.server.chat.ChatTemplateException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Request prompts to token ids, refusing (400) what cannot be a prompt and saying why. */
public final class Prompts {
    private Prompts() {}

    /** /v1/completions {@code prompt}: a string, a list holding one string, or a list of token ids. */
    public static int[] completion(JsonNode prompt, BpeTokenizer tokenizer) {
        if (prompt == null || prompt.isNull()) {
            throw ApiException.badRequest("prompt", "missing 'prompt'");
        }
        if (prompt.isTextual()) {
            return encode(prompt.textValue(), "prompt", tokenizer);
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return encode(prompt.get(0).textValue(), "prompt", tokenizer);
        }
        if (prompt.isArray() && !prompt.isEmpty() && allIntegers(prompt)) {
            int[] ids = new int[prompt.size()];
            for (int i = 0; i < ids.length; i++) {
                long id = prompt.get(i).asLong();
                if (id < 0 || id >= tokenizer.vocabSize()) {
                    throw ApiException.badRequest("prompt", "token id " + id + " at prompt[" + i
                            + "] is outside the vocabulary (0.." + (tokenizer.vocabSize() - 1) + ")");
                }
                ids[i] = (int) id;
            }
            return ids;
        }
        if (prompt.isArray() && prompt.size() > 1 && prompt.get(0).isTextual()) {
            throw ApiException.badRequest("prompt", "only one prompt per request is supported, got " + prompt.size());
        }
        throw ApiException.badRequest("prompt", "prompt must be a string, a list with one string, or a list of"
                + " token ids");
    }

    /** /v1/chat/completions {@code messages}, rendered with the model's chat template. */
    public static int[] chat(List<ChatCompletionRequest.Message> messages, ChatTemplate template,
                             BpeTokenizer tokenizer) {
        if (messages == null || messages.isEmpty()) {
            throw ApiException.badRequest("messages", "'messages' must hold at least one message");
        }
        List<Map<String, Object>> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatCompletionRequest.Message m = messages.get(i);
            if (m == null || m.role() == null || m.role().isEmpty()) {
                throw ApiException.badRequest("messages[" + i + "].role", "messages[" + i + "] has no role");
            }
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", text(m.content(), "messages[" + i + "].content"));
            if (m.name() != null) {
                turn.put("name", m.name());
            }
            turns.add(turn);
        }
        String text;
        try {
            text = template.prompt(turns);
        } catch (ChatTemplateException e) {
            throw ApiException.badRequest("messages", "the chat template rejected the messages: " + e.getMessage());
        }
        return encode(text, "messages", tokenizer);
    }

    /** Message content: a string, or a list of {"type": "text", "text": ...} parts joined. */
    private static String text(JsonNode content, String param) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.badRequest(param, param + ": only text parts ({\"type\": \"text\", \"text\": ...})"
                            + " are supported, got " + part);
                }
                sb.append(part.get("text").textValue());
            }
            return sb.toString();
        }
        throw ApiException.badRequest(param, param + " must be a string or a list of text parts, got " + content);
    }

    /** BOS as the model asks; special-token text written in the prompt counts as that token. */
    private static int[] encode(String text, String param, BpeTokenizer tokenizer) {
        int[] ids;
        try {
            ids = tokenizer.encode(text, true, true);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(param, "the " + param + " cannot be tokenized: " + e.getMessage());
        }
        if (ids.length == 0) {
            throw ApiException.badRequest(param, "the " + param + " is empty and the model adds no BOS token:"
                    + " nothing to continue");
        }
        return ids;
    }

    private static boolean allIntegers(JsonNode array) {
        for (JsonNode n : array) {
            if (!n.isIntegralNumber()) {
                return false;
            }
        }
        return true;
    }
}
