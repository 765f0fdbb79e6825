package io.moeoperator.cli;

import io.moeoperator.engine.ep.ExpertParallelism;
import io.moeoperator.engine.exec.GenerationResult;
import io.moeoperator.engine.exec.LoadedModel;
import io.moeoperator.engine.sample.SamplingParams;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "generate", description = "Continue a prompt; prints only the continuation to stdout.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", required = true, paramLabel = "TEXT")
    String prompt;

    @Option(names = "--max-tokens", paramLabel = "N", description = "at most this many new tokens (default ${DEFAULT-VALUE})")
    int maxTokens = 128;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default ${DEFAULT-VALUE})")
    float temperature = 0f;

    @Option(names = "--top-k", paramLabel = "K", description = "0 = off (default ${DEFAULT-VALUE})")
    int topK = 0;

    @Option(names = "--top-p", paramLabel = "P", description = "1 = off (default ${DEFAULT-VALUE})")
    float topP = 1f;

    @Option(names = "--seed", paramLabel = "S", description = "sampling seed (default ${DEFAULT-VALUE})")
    long seed = 0;

    @Override
    public Integer call() {
        SamplingParams params = new SamplingParams(temperature, topK, topP, seed);
        long t0 = System.nanoTime();
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false, StandardCharsets.UTF_8);
        try (LoadedModel loaded = LoadedModel.open(modelOptions.model, modelOptions.format(), modelOptions.threads,
                ExpertParallelism.SINGLE)) {
            Log.info("loaded %s (%s) in %.1f s", modelOptions.model, loaded.model().config().name(),
                    (System.nanoTime() - t0) / 1e9);
            GenerationResult r = loaded.generator().generate(prompt, maxTokens, params, piece -> {
                out.print(piece);
                out.flush();
            });
            out.flush();
            Log.info("%n%d prompt tokens in %.2f s, %d generated in %.2f s (%.1f tokens/s), finish: %s",
                    r.promptTokens().length, r.prefillNanos() / 1e9, r.generatedTokens().length,
                    r.decodeNanos() / 1e9, r.generatedTokens().length / Math.max(1e-9, r.decodeNanos() / 1e9),
                    r.finishReason());
        }
        return 0;
    }
}
