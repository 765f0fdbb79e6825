package io.moeoperator.engine.model;

import io.moeoperator.engine.gguf.GgufException;
import io.moeoperator.engine.gguf.GgufMetadata;

/**
 * Hyper-parameters of a DeepSeek-style MoE model ({@code general.architecture = deepseek2}), read
 * from GGUF metadata with the keys and defaults llama.cpp uses, and validated on construction.
 *
 * @param qLoraRank 0 when queries use one plain projection (DeepSeek-V2-Lite), else the rank of the
 *                  q_a -> norm -> q_b low-rank path
 * @param numDenseLeading leading layers with a dense SwiGLU MLP instead of experts
 */
public record ModelConfig(
        String name, int vocabSize, int contextLength, int hidden, int numLayers, int numHeads,
        int ffDense, int ffExpert, int numExperts, int numExpertsUsed, int numSharedExperts,
        int numDenseLeading, int qLoraRank, int kvLoraRank, int qkNope, int qkRope, int vHead,
        float rmsEps, float ropeTheta, RopeScaling ropeScaling,
        GatingFunction gating, boolean expertWeightsNorm, float expertWeightsScale) {

    public static final String ARCH = "deepseek2";

    public ModelConfig {
        require(vocabSize > 0, "vocab size", vocabSize);
        require(hidden > 0, "embedding_length", hidden);
        require(numLayers > 0, "block_count", numLayers);
        require(numHeads > 0, "attention.head_count", numHeads);
        require(kvLoraRank > 0, "attention.kv_lora_rank", kvLoraRank);
        require(qkRope > 0 && qkRope % 2 == 0, "rope.dimension_count (even, > 0)", qkRope);
        require(qkNope > 0, "attention.key_length - rope.dimension_count", qkNope);
        require(vHead > 0, "attention.value_length", vHead);
        require(numDenseLeading >= 0 && numDenseLeading <= numLayers, "leading_dense_block_count", numDenseLeading);
        boolean hasMoe = numDenseLeading < numLayers;
        if (hasMoe) {
            require(numExperts > 0, "expert_count", numExperts);
            require(numExpertsUsed > 0 && numExpertsUsed <= numExperts,
                    "expert_used_count (1..expert_count=" + numExperts + ")", numExpertsUsed);
            require(ffExpert > 0, "expert_feed_forward_length", ffExpert);
            require(numSharedExperts >= 0, "expert_shared_count", numSharedExperts);
        }
        if (numDenseLeading > 0) {
            require(ffDense > 0, "feed_forward_length", ffDense);
        }
        require(qLoraRank >= 0, "attention.q_lora_rank", qLoraRank);
        require(contextLength > 0, "context_length", contextLength);
        require(rmsEps > 0, "attention.layer_norm_rms_epsilon", rmsEps);
    }

    private static void require(boolean ok, String what, Number value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + ARCH + " hyper-parameter " + what + ": " + value);
        }
    }

    public int qkHead() {
        return qkNope + qkRope;
    }

    public boolean isMoeLayer(int layer) {
        return layer >= numDenseLeading;
    }

    /**
     * Attention softmax scale exactly as llama.cpp's deepseek2 graph computes it: YaRN's magnitude
     * correction {@code 1 + log_mul * ln(factor)} enters squared.
     */
    public float kqScale() {
        float mscale = 1f + ropeScaling.yarnLogMultiplier() * (float) Math.log(1f / ropeScaling.freqScale());
        return mscale * mscale / (float) Math.sqrt(qkHead());
    }

    public static ModelConfig fromGguf(GgufMetadata md, String fileName) {
        String arch = md.getString("general.architecture");
        if (!ARCH.equals(arch)) {
            throw new GgufException("model file " + fileName + ": architecture '" + arch
                    + "' is not supported (supported: " + ARCH + ")");
        }
        String p = ARCH + ".";
        int layers = md.getInt(p + "block_count");
        int heads = md.getInt(p + "attention.head_count");
        int keyLength = md.getInt(p + "attention.key_length");
        int rope = md.getInt(p + "rope.dimension_count");
        int ctx = md.getInt(p + "context_length");
        int vocab = md.has(p + "vocab_size") ? md.getInt(p + "vocab_size")
                : md.getStringList("tokenizer.ggml.tokens").size();
        String scalingType = md.findString(p + "rope.scaling.type").orElse("none");
        float factor = md.getFloat(p + "rope.scaling.factor", 0f);
        RopeScaling scaling = switch (scalingType) {
            case "none" -> RopeScaling.none(ctx);
            case "yarn", "linear" -> new RopeScaling("yarn".equals(scalingType), factor == 0f ? 1f : factor,
                    md.getInt(p + "rope.scaling.original_context_length", ctx),
                    md.getFloat(p + "rope.scaling.yarn_log_multiplier", 0f), 32f, 1f);
            default -> throw new GgufException("model file " + fileName + ": rope.scaling.type '" + scalingType
                    + "' is not supported (supported: none, linear, yarn)");
        };
        try {
            return new ModelConfig(
                    md.findString("general.name").orElse(fileName), vocab, ctx,
                    md.getInt(p + "embedding_length"), layers, heads,
                    md.getInt(p + "feed_forward_length", 0),
                    md.getInt(p + "expert_feed_forward_length", 0),
                    md.getInt(p + "expert_count", 0),
                    md.getInt(p + "expert_used_count", 0),
                    md.getInt(p + "expert_shared_count", 0),
                    md.getInt(p + "leading_dense_block_count", 0),
                    md.getInt(p + "attention.q_lora_rank", 0),
                    md.getInt(p + "attention.kv_lora_rank"),
                    keyLength - rope, rope,
                    md.getInt(p + "attention.value_length"),
                    md.getFloat(p + "attention.layer_norm_rms_epsilon"),
                    md.getFloat(p + "rope.freq_base", 10000f),
                    scaling,
                    GatingFunction.fromGgufId(md.getLong(p + "expert_gating_func", GatingFunction.SOFTMAX.ggufId())),
                    md.getBool(p + "expert_weights_norm", false),
                    md.getFloat(p + "expert_weights_scale", 1f));
        } catch (IllegalArgumentException e) {
            throw new GgufException("model file " + fileName + ": " + e.getMessage(), e);
        }
    }
}
