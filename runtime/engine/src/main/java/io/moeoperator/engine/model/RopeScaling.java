package io.moeoperator.engine.model;

/**
 * Rotary-embedding context extension. {@code factor == 1} and {@code yarn == false} mean none.
 *
 * @param factor              context scaling factor s (frequencies interpolated by 1/s)
 * @param originalContext     the context length the model was trained with before extension
 * @param yarnLogMultiplier   GGUF {@code rope.scaling.yarn_log_multiplier} (= 0.1 * mscale_all_dim)
 * @param betaFast            YaRN ramp start (llama.cpp's default 32)
 * @param betaSlow            YaRN ramp end (llama.cpp's default 1)
 */
public record RopeScaling(boolean yarn, float factor, int originalContext, float yarnLogMultiplier,
                          float betaFast, float betaSlow) {

    public static RopeScaling none(int context) {
        return new RopeScaling(false, 1f, context, 0f, 32f, 1f);
    }

    public RopeScaling {
        if (!(factor > 0)) {
            throw new IllegalArgumentException("rope scaling factor must be > 0, got " + factor);
        }
        if (originalContext <= 0) {
            throw new IllegalArgumentException("rope original context length must be > 0, got " + originalContext);
        }
    }

    /** Frequency scale as llama.cpp names it: 1 / factor. */
    public float freqScale() {
        return 1f / factor;
    }
}
