package io.moeoperator.cli;

import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.sample.Sampler;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", description = "Measure prefill and decode speed; prints one JSON line.")
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt-tokens", paramLabel = "N", description = "default ${DEFAULT-VALUE}")
    int promptTokens = 128;

    @Option(names = "--gen-tokens", paramLabel = "N", description = "default ${DEFAULT-VALUE}")
    int genTokens = 64;

    @Option(names = "--warmup", paramLabel = "N", description = "untimed decode steps after an untimed prefill (JIT warm-up); default ${DEFAULT-VALUE}")
    int warmup = 16;

    @Override
    public Integer call() {
        if (promptTokens < 1 || genTokens < 1) {
            throw new IllegalArgumentException("--prompt-tokens and --gen-tokens must be >= 1");
        }
        long t0 = System.nanoTime();
        try (LoadedModel loaded = LoadedModel.open(modelOptions.model, modelOptions.format(), modelOptions.threads,
                ExpertParallelism.SINGLE)) {
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            DeepSeek2Model model = loaded.model();
            if (promptTokens + Math.max(genTokens, warmup) > model.config().contextLength()) {
                throw new IllegalArgumentException("--prompt-tokens plus the larger of --gen-tokens and --warmup exceed the context length "
                        + model.config().contextLength());
            }
            int[] prompt = new SplittableRandom(1).ints(promptTokens, 0, model.config().vocabSize()).toArray();

            // Warm up both paths the JIT compiles separately: a full prefill and some decode steps.
            LatentKvCache warm = model.newCache();
            float[] logits = loaded.generator().prefill(prompt, warm);
            for (int i = 0; i < warmup; i++) {
                logits = model.forward(new int[] {Sampler.argmax(logits)}, warm);
            }

            LatentKvCache cache = model.newCache();
            long tPrefill = System.nanoTime();
            logits = loaded.generator().prefill(prompt, cache);
            long t1 = System.nanoTime();
            for (int i = 0; i < genTokens; i++) {
                logits = model.forward(new int[] {Sampler.argmax(logits)}, cache);
            }
            long t2 = System.nanoTime();
            double prefill = promptTokens / ((t1 - tPrefill) / 1e9);
            double decode = genTokens / ((t2 - t1) / 1e9);
            System.out.println(String.format(Locale.ROOT,
                    "{\"model\":\"%s\",\"format\":\"%s\",\"threads\":%d,\"prompt_tokens\":%d,\"gen_tokens\":%d,"
                            + "\"load_s\":%.3f,\"prefill_tokens_per_s\":%.2f,\"decode_tokens_per_s\":%.2f}",
                    jsonEscape(modelOptions.model.toString()), loaded.format().flag(), modelOptions.threads, promptTokens,
                    genTokens, loadSeconds, prefill, decode));
        }
        return 0;
    }

    private static String jsonEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format("\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.toString();
    }
}
