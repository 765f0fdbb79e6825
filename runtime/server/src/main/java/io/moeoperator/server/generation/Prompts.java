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
                JsonNode id = prompt.get(i);
                // canConvertToInt first: asLong() would wrap 2^64 + 5 around to the valid id 5.
                if (!id.canConvertToInt() || id.intValue() < 0 || id.intValue() >= tokenizer.vocabSize()) {
                    throw ApiException.badRequest("prompt", "token id " + id + " at prompt[" + i
                            + "] is outside the vocabulary (0.." + (tokenizer.vocabSize() - 1) + ")");
                }
                ids[i] = id.intValue();
            }
            return ids;
        }
        if (prompt.isArray() && prompt.size() > 1 && prompt.get(0).isTextual()) {
            throw ApiException.badRequest("prompt", "only one prompt per request is supported, got " + prompt.size());
        }
        throw ApiException.badRequest("prompt", "prompt must be a string, a list with one string, or a list of"
                + " token ids");
    }

    /**
     * The roles OpenAI's chat API defines. Whether a model's template accepts each is the template's
     * to say (DeepSeek's default takes system, user and assistant); any other role is refused here.
     */
    static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool", "function");

    /** /v1/chat/completions {@code messages}, rendered with the model's chat template. */
    public static int[] chat(List<ChatCompletionRequest.Message> messages, ChatTemplate template,
                             BpeTokenizer tokenizer) {
        if (messages == null || messages.isEmpty()) {
            throw ApiException.badRequest("messages", "'messages' must hold at least one message");
        }
        List<Map<String, Object>> turns = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            ChatCompletionRequest.Message m = messages.get(i);
            String at = "messages[" + i + "]";
            if (m == null) {
                throw ApiException.badRequest(at, at + " is null; each message is an object with a role and content");
            }
            if (m.role() == null || m.role().isEmpty()) {
                throw ApiException.badRequest(at + ".role", at + " has no role");
            }
            if (!ROLES.contains(m.role())) {
                throw ApiException.badRequest(at + ".role", at + " has the unknown role '"
                        + RequestValidation.abbreviate(m.role()) + "'; roles are " + String.join(", ", ROLES));
            }
            if (m.content() == null || m.content().isNull()) {
                throw ApiException.badRequest(at + ".content", at + " (role " + m.role() + ") has no content;"
                        + " send a string or a list of text parts");
            }
            Map<String, Object> turn = new LinkedHashMap<>();
            turn.put("role", m.role());
            turn.put("content", text(m.content(), at + ".content"));
            if (m.name() != null) {
                requireWellFormed(m.name(), at + ".name");
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
        if (content.isTextual()) {
            return requireWellFormed(content.textValue(), param);
        }
        if (content.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < content.size(); j++) {
                JsonNode part = content.get(j);
                String partParam = param + "[" + j + "]";
                if (!part.isObject()) {
                    throw ApiException.badRequest(partParam, partParam + " must be a text part {\"type\": \"text\","
                            + " \"text\": ...}, got " + RequestValidation.abbreviate(part.toString()));
                }
                JsonNode type = part.get("type");
                if (type == null || !type.isTextual()) {
                    throw ApiException.badRequest(partParam + ".type", partParam + " has no type; only text parts"
                            + " ({\"type\": \"text\", \"text\": ...}) are supported");
                }
                if (!type.textValue().equals("text")) {
                    throw ApiException.badRequest(partParam + ".type", partParam + " is a '"
                            + RequestValidation.abbreviate(type.textValue()) + "' part; this model reads only text parts"
                            + " ({\"type\": \"text\", \"text\": ...})");
                }
                JsonNode text = part.get("text");
                if (text == null || !text.isTextual()) {
                    throw ApiException.badRequest(partParam + ".text", partParam + ".text must be a string, got "
                            + (text == null ? "nothing" : RequestValidation.abbreviate(text.toString())));
                }
                sb.append(requireWellFormed(text.textValue(), partParam + ".text"));
            }
            return sb.toString();
        }
        throw ApiException.badRequest(param, param + " must be a string or a list of text parts, got "
                + RequestValidation.abbreviate(content.toString()));
    }

    /**
     * Text must be valid Unicode: a JSON string can carry an unpaired surrogate as an escape (backslash,
     * u, d800), which no UTF-8 text holds and no tokenizer can encode faithfully (Java makes it '?').
     */
    static String requireWellFormed(String text, String param) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw ApiException.badRequest(param, param + " holds an unpaired UTF-16 surrogate (\\u"
                        + Integer.toHexString(c) + ") at character " + i + "; send valid Unicode text");
            }
        }
        return text;
    }

    /** BOS as the model asks; special-token text written in the prompt counts as that token. */
    private static int[] encode(String text, String param, BpeTokenizer tokenizer) {
        requireWellFormed(text, param);
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
