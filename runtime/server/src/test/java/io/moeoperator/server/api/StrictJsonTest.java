package io.moeoperator.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Request bodies read by the server's own mapper settings, and the 400 each malformed one becomes. */
class StrictJsonTest {
    static final ObjectMapper MAPPER = new ObjectMapper();

    static {
        new StrictJson().customize(MAPPER);
    }

    static ApiException refused(Class<?> type, String body) {
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> MAPPER.readValue(body, type), body);
        ApiException api = ErrorMappers.fromJson(e);
        assertEquals(400, api.status());
        return api;
    }

    static void assertRefused(String body, String param, String message) {
        ApiException e = refused(CompletionRequest.class, body);
        assertEquals(param, e.body().error().param(), body);
        assertEquals(message, e.getMessage(), body);
    }

    @Test
    void aValidBodyReads() throws Exception {
        CompletionRequest r = MAPPER.readValue("{\"model\":\"m\",\"prompt\":\"hi\",\"max_tokens\":3,\"logit_bias\":"
                + "{\"5\":-100},\"unknown_new_field\":1}  \n", CompletionRequest.class);
        assertEquals(3, r.maxTokens());
        assertEquals(-100, r.logitBias().get("5").asInt());
    }

    @Test
    void malformedBodiesSayWhatIsWrongInJsonTerms() {
        assertRefused("{\"model\":\"m\",\"prompt\":\"hi\"} garbage", null,
                "the request body is not valid JSON: Unrecognized token 'garbage': was expecting (JSON String, Number,"
                        + " Array, Object or token 'null', 'true' or 'false')");
        assertRefused("{\"model\":\"m\",\"prompt\":\"hi\"} {}", null,
                "the request body has more after its JSON object; send exactly one JSON object");
        assertRefused("{\"model\":\"m\",\"prompt\":\"hi\"}]", null,
                "the request body is not valid JSON: Unexpected close marker ']': no open Array to close");
        assertRefused("{\"model\":\"m\",\"prompt\":\"hi\",\"prompt\":\"x\"}", null,
                "the request body is not valid JSON: Duplicate field 'prompt'");
        assertRefused("", null, "the request body is empty; send a JSON object");
        assertRefused("{\"model\":\"m\",\"prompt\":[1, 2", null,
                "the request body is not valid JSON: it ends before the JSON value does (truncated?)");
        assertRefused("[1, 2]", null, "the request body must be a JSON object: expected an object, got an array");
        assertRefused("42", null, "the request body must be a JSON object: expected an object, got a number (42)");
        assertRefused("\"hi\"", null, "the request body must be a JSON object: expected an object, got a string ('hi')");
    }

    @Test
    void wrongTypesNameTheField() {
        assertRefused("{\"max_tokens\":\"5\"}", "max_tokens", "invalid value for 'max_tokens': expected an integer,"
                + " got a string (\"5\")");
        assertRefused("{\"max_tokens\":1.5}", "max_tokens", "invalid value for 'max_tokens': expected an integer,"
                + " got a number with a fraction (1.5)");
        assertRefused("{\"max_tokens\":true}", "max_tokens", "invalid value for 'max_tokens': expected an integer,"
                + " got a boolean");
        assertRefused("{\"model\":5}", "model", "invalid value for 'model': expected a string, got a number (5)");
        assertRefused("{\"model\":false}", "model", "invalid value for 'model': expected a string, got a boolean"
                + " (false)");
        assertRefused("{\"stream\":\"yes\"}", "stream", "invalid value for 'stream': expected true or false, got a"
                + " string (\"yes\")");
        assertRefused("{\"temperature\":[1]}", "temperature", "invalid value for 'temperature': expected a number,"
                + " got an array");
        assertRefused("{\"stream_options\":\"x\"}", "stream_options", "invalid value for 'stream_options': expected an"
                + " object, got a string ('x')");
        ApiException role = refused(ChatCompletionRequest.class, "{\"messages\":[{\"role\":5,\"content\":\"x\"}]}");
        assertEquals("messages[0].role", role.body().error().param());
        ApiException messages = refused(ChatCompletionRequest.class, "{\"messages\":{\"role\":\"user\"}}");
        assertEquals("invalid value for 'messages': expected an array, got an object", messages.getMessage());
    }
}
