package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/moe serve} under a memory limit (MOE_MEMORY_LIMIT, as the operator sets it): bin/moe
 * sizes the heap as the image's entrypoint does, the server logs the budget, sizes the KV cache from
 * it, caps the context to what the cache holds, and refuses flags that ask for more than there is.
 *
 * <p>The served model ({@link SyntheticModelResource}: 3 layers, kvLora 32, qkRope 16) caches 576
 * bytes per token, 9216 per block of 16; 100K of cache is 11 blocks, 176 tokens.
 */
class MemoryBudgetIT {
    static final Map<String, String> ONE_GIB = Map.of("MOE_MEMORY_LIMIT", "1073741824");
    static final Duration START = Duration.ofSeconds(90);

    static String model() {
        return SyntheticModelResource.model().toString();
    }

    @Test
    void theBudgetIsLoggedAndSizesTheDefaultCache() throws Exception {
        try (ServeProcess s = ServeProcess.startSizedByMemory("budget-default", ONE_GIB, "--model", model(), "--max-num-seqs", "2")) {
            s.awaitReady(START);
            String log = s.log();
            assertTrue(log.contains("Memory budget: container 1.00 GiB (moe.memory-limit) = model "), log);
            // bin/moe gave the JVM a quarter of the limit, as the image's entrypoint does.
            assertTrue(log.contains(" + JVM max heap 256.0 MiB + non-heap overhead 200.0 MiB + unused "), log);
            // 2 sequences of the model's 1024 tokens: 128 blocks, far below what is available.
            assertTrue(log.contains("; KV cache 128 blocks of 16 tokens (2048 tokens), default: min(available "), log);
            assertTrue(log.contains(", 2 sequences x 1024 tokens = 1.1 MiB)"), log);
            assertEquals(1024, s.http().get("/v1/models").json().get("data").get(0).get("max_model_len").asInt());
        }
    }

    @Test
    void withoutContextLengthTheContextIsCappedToWhatTheCacheHoldsAndDefaultMaxTokensFits() throws Exception {
        try (ServeProcess s = ServeProcess.startSizedByMemory("budget-capped", ONE_GIB, "--model", model(),
                "--kv-cache-memory", "100K")) {
            s.awaitReady(START);
            assertTrue(s.log().contains("Context: serving 176 tokens, not the model's 1024: the KV cache holds 176 tokens for"
                    + " one sequence (11 blocks of 16)"), s.log());
            assertEquals(176, s.http().get("/v1/models").json().get("data").get(0).get("max_model_len").asInt());
            // No max_tokens: a chat reply may take the rest of the served context, and the cache holds it.
            Http.Reply reply = s.http().post("/v1/chat/completions", "{\"model\":\"" + SyntheticModelResource.MODEL_ID
                    + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story\"}],\"temperature\":0}");
            assertEquals(200, reply.status(), reply.body());
            JsonNode usage = reply.json().get("usage");
            String finish = reply.json().get("choices").get(0).get("finish_reason").asText();
            int total = usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt();
            assertTrue(finish.equals("length") ? total == 176 : total < 176, finish + " after " + total + " tokens");
        }
    }

    @Test
    void aKvCacheMemoryBeyondTheBudgetStopsStartUpWithEveryTerm() throws Exception {
        try (ServeProcess s = ServeProcess.startSizedByMemory("budget-kv-too-large", ONE_GIB, "--model", model(),
                "--kv-cache-memory", "900M")) {
            assertNotEquals(0, s.awaitExit(START));
            String log = s.log();
            assertTrue(log.contains("--kv-cache-memory 900.0 MiB does not fit: the container's 1.00 GiB (moe.memory-limit)"
                    + " less the model's "), log);
            assertTrue(log.contains("the JVM's max heap 256.0 MiB and the non-heap overhead 200.0 MiB (moe.memory-overhead"
                    + " + heap/32) leaves "), log);
            assertTrue(log.contains("; lower --kv-cache-memory to at most "), log);
            assertTrue(!log.contains("\tat "), "a message, not a stack trace: " + log);
        }
    }

    @Test
    void aContextLengthTheCacheCannotHoldStopsStartUp() throws Exception {
        try (ServeProcess s = ServeProcess.startSizedByMemory("budget-context-too-long", ONE_GIB, "--model", model(),
                "--kv-cache-memory", "100K", "--context-length", "512")) {
            assertNotEquals(0, s.awaitExit(START));
            assertTrue(s.log().contains("--context-length 512 does not fit the KV cache: one sequence of 512 tokens needs 32"
                    + " blocks of 16 tokens (288.0 KiB), the cache holds 11 (176 tokens, from --kv-cache-memory 100.0 KiB); give the"
                    + " container more memory or set a larger --kv-cache-memory, or lower --context-length to at most 176"), s.log());
        }
    }

    @Test
    void noRoomForTheCacheStopsStartUp() throws Exception {
        // 400 MiB: the smallest heap (256 MiB) and the overhead (192 MiB) alone exceed it.
        try (ServeProcess s = ServeProcess.startSizedByMemory("budget-no-room", Map.of("MOE_MEMORY_LIMIT", "419430400"),
                "--model", model())) {
            assertNotEquals(0, s.awaitExit(START));
            assertTrue(s.log().contains("no memory is left for the KV cache: the container's 400.0 MiB (moe.memory-limit)"), s.log());
        }
    }
}
