package io.moeoperator.server.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.engine.tokenizer.BpeTrainer;
import io.moeoperator.engine.tokenizer.PreTokenizer;
import io.moeoperator.engine.tokenizer.SpecialTokens;
import io.moeoperator.engine.tokenizer.TrainedVocab;
import io.moeoperator.server.api.ApiException;
import io.moeoperator.server.api.ChatCompletionRequest;
import io.moeoperator.server.chat.ChatTemplate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Prompts and messages as clients send them, including the malformed ones, on a real small vocabulary. */
class PromptsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final TrainedVocab VOCAB = BpeTrainer.train(BpeTrainer.DEFAULT_CORPUS, 400, PreTokenizer.DEEPSEEK_V3,
            List.of("<|bos|>", "<|eos|>"));
    static final BpeTokenizer TOKENIZER = VOCAB.tokenizer(PreTokenizer.DEEPSEEK_V3,
            SpecialTokens.of(VOCAB.idOf("<|bos|>"), VOCAB.idOf("<|eos|>"), true));
    static final ChatTemplate TEMPLATE = ChatTemplate.fallback(TOKENIZER);

    static List<ChatCompletionRequest.Message> messages(String json) {
        try {
            return JSON.readValue(json, new TypeReference<>() {});
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static ApiException refusedChat(String messagesJson) {
        return assertThrows(ApiException.class, () -> Prompts.chat(messages(messagesJson), TEMPLATE, TOKENIZER),
                messagesJson);
    }

    @Test
    void aConversationRendersAndEncodes() {
        int[] ids = Prompts.chat(messages("[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Hello\"},{\"type\":\"text\",\"text\":\"!\"}]}]"),
                TEMPLATE, TOKENIZER);
        assertEquals("Be brief.\n\nUser: Hello!\n\nAssistant:", TOKENIZER.decode(ids));
    }

    @Test
    void everyMalformedMessageNamesItsField() {
        String[][] cases = {
            // messages JSON, param, part of the message
            {"[{\"role\":\"user\"}]", "messages[0].content", "messages[0] (role user) has no content"},
            {"[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":null}]", "messages[1].content",
                "has no content"},
            {"[{\"content\":\"hi\"}]", "messages[0].role", "messages[0] has no role"},
            {"[{\"role\":\"\",\"content\":\"hi\"}]", "messages[0].role", "has no role"},
            {"[{\"role\":\"wizard\",\"content\":\"hi\"}]", "messages[0].role", "unknown role 'wizard'; roles are system,"},
            {"[null]", "messages[0]", "messages[0] is null"},
            {"[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"http://x/y.png\"}}]}]", "messages[0].content[1].type",
                "messages[0].content[1] is a 'image_url' part"},
            {"[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]", "messages[0].content[0].type", "'input_audio'"},
            {"[{\"role\":\"user\",\"content\":[{\"text\":\"a\"}]}]", "messages[0].content[0].type", "has no type"},
            {"[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]", "messages[0].content[0].text", "got nothing"},
            {"[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]", "messages[0].content[0].text", "got 5"},
            {"[{\"role\":\"user\",\"content\":[\"a\"]}]", "messages[0].content[0]", "must be a text part"},
            {"[{\"role\":\"user\",\"content\":5}]", "messages[0].content", "must be a string or a list of text parts"},
            {"[{\"role\":\"user\",\"content\":{\"type\":\"text\"}}]", "messages[0].content", "must be a string"},
            {"[{\"role\":\"user\",\"content\":\"a\\ud800b\"}]", "messages[0].content", "unpaired UTF-16 surrogate (\\ud800)"},
            {"[{\"role\":\"user\",\"content\":\"a\\udc00\"}]", "messages[0].content", "(\\udc00) at character 1"},
            {"[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"\\ud800\"}]}]", "messages[0].content[0].text",
                "unpaired"},
            {"[{\"role\":\"user\",\"content\":\"a\",\"name\":\"\\ud800\"}]", "messages[0].name", "unpaired"},
            // The default template takes system, user and assistant; it refuses the others itself.
            {"[{\"role\":\"tool\",\"content\":\"42\"}]", "messages", "the chat template rejected the messages"},
        };
        for (String[] c : cases) {
            ApiException e = refusedChat(c[0]);
            assertEquals(400, e.status(), c[0]);
            assertEquals(c[1], e.body().error().param(), c[0] + " -> " + e.getMessage());
            assertTrue(e.getMessage().contains(c[2]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void aSurrogatePairIsText() {
        assertEquals("\uD83D\uDE00", Prompts.requireWellFormed("\uD83D\uDE00", "prompt"));
    }

    @Test
    void completionPrompts() {
        assertArrayEquals(new int[] {5, 6}, Prompts.completion(json("[5, 6]"), TOKENIZER));
        String[][] cases = {
            {"\"a\\ud800\"", "unpaired UTF-16 surrogate"},
            {"[\"\\udfff\"]", "unpaired UTF-16 surrogate"},
            // 2^64 + 5: a long would wrap around to the valid id 5.
            {"[18446744073709551621]", "token id 18446744073709551621 at prompt[0] is outside the vocabulary"},
            {"[1, -1]", "token id -1 at prompt[1]"},
            {"[1, 400]", "token id 400 at prompt[1] is outside the vocabulary (0..399)"},
            {"[1.5]", "prompt must be a string"},
            {"[]", "prompt must be a string"},
            {"{}", "prompt must be a string"},
            {"[\"a\", \"b\"]", "only one prompt per request"},
        };
        for (String[] c : cases) {
            ApiException e = assertThrows(ApiException.class, () -> Prompts.completion(json(c[0]), TOKENIZER), c[0]);
            assertEquals("prompt", e.body().error().param(), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }
}
