package io.moeoperator.engine.model;

/**
 * How a MoE layer chooses and weighs its experts for a token (DeepSeek's {@code MoEGate}), whatever
 * file the model came from. Router logits are computed in F32, turned into scores by
 * {@link #scoring()}, optionally offset by a per-expert bias for the choice only
 * ({@link #selectionBias()}), limited to the best groups of experts ({@link #selection()}); the
 * chosen experts are weighed by their unbiased scores as {@link #weighting()} says.
 *
 * @param numGroups     experts form this many equal groups (1: no groups)
 * @param topkGroup     groups kept per token before the top-k inside them
 * @param selectionBias the layer has a per-expert bias added to the scores for the choice only
 *                      (DeepSeek-V3 {@code e_score_correction_bias}, GGUF {@code exp_probs_b})
 * @param normTopkProb  {@code norm_topk_prob} / {@code expert_weights_norm}
 * @param scale         {@code routed_scaling_factor} / {@code expert_weights_scale}
 */
public record ExpertRouting(GatingFunction scoring, Selection selection, int numGroups, int topkGroup,
                            boolean selectionBias, Weighting weighting, boolean normTopkProb, float scale) {

    /** Which experts a token may choose from. */
    public enum Selection {
        /** top-k over every expert ({@code topk_method: greedy}; all llama.cpp b4916 files). */
        GREEDY("greedy"),
        /** DeepSeek-V2 {@code group_limited_greedy}: a group scores its best expert; top-k inside the best groups. */
        GROUP_MAX("group_limited_greedy"),
        /** DeepSeek-V3 {@code noaux_tc}: a group scores the sum of its two best (biased) scores. */
        GROUP_TOP2_SUM("noaux_tc");

        private final String hfName;

        Selection(String hfName) {
            this.hfName = hfName;
        }

        /** The {@code topk_method} value of Hugging Face configs. */
        public String hfName() {
            return hfName;
        }
    }

    /** How the chosen experts' scores become the weights of their outputs. */
    public enum Weighting {
        /** llama.cpp's {@code build_moe_ffn}: w / sum(w) if normTopkProb, then always times scale. */
        LLAMA_CPP,
        /** DeepSeek-V2: with k > 1 and normTopkProb w / (sum(w) + 1e-20), otherwise w times scale. */
        DEEPSEEK_V2,
        /** DeepSeek-V3: with k > 1 and normTopkProb w / (sum(w) + 1e-20); then always times scale. */
        DEEPSEEK_V3
    }

    public ExpertRouting {
        if (numGroups < 1 || topkGroup < 1 || topkGroup > numGroups) {
            throw new IllegalArgumentException("expert groups: " + topkGroup + " of " + numGroups
                    + " kept; need 1 <= topk_group <= n_group");
        }
        if (selection == Selection.GREEDY && topkGroup != numGroups) {
            // A group limit with greedy selection would be silently ignored: say so instead.
            throw new IllegalArgumentException("topk_method greedy keeps every group, but topk_group " + topkGroup
                    + " < n_group " + numGroups + "; use group_limited_greedy or noaux_tc");
        }
        if (!Float.isFinite(scale)) {
            throw new IllegalArgumentException("routed scaling factor must be finite, got " + scale);
        }
    }

    /** llama.cpp b4916's routing: every expert eligible, optional bias, optional renormalisation, then the scale. */
    public static ExpertRouting llamaCpp(GatingFunction scoring, boolean selectionBias, boolean normTopkProb, float scale) {
        return new ExpertRouting(scoring, Selection.GREEDY, 1, 1, selectionBias, Weighting.LLAMA_CPP, normTopkProb, scale);
    }

    public boolean limitsGroups() {
        return selection != Selection.GREEDY && topkGroup < numGroups;
    }
}
