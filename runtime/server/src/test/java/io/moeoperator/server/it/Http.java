package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Talks to the server under test: the official OpenAI client, raw HTTP, and metric scrapes. */
final class Http {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final URI base;
    private final String apiKey;

    Http(URI base, String apiKey) {
        this.base = base;
        this.apiKey = apiKey;
    }

    URI base() {
        return base;
    }

    OpenAIClient openAi() {
        return OpenAIOkHttpClient.builder().baseUrl(base.resolve("/v1").toString())
                .apiKey(apiKey == null ? "unused" : apiKey).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    record Reply(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        /** Asserts OpenAI's error shape and returns its "error" object. */
        JsonNode error(int expectedStatus) {
            assertEquals(expectedStatus, status, body);
            JsonNode error = json().get("error");
            for (String field : new String[] {"message", "type", "param", "code"}) {
                if (error == null || !error.has(field)) {
                    throw new AssertionError("no error." + field + " in " + body);
                }
            }
            return error;
        }
    }

    Reply post(String path, String body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    Reply send(HttpRequest.Builder request) {
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        try {
            HttpResponse<String> r = CLIENT.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(request.build().uri() + ": " + e, e);
        }
    }

    /** One sample from /q/metrics, e.g. {@code metric("moe_request_failure_total", "reason=\"cancelled\"")}. */
    double metric(String name, String labels) {
        String text = get("/q/metrics").body();
        String series = labels.isEmpty() ? name : name + "{" + labels;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + "[^ \\n]*\\s+(\\S+)$").matcher(text);
        if (!m.find()) {
            throw new AssertionError("no series " + series + " in /q/metrics");
        }
        return Double.parseDouble(m.group(1));
    }

    double metric(String name) {
        return metric(name, "");
    }
}
