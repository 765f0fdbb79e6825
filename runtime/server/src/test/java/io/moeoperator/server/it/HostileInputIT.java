package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile request bodies, each its own named case, sent as raw bytes (java.net.http,
 * and a raw socket where the HTTP request itself must lie). Every one must get a 4xx with OpenAI's
 * error body ({@code {"error": {"message", "type", "param", "code"}}}), the status and param listed
 * with the case; never a 5xx, and never a hang: each exchange has a client timeout that fails the
 * case. Afterwards the server is live, has counted no server error, and still answers normal
 * requests.
 */
@QuarkusIntegrationTest
@WithTestResource(SyntheticModelResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {
    static final String MODEL = SyntheticModelResource.MODEL_ID;
    static final String COMPLETIONS = "/v1/completions";
    static final String CHAT = "/v1/chat/completions";
    /** Long enough for a 3 MB prompt to be tokenized on a loaded 2-core machine; a hang fails the case. */
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(120);
    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** 8 MiB, application.properties' quarkus.http.limits.max-body-size. */
    static final int BODY_LIMIT = 8 << 20;

    @TestHTTPResource("/")
    URI base;

    /**
     * One hostile request and the answer it must get.
     *
     * @param param the expected error.param, or null for none
     * @param code  the expected error.code, or null to not check it
     */
    record Case(String name, String path, Map<String, String> headers, byte[] body, boolean chunked, int status,
                String param, String code) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Case completion(String name, String json, String param) {
        return raw(name, COMPLETIONS, utf8(json), 400, param);
    }

    static Case chat(String name, String json, String param) {
        return raw(name, CHAT, utf8(json), 400, param);
    }

    static Case raw(String name, String path, byte[] body, int status, String param) {
        return new Case(name, path, Map.of("Content-Type", "application/json"), body, false, status, param, null);
    }

    static Case withCode(Case c, String code) {
        return new Case(c.name, c.path, c.headers, c.body, c.chunked, c.status, c.param, code);
    }

    /** A completion body with the usual fields and one more, written as raw JSON. */
    static String completionWith(String field, String json) {
        return "{\"model\":\"" + MODEL + "\",\"prompt\":\"Hello\",\"max_tokens\":4,\"" + field + "\":" + json + "}";
    }

    static String chatWith(String messagesJson) {
        return "{\"model\":\"" + MODEL + "\",\"max_tokens\":4,\"messages\":" + messagesJson + "}";
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A valid completion body around raw prompt bytes, which need not be UTF-8. */
    static byte[] promptBytes(byte... prompt) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(utf8("{\"model\":\"" + MODEL + "\",\"prompt\":\"a"));
        out.writeBytes(prompt);
        out.writeBytes(utf8("b\",\"max_tokens\":2}"));
        return out.toByteArray();
    }

    static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(bytes);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    static byte[] overLimitBody() {
        return utf8("{\"model\":\"" + MODEL + "\",\"prompt\":\"" + "x".repeat(BODY_LIMIT + 1024) + "\"}");
    }

    static List<Case> cases() {
        String ok = "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":2}";
        String user = "{\"role\":\"user\",\"content\":\"hi\"}";
        List<Case> c = new ArrayList<>();
        // Not JSON, or not one JSON object.
        c.add(completion("truncated JSON", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi", null));
        c.add(completion("a bare word for a body", "hello", null));
        c.add(completion("empty body", "", null));
        c.add(completion("whitespace for a body", " \r\n\t ", null));
        c.add(completion("a JSON array for a body", "[{\"model\":\"" + MODEL + "\"}]", null));
        c.add(completion("a JSON number for a body", "42", null));
        c.add(completion("a JSON string for a body", "\"hello\"", null));
        c.add(completion("JSON null for a body", "null", null));
        c.add(completion("trailing garbage after the JSON", ok + " garbage", null));
        c.add(completion("a second JSON object after the first", ok + ok, null));
        c.add(completion("a key given twice", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"prompt\":\"ho\"}", null));
        c.add(completion("nesting depth bomb: 100,000 brackets", completionWith("x", "[".repeat(100_000)), null));
        c.add(completion("nesting depth bomb of objects in the prompt",
                "{\"model\":\"" + MODEL + "\",\"prompt\":" + "{\"a\":".repeat(5000) + "1" + "}".repeat(5000) + "}", "prompt"));
        c.add(completion("NaN for a number", completionWith("temperature", "NaN"), null));
        c.add(new Case("text/plain Content-Type", COMPLETIONS, Map.of("Content-Type", "text/plain"), utf8(ok), false, 415,
                null, null));
        c.add(new Case("form-urlencoded Content-Type", COMPLETIONS,
                Map.of("Content-Type", "application/x-www-form-urlencoded"), utf8(ok), false, 415, null, null));
        c.add(new Case("a gzip body the server was not told how to read", COMPLETIONS,
                Map.of("Content-Type", "application/json"), gzip(utf8(ok)), false, 400, null, null));
        // Bytes that are not UTF-8, and text that is not Unicode.
        c.add(raw("non-UTF-8 bytes in the prompt (FF FE)", COMPLETIONS, promptBytes((byte) 0xFF, (byte) 0xFE), 400,
                null));
        c.add(raw("overlong UTF-8 for '/' (C0 AF)", COMPLETIONS, promptBytes((byte) 0xC0, (byte) 0xAF), 400, null));
        c.add(raw("a UTF-8 sequence cut short (E4 BD)", COMPLETIONS, promptBytes((byte) 0xE4, (byte) 0xBD), 400,
                null));
        c.add(raw("a code point above U+10FFFF (F4 90 80 80)", COMPLETIONS,
                promptBytes((byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80), 400, null));
        c.add(raw("a lone surrogate as raw bytes (ED A0 80)", COMPLETIONS,
                promptBytes((byte) 0xED, (byte) 0xA0, (byte) 0x80), 400, null));
        c.add(completion("a lone high surrogate escape in the prompt",
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"a\\ud800b\"}", "prompt"));
        c.add(completion("a lone low surrogate escape in a prompt list",
                "{\"model\":\"" + MODEL + "\",\"prompt\":[\"\\udc00\"]}", "prompt"));
        c.add(chat("a lone surrogate escape in a message", chatWith("[{\"role\":\"user\",\"content\":\"\\udbff\"}]"),
                "messages[0].content"));
        c.add(completion("a lone surrogate escape in a stop string", completionWith("stop", "[\"\\ud800\"]"), "stop"));
        // Sizes.
        c.add(withCode(completion("a 3 MB prompt",
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"" + "word ".repeat(600_000) + "\"}", "prompt"),
                "context_length_exceeded"));
        c.add(withCode(raw("a body over the 8 MiB limit", COMPLETIONS, overLimitBody(), 413, null), "request_too_large"));
        c.add(new Case("a chunked body that grows past the 8 MiB limit", COMPLETIONS,
                Map.of("Content-Type", "application/json"), overLimitBody(), true, 413, null, "request_too_large"));
        c.add(withCode(chat("20,000 messages", chatWith("[" + String.join(",", java.util.Collections.nCopies(20_000, user))
                + "]"), "messages"), "context_length_exceeded"));
        c.add(completion("500,000 prompt token ids", "{\"model\":\"" + MODEL + "\",\"prompt\":["
                + "5,".repeat(499_999) + "5]}", "prompt"));
        c.add(completion("a 1 MB model name", "{\"model\":\"" + "m".repeat(1 << 20) + "\",\"prompt\":\"hi\"}", "model"));
        // Absurd numbers and wrong types.
        c.add(completion("max_tokens 2^31", completionWith("max_tokens", "2147483648").replace(",\"max_tokens\":4", ""),
                "max_tokens"));
        c.add(completion("max_tokens 1e30", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":1e30}",
                "max_tokens"));
        c.add(completion("max_tokens 10^40", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":"
                + "1" + "0".repeat(40) + "}", "max_tokens"));
        c.add(completion("max_tokens -1", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":-1}", "max_tokens"));
        c.add(completion("max_tokens -2^31", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":-2147483648}",
                "max_tokens"));
        c.add(withCode(completion("max_tokens 2^31-1, beyond the context",
                "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":2147483647}", "max_tokens"),
                "context_length_exceeded"));
        c.add(completion("max_tokens as a string", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\",\"max_tokens\":\"4\"}",
                "max_tokens"));
        c.add(chat("max_completion_tokens 0", "{\"model\":\"" + MODEL + "\",\"max_completion_tokens\":0,\"messages\":["
                + user + "]}", "max_tokens"));
        c.add(completion("temperature 1e308", completionWith("temperature", "1e308"), "temperature"));
        c.add(completion("temperature as a string", completionWith("temperature", "\"hot\""), "temperature"));
        c.add(completion("top_p -1", completionWith("top_p", "-1"), "top_p"));
        c.add(completion("n 2^31", completionWith("n", "2147483648"), "n"));
        c.add(completion("seed 1.5", completionWith("seed", "1.5"), "seed"));
        c.add(completion("stream as a string", completionWith("stream", "\"true\""), "stream"));
        c.add(completion("stream_options as a string", completionWith("stream_options", "\"x\""), "stream_options"));
        c.add(completion("stop with a number in it", completionWith("stop", "[\"a\", 1]"), "stop"));
        c.add(completion("prompt as an object", "{\"model\":\"" + MODEL + "\",\"prompt\":{\"text\":\"hi\"}}", "prompt"));
        c.add(completion("prompt token id 2^64 + 5", "{\"model\":\"" + MODEL + "\",\"prompt\":[18446744073709551621]}",
                "prompt"));
        c.add(completion("prompt token id -1", "{\"model\":\"" + MODEL + "\",\"prompt\":[1, -1]}", "prompt"));
        c.add(completion("prompt as a list of token-id lists", "{\"model\":\"" + MODEL + "\",\"prompt\":[[1, 2]]}",
                "prompt"));
        c.add(completion("model as a number", "{\"model\":5,\"prompt\":\"hi\"}", "model"));
        // Messages.
        c.add(chat("an unknown role", chatWith("[{\"role\":\"wizard\",\"content\":\"hi\"}]"), "messages[0].role"));
        c.add(chat("a role that is a number", chatWith("[{\"role\":1,\"content\":\"hi\"}]"), "messages[0].role"));
        c.add(chat("a message without a role", chatWith("[{\"content\":\"hi\"}]"), "messages[0].role"));
        c.add(chat("a user message without content", chatWith("[{\"role\":\"user\"}]"), "messages[0].content"));
        c.add(chat("an assistant message with null content", chatWith("[" + user
                + ",{\"role\":\"assistant\",\"content\":null}," + user + "]"), "messages[1].content"));
        c.add(chat("a null message", chatWith("[" + user + ",null]"), "messages[1]"));
        c.add(chat("messages as an object", chatWith(user), "messages"));
        c.add(chat("no messages", chatWith("[]"), "messages"));
        c.add(chat("a content array with an image_url part", chatWith("[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"text\",\"text\":\"what is this?\"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
                + "\"data:image/png;base64,iVBORw0KGgo=\"}}]}]"), "messages[0].content[1].type"));
        c.add(chat("a content array with a number in it", chatWith("[{\"role\":\"user\",\"content\":[7]}]"),
                "messages[0].content[0]"));
        c.add(chat("a text part without text", chatWith("[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]"),
                "messages[0].content[0].text"));
        c.add(chat("content as an object", chatWith("[{\"role\":\"user\",\"content\":{\"text\":\"hi\"}}]"),
                "messages[0].content"));
        c.add(chat("tools", "{\"model\":\"" + MODEL + "\",\"messages\":[" + user + "],\"tools\":[{\"type\":\"function\","
                + "\"function\":{\"name\":\"f\"}}]}", "tools"));
        // logit_bias.
        c.add(completion("logit_bias key that is not a token id", completionWith("logit_bias", "{\"abc\":5}"),
                "logit_bias"));
        c.add(completion("logit_bias id beyond the vocabulary", completionWith("logit_bias", "{\"100000\":5}"),
                "logit_bias"));
        c.add(completion("logit_bias value 1000", completionWith("logit_bias", "{\"5\":1000}"), "logit_bias"));
        c.add(chat("logit_bias value as a string", "{\"model\":\"" + MODEL + "\",\"messages\":[" + user
                + "],\"logit_bias\":{\"5\":\"-100\"}}", "logit_bias"));
        c.add(completion("logit_bias as a list", completionWith("logit_bias", "[[5, -100]]"), "logit_bias"));
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @Order(1)
    void refusedWithAnOpenAiError(Case c) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(c.path)).timeout(CLIENT_TIMEOUT)
                .POST(c.chunked
                        ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(c.body))
                        : HttpRequest.BodyPublishers.ofByteArray(c.body));
        c.headers.forEach(request::header);
        HttpResponse<String> r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertOpenAiError(c, r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /** A Content-Length over the limit, and no body at all: refused from the header, without waiting for one. */
    @Test
    @Order(2)
    void aDeclaredLengthOverTheLimitIsRefusedBeforeTheBody() throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout((int) CLIENT_TIMEOUT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + COMPLETIONS + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000000000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            RawResponse r = RawResponse.read(socket.getInputStream());
            assertOpenAiError(new Case("Content-Length 10^9", COMPLETIONS, Map.of(), new byte[0], false, 413, null,
                    "request_too_large"), r.status, r.headers.getOrDefault("content-type", ""), r.body);
        }
    }

    /** A client that sends half its body and stalls holds only its own connection. */
    @Test
    @Order(2)
    void aStalledUploadDoesNotHoldUpOthers() throws Exception {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + COMPLETIONS + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertServes();
        }
    }

    @Test
    @Order(3)
    void theServerIsStillLiveAndServes() {
        Http http = new Http(base, null);
        assertEquals(200, http.get("/q/health/live").status());
        assertServes();
        // A Chinese prompt: synthetic vocabularies hold all 256 byte tokens.
        JsonNode chinese = http.post(CHAT, "{\"model\":\"" + MODEL + "\",\"max_tokens\":4,\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"你好，世界！请介绍一下你自己。\"}]}").json();
        assertTrue(chinese.get("choices").get(0).get("finish_reason").asText().matches("stop|length"), chinese.toString());
        assertEquals(0.0, http.metric("moe_request_failure_total", "reason=\"error\""), "no request failed as a server error");
        assertEquals(0.0, http.metric("moe_requests_running"));
        assertEquals(0.0, http.metric("moe_requests_waiting"));
    }

    private void assertServes() {
        Http http = new Http(base, null);
        Http.Reply r = http.post(COMPLETIONS, "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\","
                + "\"max_tokens\":4,\"temperature\":0}");
        assertEquals(200, r.status(), r.body());
        assertEquals("length", r.json().get("choices").get(0).get("finish_reason").asText(), r.body());
    }

    static void assertOpenAiError(Case c, int status, String contentType, String body) {
        String shown = body.length() > 500 ? body.substring(0, 500) + "..." : body;
        assertEquals(c.status, status, c.name + ": " + shown);
        assertTrue(contentType.startsWith("application/json"), c.name + ": Content-Type " + contentType);
        JsonNode error;
        try {
            error = Http.JSON.readTree(body).get("error");
        } catch (IOException e) {
            throw new AssertionError(c.name + ": not JSON: " + shown, e);
        }
        for (String field : new String[] {"message", "type", "param", "code"}) {
            assertTrue(error != null && error.has(field), c.name + ": no error." + field + " in " + shown);
        }
        assertTrue(error.get("message").isTextual() && !error.get("message").asText().isEmpty(), shown);
        assertTrue(error.get("message").asText().length() < 2000, c.name + ": the message repeats the input: " + shown);
        assertEquals("invalid_request_error", error.get("type").asText(), shown);
        assertEquals(c.param, error.get("param").isNull() ? null : error.get("param").asText(), c.name + ": " + shown);
        if (c.code != null) {
            assertEquals(c.code, error.get("code").asText(), c.name + ": " + shown);
        }
    }

    /** Just enough HTTP/1.1 to read one response with a Content-Length. */
    record RawResponse(int status, Map<String, String> headers, String body) {
        static RawResponse read(InputStream in) throws IOException {
            String statusLine = line(in);
            Map<String, String> headers = new LinkedHashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(h.substring(0, colon).trim().toLowerCase(), h.substring(colon + 1).trim());
            }
            byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
            return new RawResponse(Integer.parseInt(statusLine.split(" ")[1]), headers,
                    new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            StringBuilder s = new StringBuilder();
            for (int b; (b = in.read()) != '\n'; ) {
                if (b < 0) {
                    throw new IOException("the connection closed mid-response: " + s);
                }
                if (b != '\r') {
                    s.append((char) b);
                }
            }
            return s.toString();
        }
    }
}
