package io.moeoperator.server.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.moeoperator.server.api.ApiException;
import io.moeoperator.server.api.CompletionRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RequestValidationTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static CompletionRequest request(Integer maxTokens, Double temperature, Double topP, Integer topK, String stopJson) {
        JsonNode stop;
        try {
            stop = stopJson == null ? null : JSON.readTree(stopJson);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return new CompletionRequest("m", null, maxTokens, temperature, topP, topK, 7L, stop, null, true, null,
                null, null, null, null, null, null, null);
    }

    static ApiException refused(CompletionRequest r) {
        return assertThrows(ApiException.class, () -> {
            RequestValidation.checkSampling(r);
            RequestValidation.options(r, "prompt", 10, 100, 16);
        });
    }

    @Test
    void defaultsFollowOpenAi() {
        GenerationOptions o = RequestValidation.options(request(null, null, null, null, null), "prompt", 10, 100, 16);
        assertEquals(16, o.maxTokens());
        assertEquals(1f, o.sampling().temperature());
        assertEquals(1f, o.sampling().topP());
        assertEquals(List.of(), o.stops());
    }

    @Test
    void defaultBudgetShrinksToTheContextLeft() {
        assertEquals(5, RequestValidation.options(request(null, null, null, null, null), "prompt", 95, 100, 16).maxTokens());
    }

    /** Chat's default (no max_tokens) is the rest of the served context, which the KV cache always holds for one sequence. */
    @Test
    void aChatWithoutMaxTokensTakesExactlyWhatTheServedContextLeaves() {
        assertEquals(136, RequestValidation.options(request(null, null, null, null, null), "messages", 40, 176,
                Integer.MAX_VALUE).maxTokens());
    }

    @Test
    void stopIsAStringOrAList() {
        assertEquals(List.of("a"), RequestValidation.options(request(3, 0.0, null, null, "\"a\""), "prompt", 1, 100, 16).stops());
        assertEquals(List.of("a", "b"),
                RequestValidation.options(request(3, 0.0, null, null, "[\"a\",\"b\"]"), "prompt", 1, 100, 16).stops());
        assertEquals("stop", param(refused(request(3, 0.0, null, null, "[1]"))));
        assertEquals("stop", param(refused(request(3, 0.0, null, null, "{}"))));
        assertEquals("stop", param(refused(request(3, 0.0, null, null, "\"\""))));
    }

    @Test
    void badValuesNameTheirField() {
        assertEquals("temperature", param(refused(request(3, 2.5, null, null, null))));
        assertEquals("temperature", param(refused(request(3, -0.1, null, null, null))));
        assertEquals("top_p", param(refused(request(3, null, 0.0, null, null))));
        assertEquals("top_k", param(refused(request(3, null, null, -2, null))));
        assertEquals("max_tokens", param(refused(request(0, null, null, null, null))));
        ApiException tooLong = refused(request(91, null, null, null, null));
        assertEquals("max_tokens", param(tooLong));
        assertTrue(tooLong.getMessage().contains("at most 90"), tooLong.getMessage());
    }

    @Test
    void aPromptThatFillsTheContextIsRefused() {
        ApiException e = assertThrows(ApiException.class,
                () -> RequestValidation.options(request(null, null, null, null, null), "prompt", 100, 100, 16));
        assertEquals("prompt", param(e));
        assertEquals("context_length_exceeded", e.body().error().code());
    }

    @Test
    void unknownModelIsNamed() {
        ApiException e = assertThrows(ApiException.class, () -> RequestValidation.requireModel("gpt-4", "tiny"));
        assertEquals(400, e.status());
        assertEquals("model_not_found", e.body().error().code());
        assertTrue(e.getMessage().contains("gpt-4") && e.getMessage().contains("tiny"));
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void logitBiasMapsTokenIdsToBiases() {
        assertEquals(Map.of(), RequestValidation.logitBias(null, 384));
        assertEquals(Map.of(), RequestValidation.logitBias(json("null"), 384));
        assertEquals(Map.of(), RequestValidation.logitBias(json("{}"), 384));
        assertEquals(Map.of(0, -100f, 383, 100f, 7, 2.5f),
                RequestValidation.logitBias(json("{\"0\": -100, \"383\": 100, \"7\": 2.5}"), 384));
    }

    @Test
    void aBadLogitBiasNamesTheKeyOrValue() {
        for (String[] c : new String[][] {
            {"{\"abc\": 5}", "'abc' is not a token id"},
            {"{\"-1\": 5}", "'-1' is not a token id"},
            {"{\"1.5\": 5}", "'1.5' is not a token id"},
            {"{\" 7\": 5}", "' 7' is not a token id"},
            {"{\"384\": 5}", "'384' is outside the vocabulary: token ids are 0 to 383"},
            {"{\"99999999999999999999\": 5}", "'99999999999999999999' is outside the vocabulary"},
            {"{\"5\": 101}", "value for token 5 must be a number from -100 to 100, got 101"},
            {"{\"5\": -100.5}", "got -100.5"},
            {"{\"5\": \"10\"}", "got \"10\""},
            {"{\"5\": null}", "got null"},
            {"{\"5\": 1e999}", "must be a number from -100 to 100"},
            {"[5]", "must be an object mapping token ids"},
            {"\"5\"", "must be an object mapping token ids"},
        }) {
            ApiException e = assertThrows(ApiException.class, () -> RequestValidation.logitBias(json(c[0]), 384), c[0]);
            assertEquals("logit_bias", param(e), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void logitBiasReachesTheSamplingParameters() {
        GenerationOptions o = RequestValidation.options(request(3, 0.0, null, null, null), "prompt", 1, 100, 16)
                .withLogitBias(Map.of(5, -100f));
        assertEquals(Map.of(5, -100f), o.sampling().logitBias());
        assertEquals(0f, o.sampling().temperature());
    }

    private static String param(ApiException e) {
        assertEquals(400, e.status());
        return e.body().error().param();
    }
}
