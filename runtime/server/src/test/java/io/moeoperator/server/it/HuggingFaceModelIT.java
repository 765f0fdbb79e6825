package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code moe serve --model hf://org/repo --model-file F} against a local stand-in for the Hugging
 * Face hub (HF_ENDPOINT): the resolve URL with its redirect to a CDN path, a gated repository that
 * needs HF_TOKEN, the cache that makes the second start download nothing, and clear refusals.
 */
class HuggingFaceModelIT {
    static final Path CACHE = Path.of("target", "hf-it", "cache").toAbsolutePath();
    HttpServer hub;
    final List<String> requests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startHub() throws Exception {
        byte[] model = Files.readAllBytes(SyntheticModelResource.model());
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        hub.createContext("/", exchange -> {
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            requests.add(path + (auth == null ? "" : " " + auth));
            int status;
            byte[] body = new byte[0];
            if (path.equals("/org/tiny/resolve/main/tiny.gguf") || path.equals("/org/gated/resolve/v1/tiny.gguf") && "Bearer hf_secret".equals(auth)) {
                exchange.getResponseHeaders().set("Location", "/cdn" + path); // the hub redirects file downloads
                status = 302;
            } else if (path.startsWith("/cdn/")) {
                status = 200;
                body = model;
            } else if (path.startsWith("/org/gated/")) {
                status = 401;
            } else {
                status = 404;
            }
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        hub.start();
        if (Files.exists(CACHE)) {
            try (var files = Files.walk(CACHE)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterEach
    void stopHub() {
        hub.stop(0);
    }

    Map<String, String> env(String token) {
        String endpoint = "http://127.0.0.1:" + hub.getAddress().getPort();
        return token == null ? Map.of("HF_ENDPOINT", endpoint) : Map.of("HF_ENDPOINT", endpoint, "HF_TOKEN", token);
    }

    @Test
    void downloadsOnceIntoTheCacheAndServes() throws Exception {
        String[] args = {"--model", "hf://org/tiny", "--model-file", "tiny.gguf", "--model-cache", CACHE.toString()};
        try (ServeProcess first = ServeProcess.start("hf-first", env(null), args)) {
            first.awaitReady(Duration.ofSeconds(90));
            assertEquals("tiny", first.http().get("/v1/models").json().get("data").get(0).get("id").asText());
        }
        assertEquals(List.of("/org/tiny/resolve/main/tiny.gguf", "/cdn/org/tiny/resolve/main/tiny.gguf"), requests);
        assertEquals(Files.size(SyntheticModelResource.model()), Files.size(CACHE.resolve("org/tiny/main/tiny.gguf")));
        try (ServeProcess second = ServeProcess.start("hf-second", env(null), args)) {
            second.awaitReady(Duration.ofSeconds(90));
            assertTrue(second.log().contains("from the cache"), second.log());
        }
        assertEquals(2, requests.size(), "the second start downloads nothing: " + requests);
    }

    @Test
    void aGatedRepositoryNeedsTheToken() throws Exception {
        String[] args = {"--model", "hf://org/gated@v1", "--model-file", "tiny.gguf", "--model-cache", CACHE.toString()};
        try (ServeProcess refused = ServeProcess.start("hf-no-token", env(null), args)) {
            assertNotEquals(0, refused.awaitExit(Duration.ofSeconds(90)));
            assertTrue(refused.log().contains("hf://org/gated@v1 tiny.gguf is gated or private (HTTP 401")
                    && refused.log().contains("set HF_TOKEN"), refused.log());
        }
        try (ServeProcess allowed = ServeProcess.start("hf-token", env("hf_secret"), args)) {
            allowed.awaitReady(Duration.ofSeconds(90));
        }
        assertTrue(requests.contains("/org/gated/resolve/v1/tiny.gguf Bearer hf_secret"), requests.toString());
        assertTrue(Files.exists(CACHE.resolve("org/gated/v1/tiny.gguf")));
    }

    @Test
    void clearRefusals() throws Exception {
        for (String[] c : List.of(
                new String[] {"no such repository, revision or file (HTTP 404", "--model", "hf://org/missing", "--model-file", "m.gguf"},
                new String[] {"needs --model-file", "--model", "hf://org/tiny"},
                new String[] {"a Hugging Face model is hf://org/repo", "--model", "hf://just-a-name", "--model-file", "m.gguf"},
                new String[] {"--model-format safetensors with an hf:// repository is not served yet", "--model", "hf://org/tiny", "--model-format", "safetensors"})) {
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
