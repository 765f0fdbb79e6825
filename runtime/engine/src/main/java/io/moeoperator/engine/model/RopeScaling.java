package io.moeoperator.engine.model;

/**
 * Rotary-embedding context extension (YaRN or none) and the two magnitudes it changes. The angles
 * are the same for every source; the magnitudes are where llama.cpp's and DeepSeek's formulas
 * differ, so each source's semantics is one factory here.
 *
 * @param yarn            mix interpolated and extrapolated angles along YaRN's ramp
 * @param factor          context scaling factor s (frequencies interpolated by 1/s)
 * @param originalContext the context length the model was trained with before extension
 * @param betaFast        YaRN ramp start, in rotations over the original context
 * @param betaSlow        YaRN ramp end
 * @param magnitude       factor on every cos and sin (1: rotations stay rotations)
 * @param attentionMscale m in the attention softmax scale m^2 / sqrt(qk_nope + qk_rope)
 */
public record RopeScaling(boolean yarn, float factor, int originalContext, float betaFast, float betaSlow,
                          float magnitude, float attentionMscale) {

    public RopeScaling {
        if (!(factor > 0) || !Float.isFinite(factor)) {
            throw new IllegalArgumentException("rope scaling factor must be > 0, got " + factor);
        }
        if (originalContext <= 0) {
            throw new IllegalArgumentException("rope original context length must be > 0, got " + originalContext);
        }
        if (yarn && !(betaFast > betaSlow && betaSlow > 0)) {
            throw new IllegalArgumentException("YaRN needs beta_fast > beta_slow > 0, got " + betaFast + " and " + betaSlow);
        }
        if (!(magnitude > 0) || !(attentionMscale > 0)) {
            throw new IllegalArgumentException("rope magnitudes must be > 0, got " + magnitude + " and " + attentionMscale);
        }
    }

    public static RopeScaling none(int context) {
        return new RopeScaling(false, 1f, context, 32f, 1f, 1f, 1f);
    }

    /**
     * llama.cpp b4916's deepseek2 graph, in its float arithmetic: the rope's attention factor
     * {@code 1 / (1 + 0.1 ln s)} times ggml's YaRN boost {@code 1 + 0.1 ln s} (about 1), and the
     * softmax scale's {@code m = 1 + yarn_log_multiplier * ln s}; the ramp is ggml's default 32 / 1.
     */
    public static RopeScaling llamaCpp(boolean yarn, float factor, int originalContext, float yarnLogMultiplier) {
        float ln = (float) Math.log(1f / (1f / factor));
        float attnFactorScaled = 1f / (1f + 0.1f * ln);
        float magnitude = attnFactorScaled * (yarn ? 1f + 0.1f * ln : 1f);
        float mscale = 1f + yarnLogMultiplier * ln;
        return new RopeScaling(yarn, factor, originalContext, 32f, 1f, magnitude, mscale);
    }

    /**
     * DeepSeek's YaRN ({@code DeepseekV2YarnRotaryEmbedding}, transformers' {@code _compute_yarn_parameters}
     * with {@code truncate}): cos and sin times {@code get_mscale(s, mscale) / get_mscale(s, mscale_all_dim)}
     * and the softmax scale times {@code get_mscale(s, mscale_all_dim)^2}, computed in double as Python
     * does. (transformers drops {@code mscale} when {@code mscale_all_dim} is absent; DeepSeek's code,
     * followed here, takes the missing one as 0, whose get_mscale is 1.)
     */
    public static RopeScaling deepSeekYarn(float factor, int originalContext, float betaFast, float betaSlow,
                                           double mscale, double mscaleAllDim) {
        double magnitude = yarnGetMscale(factor, mscale) / yarnGetMscale(factor, mscaleAllDim);
        return new RopeScaling(true, factor, originalContext, betaFast, betaSlow, (float) magnitude,
                (float) yarnGetMscale(factor, mscaleAllDim));
    }

    /** DeepSeek's {@code yarn_get_mscale}. */
    public static double yarnGetMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    /** Frequency scale as llama.cpp names it: 1 / factor. */
    public float freqScale() {
        return 1f / factor;
    }
}
