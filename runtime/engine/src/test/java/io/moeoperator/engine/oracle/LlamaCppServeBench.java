package io.moeoperator.engine.oracle;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import de.kherud.llama.args.Sampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * llama.cpp's server loop (continuous batching over C parallel slots) under the same load that
 * {@code moe loadgen} puts on {@code moe serve}: N requests at concurrency C, each a distinct prompt
 * and M greedy tokens; prints aggregate generation tokens/s as one JSON line.
 * Run with bin/bench-llama-cpp --serve (not a test: speed is never asserted).
 */
public final class LlamaCppServeBench {
    public static void main(String[] args) throws Exception {
        if (args.length < 6) {
            System.err.println("usage: LlamaCppServeBench MODEL REQUESTS CONCURRENCY PROMPT_CHARS MAX_TOKENS THREADS");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int requests = Integer.parseInt(args[1]);
        int concurrency = Integer.parseInt(args[2]);
        int promptChars = Integer.parseInt(args[3]);
        int maxTokens = Integer.parseInt(args[4]);
        int threads = Integer.parseInt(args[5]);
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { });
        int perSlot = 1024;
        ModelParameters mp = new ModelParameters().setModel(model.toString()).setCtxSize(perSlot * concurrency)
                .setParallel(concurrency).enableContBatching().setThreads(threads).setThreadsBatch(threads)
                .setGpuLayers(0);
        try (LlamaModel llama = new LlamaModel(mp)) {
            run(llama, List.of(prompt(-1, promptChars)), 1, 8); // warm-up
            List<String> prompts = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                prompts.add(prompt(i, promptChars));
            }
            long t0 = System.nanoTime();
            long tokens = run(llama, prompts, concurrency, maxTokens);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.println(String.format(Locale.ROOT,
                    "{\"engine\":\"llama.cpp b4916\",\"requests\":%d,\"concurrency\":%d,\"threads\":%d,"
                            + "\"duration_s\":%.3f,\"generated_tokens\":%d,\"generation_tokens_per_s\":%.2f}",
                    requests, concurrency, threads, seconds, tokens, tokens / seconds));
        }
        System.exit(0); // llama.cpp's server threads would keep the JVM alive
    }

    /** The same distinct prompts as moe loadgen's. */
    static String prompt(int i, int chars) {
        StringBuilder b = new StringBuilder("Request ").append(i).append(':');
        String[] words = {" the", " expert", " routes", " every", " token", " to", " a", " few", " of", " many"};
        for (int w = 0; b.length() < chars; w++) {
            b.append(words[(w * 7 + Math.max(i, 0)) % words.length]);
        }
        return b.toString();
    }

    private static long run(LlamaModel llama, List<String> prompts, int concurrency, int maxTokens) throws Exception {
        AtomicLong tokens = new AtomicLong();
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<?>> futures = new ArrayList<>();
            for (String p : prompts) {
                futures.add(pool.submit(() -> {
                    InferenceParameters ip = new InferenceParameters(p).setTemperature(0f).setTopK(1)
                            .setSamplers(Sampler.TOP_K).setNPredict(maxTokens).setIgnoreEos(true).setCachePrompt(false);
                    for (LlamaOutput out : llama.generate(ip)) {
                        if (!out.text.isEmpty()) {
                            tokens.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        }
        return tokens.get();
    }
}
