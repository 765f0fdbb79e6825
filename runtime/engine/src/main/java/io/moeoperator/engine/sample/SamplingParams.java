package io.moeoperator.engine.sample;

/**
 * How the next token is chosen. {@code temperature == 0} is greedy; {@code topK <= 0} and
 * {@code topP >= 1} disable those filters.
 */
public record SamplingParams(float temperature, int topK, float topP, long seed) {

    public SamplingParams {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
    }

    public static SamplingParams greedy() {
        return new SamplingParams(0f, 0, 1f, 0);
    }

    public boolean isGreedy() {
        return temperature == 0f || topK == 1;
    }
}
