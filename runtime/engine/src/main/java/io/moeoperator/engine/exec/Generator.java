package io.moeoperator.engine.exec;

import io.moeoperator.engine.model.DeepSeek2Model;
import io.moeoperator.engine.model.LatentKvCache;
import io.moeoperator.engine.sample.Sampler;
import io.moeoperator.engine.sample.SamplingParams;
import io.moeoperator.engine.tokenizer.BpeTokenizer;
import io.moeoperator.engine.tokenizer.StreamingDetokenizer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Generates one sequence: tokenize, prefill in chunks, then decode token by token until an
 * end-of-generation token or the token limit. Text is streamed in whole UTF-8 characters.
 */
public final class Generator {
    /** Prefill at most this many tokens per forward pass, bounding activation memory. */
    static final int PREFILL_CHUNK = 256;

    private final DeepSeek2Model model;
    private final BpeTokenizer tokenizer;

    public Generator(DeepSeek2Model model, BpeTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    public GenerationResult generate(String prompt, int maxTokens, SamplingParams params, Consumer<String> onText) {
        // add_special: BOS (and EOS) as the model's tokenizer config says; parse special-token text.
        int[] promptTokens = tokenizer.encode(prompt, true, true);
        return generate(promptTokens, maxTokens, params, onText);
    }

    public GenerationResult generate(int[] promptTokens, int maxTokens, SamplingParams params, Consumer<String> onText) {
        if (promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt is empty and the model adds no BOS token: nothing to continue");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        }
        int context = model.config().contextLength();
        if (promptTokens.length >= context) {
            throw new IllegalArgumentException("prompt of " + promptTokens.length
                    + " tokens does not fit the model's context length " + context);
        }
        LatentKvCache cache = model.newCache();
        Sampler sampler = new Sampler(params);
        StreamingDetokenizer detok = new StreamingDetokenizer(tokenizer);
        StringBuilder text = new StringBuilder();

        long t0 = System.nanoTime();
        float[] logits = prefill(promptTokens, cache);
        long t1 = System.nanoTime();

        int[] generated = new int[Math.max(0, maxTokens)];
        int count = 0;
        String finish = "length";
        while (count < maxTokens) {
            int next = sampler.sample(tokenLogits(logits, tokenizer));
            if (tokenizer.isEndOfGeneration(next)) {
                finish = "stop";
                break;
            }
            generated[count++] = next;
            emit(detok.accept(next), text, onText);
            if (count == maxTokens || cache.length() + 1 >= context) {
                break;
            }
            logits = model.forward(new int[] {next}, cache);
        }
        emit(detok.flush(), text, onText);
        long t2 = System.nanoTime();
        return new GenerationResult(promptTokens, Arrays.copyOf(generated, count), text.toString(), finish,
                t1 - t0, t2 - t1);
    }

    /**
     * The logits of the tokens the tokenizer has. A model's output head may have more rows than its
     * tokenizer has tokens (DeepSeek-V3: 129,280 rows for 128,815 tokens, padded for the GPUs' tiles):
     * those rows were never trained and their ids cannot be decoded, so they are never sampled.
     */
    static float[] tokenLogits(float[] logits, BpeTokenizer tokenizer) {
        return tokenizer.vocabSize() < logits.length ? Arrays.copyOf(logits, tokenizer.vocabSize()) : logits;
    }

    /** Runs the prompt through the model in chunks; returns the logits after its last token. */
    public float[] prefill(int[] tokens, LatentKvCache cache) {
        float[] logits = null;
        for (int from = 0; from < tokens.length; from += PREFILL_CHUNK) {
            int to = Math.min(tokens.length, from + PREFILL_CHUNK);
            logits = model.forward(Arrays.copyOfRange(tokens, from, to), cache);
        }
        return logits;
    }

    private static void emit(String piece, StringBuilder text, Consumer<String> onText) {
        if (!piece.isEmpty()) {
            text.append(piece);
            if (onText != null) {
                onText.accept(piece);
            }
        }
    }
}
