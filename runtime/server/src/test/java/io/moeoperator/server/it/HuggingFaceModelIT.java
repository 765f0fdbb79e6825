package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code moe serve --model hf://org/repo --model-file F} against {@link HubStandIn} (HF_ENDPOINT):
 * the commit pinned through the API, the file from the CDN the hub redirects to, a gated repository
 * that needs HF_TOKEN, a dropped connection resumed, the cache that makes the second start download
 * nothing, and clear refusals.
 */
class HuggingFaceModelIT {
    static final Path CACHE = Path.of("target", "hf-it", "cache").toAbsolutePath();
    HubStandIn hub;
    byte[] model;

    @BeforeEach
    void startHub() throws Exception {
        model = Files.readAllBytes(SyntheticModelResource.model());
        hub = HubStandIn.start();
        hub.addRepo("org/tiny", null, null, Map.of("tiny.gguf", model, "README.md", "# tiny\n".getBytes()));
        hub.addRepo("org/gated", null, "hf_secret", Map.of("tiny.gguf", model));
        hub.addRevision("org/gated", "v1");
        HuggingFaceRepositoryIT.delete(CACHE);
    }

    @AfterEach
    void stopHub() throws Exception {
        hub.close();
    }

    Map<String, String> env(String token) {
        return token == null ? Map.of("HF_ENDPOINT", hub.endpoint()) : Map.of("HF_ENDPOINT", hub.endpoint(), "HF_TOKEN", token);
    }

    @Test
    void downloadsOnceIntoTheCacheResumingADropAndServes() throws Exception {
        hub.dropPath = "tiny.gguf";
        hub.dropAfter = model.length / 3;
        hub.drops.set(1);
        String[] args = {"--model", "hf://org/tiny", "--model-file", "tiny.gguf", "--model-cache", CACHE.toString()};
        try (ServeProcess first = ServeProcess.start("hf-first", env(null), args)) {
            first.awaitReady(Duration.ofSeconds(90));
            assertEquals("tiny", first.http().get("/v1/models").json().get("data").get(0).get("id").asText());
            assertTrue(first.log().contains("resuming at byte " + model.length / 3), first.log());
        }
        assertEquals(0, hub.drops.get(), "the connection was dropped once");
        assertEquals(model.length, hub.fileBytes.get(), "the drop was resumed, not restarted: " + hub.seen);
        assertArrayEquals(model, Files.readAllBytes(CACHE.resolve("org/tiny/main/tiny.gguf")));
        assertTrue(hub.seen.stream().anyMatch(s -> s.server().equals("cdn")), "the file came from the CDN: " + hub.seen);
        int requests = hub.seen.size();
        try (ServeProcess second = ServeProcess.start("hf-second", env(null), args)) {
            second.awaitReady(Duration.ofSeconds(90));
            assertTrue(second.log().contains("from the cache"), second.log());
        }
        assertEquals(requests, hub.seen.size(), "the second start downloads nothing: " + hub.seen.subList(requests, hub.seen.size()));
    }

    @Test
    void aGatedRepositoryNeedsTheToken() throws Exception {
        String[] args = {"--model", "hf://org/gated@v1", "--model-file", "tiny.gguf", "--model-cache", CACHE.toString()};
        try (ServeProcess refused = ServeProcess.start("hf-no-token", env(null), args)) {
            assertNotEquals(0, refused.awaitExit(Duration.ofSeconds(90)));
            assertTrue(refused.log().contains("hf://org/gated@v1 file tiny.gguf is gated or private (HTTP 401")
                    && refused.log().contains("set HF_TOKEN"), refused.log());
        }
        try (ServeProcess allowed = ServeProcess.start("hf-token", env("hf_secret"), args)) {
            allowed.awaitReady(Duration.ofSeconds(90));
        }
        assertTrue(hub.seen.stream().anyMatch(s -> s.path().startsWith("/org/gated/resolve/") && "Bearer hf_secret".equals(s.auth())),
                hub.seen.toString());
        assertTrue(hub.seen.stream().filter(s -> s.server().equals("cdn")).allMatch(s -> s.auth() == null), "no token to the CDN");
        assertTrue(Files.exists(CACHE.resolve("org/gated/v1/tiny.gguf")));
    }

    @Test
    void clearRefusals() throws Exception {
        for (String[] c : List.of(
                new String[] {"hf://org/missing@main: no such repository, revision or file (HTTP 404", "--model", "hf://org/missing",
                        "--model-file", "m.gguf"},
                new String[] {"hf://org/tiny@main has no file m.gguf at commit ", "--model", "hf://org/tiny", "--model-file", "m.gguf"},
                new String[] {"a Hugging Face model is hf://org/repo", "--model", "hf://just-a-name", "--model-file", "m.gguf"})) {
            String[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            String[] withCache = java.util.stream.Stream.concat(java.util.Arrays.stream(args), java.util.stream.Stream.of("--model-cache", CACHE.toString()))
                    .toArray(String[]::new);
            try (ServeProcess p = ServeProcess.start("hf-refused", env(null), withCache)) {
                assertNotEquals(0, p.awaitExit(Duration.ofSeconds(90)), String.join(" ", args));
                assertTrue(p.log().contains(c[0]), c[0] + " in: " + p.log());
                assertTrue(!p.log().contains("\tat "), "a message, not a stack trace: " + p.log());
            }
        }
    }
}
