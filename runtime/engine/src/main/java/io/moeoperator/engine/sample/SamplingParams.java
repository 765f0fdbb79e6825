package io.moeoperator.engine.sample;

import java.util.Map;

/**
 * How the next token is chosen. {@code temperature == 0} is greedy; {@code topK <= 0} and
 * {@code topP >= 1} disable those filters.
 *
 * @param logitBias added to a token's logit before anything else (OpenAI's {@code logit_bias}, and the
 *                  first sampler of llama.cpp's chain): token id to bias, finite or
 *                  {@code -Infinity} to ban the token. Greedy decoding takes the argmax of the biased
 *                  logits. Ids at or beyond the model's vocabulary are the caller's to refuse: the
 *                  sampler skips them (see {@link Sampler#sample})
 */
public record SamplingParams(float temperature, int topK, float topP, long seed, Map<Integer, Float> logitBias) {

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
        logitBias = Map.copyOf(logitBias);
        for (var e : logitBias.entrySet()) {
            if (e.getKey() < 0) {
                throw new IllegalArgumentException("logit bias for token id " + e.getKey() + ": ids are >= 0");
            }
            float bias = e.getValue();
            if (Float.isNaN(bias) || bias == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logit bias for token id " + e.getKey()
                        + " must be a finite number or -Infinity (ban), got " + bias);
            }
        }
    }

    /** Without logit biases. */
    public SamplingParams(float temperature, int topK, float topP, long seed) {
        this(temperature, topK, topP, seed, Map.of());
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0);
    }

    public boolean isGreedy() {
        return temperature == 0f || topK == 1;
    }

    /** The same parameters with these logit biases instead. */
    public SamplingParams withLogitBias(Map<Integer, Float> bias) {
        return new SamplingParams(temperature, topK, topP, seed, bias);
    }
}
