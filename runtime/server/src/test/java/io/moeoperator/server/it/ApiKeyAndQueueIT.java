package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.errors.UnauthorizedException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** A server with an API key and room for one running and one waiting request. */
@QuarkusIntegrationTest
@WithTestResource(SyntheticModelResource.class)
@TestProfile(ApiKeyAndQueueIT.KeyAndTinyQueue.class)
class ApiKeyAndQueueIT {
    static final String KEY = "s3cret-key";
    static final String MODEL = SyntheticModelResource.MODEL_ID;

    public static class KeyAndTinyQueue implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("moe.api-key", KEY, "moe.engine.max-num-seqs", "1", "moe.engine.max-waiting", "1",
                    "moe.retry-after-seconds", "3");
        }
    }

    @TestHTTPResource("/")
    URI base;

    @Test
    void v1NeedsTheKey() {
        JsonNode missing = new Http(base, null).get("/v1/models").error(401);
        assertEquals("invalid_api_key", missing.get("code").asText());
        assertTrue(missing.get("message").asText().contains("Authorization: Bearer"), missing.toString());
        new Http(base, "wrong").get("/v1/models").error(401);
        new Http(base, null).post("/v1/completions", "{\"model\":\"" + MODEL + "\",\"prompt\":\"hi\"}").error(401);
        // Unauthenticated clients learn nothing about paths either.
        new Http(base, null).get("/v1/no-such-path").error(401);
        assertThrows(UnauthorizedException.class, () -> new Http(base, "wrong").openAi().models().list());

        assertEquals(List.of(MODEL), new Http(base, KEY).openAi().models().list().data().stream().map(m -> m.id())
                .toList());
    }

    @Test
    void probesAndScrapesNeedNoKey() {
        Http anonymous = new Http(base, null);
        assertEquals(200, anonymous.get("/q/health/ready").status());
        assertEquals(200, anonymous.get("/q/metrics").status());
    }

    /**
     * Deterministic, whatever the machine's speed: a long stream holds the one running slot, a second
     * request takes the one waiting slot, and only then a third arrives: it must get 429.
     */
    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        Http http = new Http(base, KEY);
        double refusedBefore = http.metric("moe_request_failure_total", "reason=\"queue_full\"");
        String longStream = "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":900,"
                + "\"temperature\":0,\"stream\":true}";
        String shortOne = "{\"model\":\"" + MODEL + "\",\"prompt\":\"Hello\",\"max_tokens\":4,\"temperature\":0}";
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<InputStream> stream = client.send(HttpRequest.newBuilder(base.resolve("/v1/completions"))
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(longStream)).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, stream.statusCode());
        try (InputStream in = stream.body()) {
            in.read(); // the first byte of the stream: the long request is running
            try (ExecutorService pool = Executors.newSingleThreadExecutor()) {
                Future<Http.Reply> waiting = pool.submit(() -> http.post("/v1/completions", shortOne));
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (http.metric("moe_requests_waiting") < 1) {
                    assertTrue(System.nanoTime() < deadline, "the second request never showed as waiting");
                    Thread.sleep(20);
                }
                Http.Reply refused = http.post("/v1/completions", shortOne);
                JsonNode error = refused.error(429);
                assertEquals("queue_full", error.get("code").asText());
                assertEquals("3", refused.raw().headers().firstValue("Retry-After").orElseThrow());
                in.close(); // disconnect: the long request is cancelled and the waiting one runs
                assertEquals(200, waiting.get().status());
            }
        }
        assertEquals(refusedBefore + 1, http.metric("moe_request_failure_total", "reason=\"queue_full\""));
    }
}
