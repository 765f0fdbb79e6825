package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.errors.BadRequestException;
import com.openai.models.completions.CompletionCreateParams;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.net.URI;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

/** Every kind of bad input gets a 4xx and OpenAI's error body naming what was wrong; never a 5xx. */
@QuarkusIntegrationTest
@WithTestResource(SyntheticModelResource.class)
class OpenAiErrorsIT {
    static final String MODEL = SyntheticModelResource.MODEL_ID;

    @TestHTTPResource("/")
    URI base;

    Http http() {
        return new Http(base, null);
    }

    /**
     * A valid completion request with one field replaced (or added) as raw JSON. Replaced, not given
     * twice: a field given twice is an error of its own.
     */
    static String completion(String field, String json) {
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"Hello\""
                + ("max_tokens".equals(field) ? "" : ",\"max_tokens\":4");
        return body + (field == null ? "" : ",\"" + field + "\":" + json) + "}";
    }

    JsonNode refused(String path, String body, String param) {
        JsonNode error = http().post(path, body).error(400);
        assertEquals("invalid_request_error", error.get("type").asText());
        if (param != null) {
            assertEquals(param, error.get("param").asText(), error.toString());
        }
        return error;
    }

    @Test
    void malformedJson() {
        JsonNode e = refused("/v1/completions", "{\"model\": \"" + MODEL + "\", \"prompt\": ", null);
        assertTrue(e.get("message").asText().contains("not valid JSON"), e.toString());
        refused("/v1/chat/completions", "[1, 2", null);
        refused("/v1/completions", "", null);
    }

    @Test
    void wrongFieldTypesNameTheField() {
        refused("/v1/completions", completion("max_tokens", "\"many\""), "max_tokens");
        refused("/v1/completions", completion("max_tokens", "1.5"), "max_tokens");
        refused("/v1/completions", completion("max_tokens", "99999999999999999999"), "max_tokens");
        refused("/v1/completions", completion("temperature", "\"hot\""), "temperature");
        refused("/v1/completions", completion("stream", "\"yes\""), "stream");
        refused("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":\"hi\"}", "messages");
    }

    @Test
    void unknownOrMissingModel() {
        JsonNode e = refused("/v1/completions", "{\"model\":\"gpt-4o\",\"prompt\":\"hi\"}", "model");
        assertEquals("model_not_found", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("gpt-4o"));
        refused("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model");
    }

    @Test
    void badParameterValues() {
        refused("/v1/completions", completion("temperature", "-1"), "temperature");
        refused("/v1/completions", completion("temperature", "2.5"), "temperature");
        refused("/v1/completions", completion("top_p", "0"), "top_p");
        refused("/v1/completions", completion("top_p", "1.5"), "top_p");
        refused("/v1/completions", completion("top_k", "-5"), "top_k");
        refused("/v1/completions", completion("n", "2"), "n");
        refused("/v1/completions", completion("stop", "42"), "stop");
        refused("/v1/completions", completion("stop", "[\"ok\", 1]"), "stop");
        refused("/v1/completions", completion("echo", "true"), "echo");
        refused("/v1/completions", completion("presence_penalty", "0.5"), "presence_penalty");
        refused("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":0}", "max_tokens");
        refused("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":[\"a\",\"b\"]}", "prompt");
        refused("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":[1, 99999]}", "prompt");
        refused("/v1/completions", "{\"model\":\"" + MODEL + "\"}", "prompt");
        refused("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[]}", "messages");
        refused("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"content\":\"hi\"}]}",
                "messages[0].role");
        refused("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}}]}]}", "messages[0].content[0].type");
        refused("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\"}]}",
                "messages[0].content");
        refused("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"wizard\",\"content\":"
                + "\"hi\"}]}", "messages[0].role");
        // The default template accepts system, user and assistant turns only.
        refused("/v1/chat/completions", "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"tool\",\"content\":"
                + "\"42\"}]}", "messages");
    }

    @Test
    void promptLongerThanTheContext() {
        String longPrompt = "word ".repeat(SyntheticModelResource.CONTEXT * 2);
        JsonNode e = refused("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"" + longPrompt + "\"}",
                "prompt");
        assertEquals("context_length_exceeded", e.get("code").asText());
        JsonNode tooMany = refused("/v1/completions",
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"Hello\",\"max_tokens\":100000}", "max_tokens");
        assertEquals("context_length_exceeded", tooMany.get("code").asText());
    }

    @Test
    void theOfficialClientSeesBadRequests() {
        BadRequestException e = assertThrows(BadRequestException.class, () -> http().openAi().completions().create(
                CompletionCreateParams.builder().model("no-such-model").prompt("hi").build()));
        assertEquals(400, e.statusCode());
        assertEquals("model", e.param().orElseThrow());
        assertEquals("model_not_found", e.code().orElseThrow());
    }

    @Test
    void routingErrorsUseTheSameBody() {
        assertEquals("not_found_error", http().get("/v1/nothing-here").error(404).get("type").asText());
        http().send(HttpRequest.newBuilder(base.resolve("/v1/completions")).GET()).error(405);
        http().send(HttpRequest.newBuilder(base.resolve("/v1/completions")).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hi"))).error(415);
    }

    @Test
    void refusalsAreCounted() {
        double before = http().metric("moe_request_failure_total", "reason=\"invalid_request\"");
        refused("/v1/completions", completion("n", "3"), "n");
        assertEquals(before + 1, http().metric("moe_request_failure_total", "reason=\"invalid_request\""));
    }
}
