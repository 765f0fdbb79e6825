package io.moeoperator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A load generator for any OpenAI-compatible server (like vLLM's benchmark_serving): streams
 * completions at a fixed concurrency and reports throughput and latency percentiles as one JSON line.
 */
@Command(name = "loadgen", description = "Drive an OpenAI-compatible server; prints throughput and TTFT/ITL percentiles as one JSON line.")
final class LoadgenCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", required = true, paramLabel = "URL", description = "server base URL, e.g. http://127.0.0.1:8000")
    URI url;

    @Option(names = "--requests", paramLabel = "N", description = "default ${DEFAULT-VALUE}")
    int requests = 64;

    @Option(names = "--concurrency", paramLabel = "C", description = "requests in flight at once; default ${DEFAULT-VALUE}")
    int concurrency = 4;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "approximate prompt length; default ${DEFAULT-VALUE}")
    int promptTokens = 128;

    @Option(names = "--max-tokens", paramLabel = "N", description = "default ${DEFAULT-VALUE}")
    int maxTokens = 64;

    @Option(names = "--model-name", paramLabel = "NAME", description = "model id (default: the first of /v1/models)")
    String modelName;

    @Option(names = "--api-key", paramLabel = "KEY")
    String apiKey;

    /** One request's timings; token times are when each streamed chunk with text arrived. */
    record Result(long startNanos, List<Long> tokenNanos, long endNanos, int completionTokens, String error) {}

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || concurrency < 1 || promptTokens < 1 || maxTokens < 1) {
            throw new IllegalArgumentException("--requests, --concurrency, --prompt-tokens and --max-tokens must be >= 1");
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        String model = modelName != null ? modelName : firstModel(http);
        List<Result> results = Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                String prompt = prompt(i);
                futures.add(pool.submit(() -> results.add(stream(http, model, prompt))));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.println(LoadgenReport.of(results, seconds, concurrency).toJson());
        return results.stream().allMatch(r -> r.error() == null) ? 0 : 1;
    }

    /** Distinct prompts (so a prefix cache cannot serve them whole) of about promptTokens tokens. */
    private String prompt(int i) {
        StringBuilder b = new StringBuilder("Request ").append(i).append(':');
        String[] words = {" the", " expert", " routes", " every", " token", " to", " a", " few", " of", " many"};
        for (int w = 0; b.length() < promptTokens * 4; w++) {
            b.append(words[(w * 7 + i) % words.length]);
        }
        return b.toString();
    }

    private String firstModel(HttpClient http) throws Exception {
        HttpResponse<String> r = http.send(request("/v1/models").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalArgumentException("GET " + url.resolve("/v1/models") + " answered " + r.statusCode() + ": " + r.body());
        }
        return JSON.readTree(r.body()).path("data").path(0).path("id").asText();
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(url.resolve(path)).timeout(Duration.ofMinutes(10));
        if (apiKey != null) {
            b.header("Authorization", "Bearer " + apiKey);
        }
        return b;
    }

    private Result stream(HttpClient http, String model, String prompt) {
        long start = System.nanoTime();
        List<Long> tokenTimes = new ArrayList<>();
        try {
            ObjectNode body = JSON.createObjectNode().put("model", model).put("prompt", prompt)
                    .put("max_tokens", maxTokens).put("temperature", 0).put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
            HttpResponse<Stream<String>> r = http.send(request("/v1/completions")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofLines());
            if (r.statusCode() != 200) {
                String text = String.join("\n", r.body().toList());
                return new Result(start, tokenTimes, System.nanoTime(), 0, "HTTP " + r.statusCode() + ": " + text);
            }
            int[] completion = {0};
            r.body().forEach(line -> {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) {
                    return;
                }
                try {
                    JsonNode chunk = JSON.readTree(line.substring(6));
                    if (!chunk.path("choices").path(0).path("text").asText("").isEmpty()) {
                        tokenTimes.add(System.nanoTime());
                    }
                    if (chunk.hasNonNull("usage")) {
                        completion[0] = chunk.get("usage").path("completion_tokens").asInt();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException("unparseable stream chunk: " + line, e);
                }
            });
            return new Result(start, tokenTimes, System.nanoTime(), completion[0], null);
        } catch (Exception e) {
            return new Result(start, tokenTimes, System.nanoTime(), 0, e.toString());
        }
    }
}
