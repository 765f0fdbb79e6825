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
import java.net.URI;
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

    @Test
    void aFullQueueAnswers429WithRetryAfter() throws Exception {
        Http http = new Http(base, KEY);
        double refusedBefore = http.metric("moe_request_failure_total", "reason=\"queue_full\"");
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":64,\"temperature\":0}";
        List<Future<Http.Reply>> replies = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(12)) {
            for (int i = 0; i < 12; i++) {
                replies.add(pool.submit(() -> http.post("/v1/completions", body)));
            }
        }
        int ok = 0;
        int busy = 0;
        for (Future<Http.Reply> f : replies) {
            Http.Reply r = f.get();
            if (r.status() == 200) {
                ok++;
            } else {
                JsonNode error = r.error(429);
                assertEquals("queue_full", error.get("code").asText());
                assertEquals("3", r.raw().headers().firstValue("Retry-After").orElseThrow());
                busy++;
            }
        }
        assertTrue(busy > 0, "one running and one waiting at most: some of 12 must be refused");
        assertTrue(ok >= 1, "the first request is served");
        assertEquals(refusedBefore + busy, http.metric("moe_request_failure_total", "reason=\"queue_full\""));
    }
}
