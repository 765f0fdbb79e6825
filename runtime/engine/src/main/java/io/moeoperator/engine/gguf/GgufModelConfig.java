package io.moeoperator.engine.gguf;

import io.moeoperator.engine.model.ExpertRouting;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.RopePairing;
import io.moeoperator.engine.model.RopeScaling;

/**
 * Reads a {@link ModelConfig} from a GGUF file's metadata with the keys, defaults and meaning
 * llama.cpp b4916 gives them ({@code llm_load_hparams} for {@code deepseek2}): adjacent-pair RoPE,
 * llama.cpp's YaRN magnitudes, greedy routing with its weight normalisation. The one place GGUF
 * hyper-parameter keys are named.
 */
public final class GgufModelConfig {
    public static final String ARCH = "deepseek2";
    private static final String P = ARCH + ".";

    private GgufModelConfig() {}

    public static ModelConfig read(GgufFile file) {
        GgufMetadata md = file.metadata();
        String fileName = file.path().getFileName().toString();
        String arch = md.getString("general.architecture");
        if (!ARCH.equals(arch)) {
            throw new GgufException("model file " + fileName + ": architecture '" + arch
                    + "' is not supported (supported: " + ARCH + ")");
        }
        int layers = md.getInt(P + "block_count");
        int keyLength = md.getInt(P + "attention.key_length");
        int rope = md.getInt(P + "rope.dimension_count");
        int ctx = md.getInt(P + "context_length");
        int vocab = md.has(P + "vocab_size") ? md.getInt(P + "vocab_size")
                : md.getStringList("tokenizer.ggml.tokens").size();
        int numDenseLeading = md.getInt(P + "leading_dense_block_count", 0);
        String scalingType = md.findString(P + "rope.scaling.type").orElse("none");
        float factor = md.getFloat(P + "rope.scaling.factor", 0f);
        RopeScaling scaling = switch (scalingType) {
            case "none" -> RopeScaling.none(ctx);
            case "yarn", "linear" -> RopeScaling.llamaCpp("yarn".equals(scalingType), factor == 0f ? 1f : factor,
                    md.getInt(P + "rope.scaling.original_context_length", ctx),
                    md.getFloat(P + "rope.scaling.yarn_log_multiplier", 0f));
            default -> throw new GgufException("model file " + fileName + ": rope.scaling.type '" + scalingType
                    + "' is not supported (supported: none, linear, yarn)");
        };
        try {
            // llama.cpp uses exp_probs_b wherever a layer has it; the files that do have it in every MoE layer.
            boolean selectionBias = numDenseLeading < layers && file.hasTensor("blk." + numDenseLeading + ".exp_probs_b.bias");
            ExpertRouting routing = ExpertRouting.llamaCpp(
                    GatingFunction.fromGgufId(md.getLong(P + "expert_gating_func", GatingFunction.SOFTMAX.ggufId())),
                    selectionBias, md.getBool(P + "expert_weights_norm", false), md.getFloat(P + "expert_weights_scale", 1f));
            return new ModelConfig(
                    md.findString("general.name").orElse(fileName), vocab, ctx,
                    md.getInt(P + "embedding_length"), layers, md.getInt(P + "attention.head_count"),
                    md.getInt(P + "feed_forward_length", 0),
                    md.getInt(P + "expert_feed_forward_length", 0),
                    md.getInt(P + "expert_count", 0),
                    md.getInt(P + "expert_used_count", 0),
                    md.getInt(P + "expert_shared_count", 0),
                    numDenseLeading, 1,
                    md.getInt(P + "attention.q_lora_rank", 0),
                    md.getInt(P + "attention.kv_lora_rank"),
                    keyLength - rope, rope,
                    md.getInt(P + "attention.value_length"),
                    md.getFloat(P + "attention.layer_norm_rms_epsilon"),
                    md.getFloat(P + "rope.freq_base", 10000f),
                    scaling, RopePairing.INTERLEAVED, routing, false);
        } catch (IllegalArgumentException e) {
            throw new GgufException("model file " + fileName + ": " + e.getMessage(), e);
        }
    }
}
