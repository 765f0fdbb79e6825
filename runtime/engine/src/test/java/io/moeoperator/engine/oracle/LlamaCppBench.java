package io.moeoperator.engine.oracle;

import de.kherud.llama.InferenceParameters;
import de.kherud.llama.LlamaModel;
import de.kherud.llama.LlamaOutput;
import de.kherud.llama.ModelParameters;
import de.kherud.llama.args.LogFormat;
import de.kherud.llama.args.Sampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * llama.cpp's speed on a GGUF, measured the way {@code moe bench} measures ours: a prompt of N
 * tokens, then greedy decoding of M tokens, same thread count; prints one JSON line. Prefill time
 * is the time to the first generated piece; decode rate counts the pieces after it.
 * Run with bin/bench-llama-cpp (not a test: speed is never asserted).
 */
public final class LlamaCppBench {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: LlamaCppBench MODEL PROMPT_TOKENS GEN_TOKENS THREADS");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        int promptTokens = Integer.parseInt(args[1]);
        int genTokens = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
        LlamaModel.setLogger(LogFormat.TEXT, (level, msg) -> { });
        ModelParameters mp = new ModelParameters().setModel(model.toString()).setCtxSize(promptTokens + genTokens + 16)
                .setBatchSize(Math.max(512, promptTokens)).setUbatchSize(Math.max(512, promptTokens))
                .setThreads(threads).setThreadsBatch(threads).setGpuLayers(0);
        try (LlamaModel llama = new LlamaModel(mp)) {
            // A prompt of exactly promptTokens tokens: single ASCII letters, each its own token here.
            StringBuilder prompt = new StringBuilder();
            while (llama.encode(prompt.toString()).length < promptTokens - 1) { // BOS makes up the rest
                prompt.append((char) ('a' + prompt.length() % 26)).append(' ');
            }
            run(llama, prompt.toString(), 8); // warm-up
            long t0 = System.nanoTime();
            long first = 0;
            int pieces = 0;
            for (LlamaOutput out : llama.generate(params(prompt.toString(), genTokens + 1))) {
                if (out.text.isEmpty()) {
                    continue; // the final stop message carries no token
                }
                if (pieces++ == 0) {
                    first = System.nanoTime();
                }
            }
            long end = System.nanoTime();
            int n = llama.encode(prompt.toString()).length + 1;
            System.out.println(String.format(Locale.ROOT,
                    "{\"engine\":\"llama.cpp b4916\",\"model\":\"%s\",\"threads\":%d,\"prompt_tokens\":%d,\"gen_tokens\":%d,"
                            + "\"prefill_tokens_per_s\":%.2f,\"decode_tokens_per_s\":%.2f}",
                    model, threads, n, pieces - 1, n / ((first - t0) / 1e9), (pieces - 1) / ((end - first) / 1e9)));
        }
        System.exit(0); // llama.cpp's server threads would keep the JVM alive
    }

    private static void run(LlamaModel llama, String prompt, int n) {
        for (LlamaOutput ignored : llama.generate(params(prompt, n))) {
            // drain
        }
    }

    private static InferenceParameters params(String prompt, int n) {
        return new InferenceParameters(prompt).setTemperature(0f).setTopK(1).setSamplers(Sampler.TOP_K)
                .setNPredict(n).setIgnoreEos(true).setCachePrompt(false);
    }
}
