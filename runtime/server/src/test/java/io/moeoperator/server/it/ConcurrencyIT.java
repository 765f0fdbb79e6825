package io.moeoperator.server.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.openai.client.OpenAIClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many clients at once, and clients that leave early. */
@QuarkusIntegrationTest
@WithTestResource(SyntheticModelResource.class)
class ConcurrencyIT {
    static final String MODEL = SyntheticModelResource.MODEL_ID;
    static final String[] PROMPTS = {
        "Once upon a time", "The quick brown fox", "def main():", "In 1969,", "Experts are chosen per token",
        "SELECT name FROM", "Q: Why is the sky blue?", "a", "Hello, world", "tabs\tand\nlines", "12345", "It's",
        "Mixture of experts models", "  spaces  ", "The end.", "Routing",
    };

    @TestHTTPResource("/")
    URI base;

    Http http() {
        return new Http(base, null);
    }

    record Output(String text, String finishReason) {}

    @Test
    void sixteenConcurrentStreamsEqualTheSamePromptsOneAtATime() throws Exception {
        OpenAIClient client = http().openAi();
        List<Output> alone = new ArrayList<>();
        for (String prompt : PROMPTS) {
            CompletionChoice c = client.completions().create(CompletionCreateParams.builder().model(MODEL)
                    .prompt(prompt).maxTokens(24).temperature(0.0).build()).choices().get(0);
            alone.add(new Output(c.text(), c.finishReason().asString()));
        }
        List<Future<Output>> together = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.length)) {
            for (String prompt : PROMPTS) {
                together.add(pool.submit(() -> streamCompletion(client, prompt)));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                assertEquals(alone.get(i), together.get(i).get(), "prompt \"" + PROMPTS[i] + "\"");
            }
        }
        assertEquals(0.0, http().metric("moe_requests_running"));
    }

    private static Output streamCompletion(OpenAIClient client, String prompt) {
        StringBuilder text = new StringBuilder();
        List<String> finish = new ArrayList<>();
        try (StreamResponse<Completion> s = client.completions().createStreaming(CompletionCreateParams.builder()
                .model(MODEL).prompt(prompt).maxTokens(24).temperature(0.0).build())) {
            s.stream().flatMap(c -> c.choices().stream()).forEach(ch -> {
                text.append(ch.text());
                ch._finishReason().asKnown().map(f -> f.asString()).ifPresent(finish::add);
            });
        }
        assertEquals(1, finish.size(), "one finish_reason for " + prompt);
        return new Output(text.toString(), finish.get(0));
    }

    @Test
    void aClientThatDisconnectsMidStreamFreesItsCache() throws Exception {
        String prompt = longRunningPrompt();
        double cancelledBefore = http().metric("moe_request_failure_total", "reason=\"cancelled\"");
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"" + prompt + "\",\"max_tokens\":900,"
                + "\"temperature\":0,\"stream\":true}";
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            postRaw(socket, body);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            int events = 0;
            for (String line; events < 3 && (line = in.readLine()) != null; ) {
                if (line.startsWith("data: {")) {
                    events++;
                }
            }
            assertEquals(3, events, "the stream started");
            // Engine stats are read at most every 200 ms, so give the gauge a moment to see the request.
            long until = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < until && http().metric("moe_kv_cache_usage_ratio") == 0) {
                Thread.sleep(50);
            }
            assertTrue(http().metric("moe_kv_cache_usage_ratio") > 0, "the request holds KV blocks while it streams");
        } // the client goes away here, long before 900 tokens
        assertFreedAndCancelled(cancelledBefore);
    }

    @Test
    void aClientThatGivesUpOnAWholeResponseFreesItsCacheToo() throws Exception {
        String prompt = longRunningPrompt();
        double cancelledBefore = http().metric("moe_request_failure_total", "reason=\"cancelled\"");
        String body = "{\"model\":\"" + MODEL + "\",\"prompt\":\"" + prompt + "\",\"max_tokens\":900,"
                + "\"temperature\":0}";
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            postRaw(socket, body);
            long until = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < until && http().metric("moe_requests_running") == 0) {
                Thread.sleep(50);
            }
            assertEquals(1.0, http().metric("moe_requests_running"), "the request is being generated");
        } // gone before the (single, final) JSON document is written
        assertFreedAndCancelled(cancelledBefore);
    }

    /** A request written by hand on a socket, so the test controls exactly when the client goes away. */
    private static void postRaw(Socket socket, String body) throws IOException {
        OutputStream out = socket.getOutputStream();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    /** After a disconnect: the KV blocks come back within 10 s, nothing runs, one more cancellation counted. */
    private void assertFreedAndCancelled(double cancelledBefore) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline && http().metric("moe_kv_cache_usage_ratio") > 0) {
            Thread.sleep(50);
        }
        assertEquals(0.0, http().metric("moe_kv_cache_usage_ratio"), "blocks freed after the disconnect");
        assertEquals(0.0, http().metric("moe_requests_running"));
        assertEquals(cancelledBefore + 1, http().metric("moe_request_failure_total", "reason=\"cancelled\""));
    }

    /** A prompt whose greedy continuation does not end early (random weights may emit EOS). */
    private String longRunningPrompt() {
        for (String prompt : PROMPTS) {
            CompletionChoice c = http().openAi().completions().create(CompletionCreateParams.builder().model(MODEL)
                    .prompt(prompt).maxTokens(200).temperature(0.0).build()).choices().get(0);
            if (c.finishReason().asString().equals("length") && !prompt.contains("\t") && !prompt.contains("\n")) {
                return prompt;
            }
        }
        throw new AssertionError("no prompt runs to 200 tokens on this model");
    }
}
