package io.moeoperator.engine.safetensors;

import io.moeoperator.engine.json.Json;
import io.moeoperator.engine.model.ExpertRouting;
import io.moeoperator.engine.model.ExpertRouting.Selection;
import io.moeoperator.engine.model.ExpertRouting.Weighting;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.model.RopePairing;
import io.moeoperator.engine.model.RopeScaling;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code config.json} of model_type {@code deepseek_v2} or {@code deepseek_v3}
 * (DeepSeek-V2, V2-Lite, V2.5, V3, V3.1, R1 and checkpoints of the same layout), read into a
 * {@link ModelConfig} with DeepSeek's meaning: the one place these field names live. Every field
 * that changes the computation is read; a value the engine does not implement stops loading with a
 * {@link ModelFileException} naming the field and the value. Fields that do not change inference
 * (training settings, {@code num_key_value_heads}, which MLA does not use, dtypes the tensors state
 * themselves) are not read. Defaults for absent fields are those of transformers' config classes.
 *
 * @param fp8BlockRows rows of an FP8 weight's scale block ({@code quantization_config.weight_block_size}), 0 without FP8
 * @param eosTokenIds  {@code eos_token_id}: one id or several, empty when unset
 * @param numNextnLayers multi-token-prediction layers stored after the model's layers; never loaded
 */
public record HfConfig(String modelType, ModelConfig model, int fp8BlockRows, int fp8BlockCols,
                       int bosTokenId, List<Integer> eosTokenIds, int numNextnLayers) {
    public static final String FILE = "config.json";
    public static final String V2 = "deepseek_v2";
    public static final String V3 = "deepseek_v3";

    public boolean fp8() {
        return fp8BlockRows > 0;
    }

    public static HfConfig read(Path dir) {
        String file = dir.getFileName() + "/" + FILE;
        Path path = dir.resolve(FILE);
        if (!Files.isRegularFile(path)) {
            throw new ModelFileException("model directory " + dir + " has no " + FILE + ": a Hugging Face model directory"
                    + " holds config.json, the tokenizer files and *.safetensors");
        }
        Object doc;
        try {
            doc = Json.parse(Files.readString(path));
        } catch (IOException e) {
            throw new ModelFileException("model file " + file + ": cannot read: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException("model file " + file + ": " + e.getMessage(), e);
        }
        if (!(doc instanceof Map<?, ?> map)) {
            throw new ModelFileException("model file " + file + ": not a JSON object");
        }
        return read(new JsonFields(file, "", map), dir.getFileName().toString());
    }

    static HfConfig read(JsonFields f, String name) {
        String type = f.string("model_type", null);
        if (!V2.equals(type) && !V3.equals(type)) {
            throw f.error("model_type", (type == null ? "is missing" : "is " + JsonFields.show(type))
                    + "; supported: " + V2 + ", " + V3);
        }
        boolean v3 = V3.equals(type);
        refuseUnless(f, "hidden_act", "silu", "the experts and MLPs are SwiGLU");
        refuseIfTrue(f, "attention_bias", "the attention projections have no biases here");
        refuseIfTrue(f, "mlp_bias", "the MLPs have no biases here");
        int hidden = f.integer("hidden_size", 1);
        int layers = f.integer("num_hidden_layers", 1);
        int heads = f.integer("num_attention_heads", 1);
        int vocab = f.integer("vocab_size", 1);
        int numExperts = f.integer("n_routed_experts", 0, 0);
        int firstDense = f.integer("first_k_dense_replace", 0, 0);
        int moeFreq = f.integer("moe_layer_freq", 1, 1);
        boolean anyMoe = false;
        boolean anyDense = false;
        for (int l = 0; l < layers; l++) {
            boolean moe = numExperts > 0 && l >= firstDense && l % moeFreq == 0;
            anyMoe |= moe;
            anyDense |= !moe;
        }
        ExpertRouting routing = anyMoe ? routing(f, v3) : ExpertRouting.llamaCpp(GatingFunction.SOFTMAX, false, false, 1f);
        int ropeDims = f.integer("qk_rope_head_dim", 2);
        int context = f.integer("max_position_embeddings", 1);
        float theta = (float) f.number("rope_theta", 10000);
        JsonFields rope = f.object("rope_parameters") != null ? f.object("rope_parameters") : f.object("rope_scaling");
        if (rope != null) {
            theta = (float) rope.number("rope_theta", theta);
        }
        if (!(theta > 0)) {
            throw f.error("rope_theta", "is " + theta + ", expected a number > 0");
        }
        RopeScaling scaling = rope == null ? RopeScaling.none(context) : ropeScaling(rope, context);
        RopePairing pairing = RopePairing.INTERLEAVED;
        if (f.has("rope_interleave") && !f.bool("rope_interleave", true)) {
            if (!v3) {
                throw f.error("rope_interleave", "is false, which only deepseek_v3 defines (DeepSeek-V2 pairs adjacent dimensions)");
            }
            pairing = RopePairing.HALVES;
        }
        int fp8Rows = 0;
        int fp8Cols = 0;
        JsonFields quant = f.object("quantization_config");
        if (quant != null) {
            int[] block = fp8Block(quant);
            fp8Rows = block[0];
            fp8Cols = block[1];
        }
        List<Integer> eos = f.integers("eos_token_id", 0);
        int bos = f.integer("bos_token_id", 0, -1);
        for (int id : eos == null ? List.<Integer>of() : eos) {
            if (id >= vocab) {
                throw f.error("eos_token_id", "is " + id + ", outside the vocabulary of vocab_size " + vocab);
            }
        }
        if (bos >= vocab) {
            throw f.error("bos_token_id", "is " + bos + ", outside the vocabulary of vocab_size " + vocab);
        }
        ModelConfig model;
        try {
            model = new ModelConfig(name, vocab, context, hidden, layers, heads,
                    anyDense ? f.integer("intermediate_size", 1) : f.integer("intermediate_size", 0, 0),
                    anyMoe ? f.integer("moe_intermediate_size", 1) : 0,
                    numExperts,
                    anyMoe ? f.integer("num_experts_per_tok", 1) : 0,
                    f.integer("n_shared_experts", 0, 0), // null: none (DeepSeek's "if n_shared_experts is not None")
                    firstDense, moeFreq,
                    f.integer("q_lora_rank", 1, 0), // null: one plain q_proj (V2-Lite)
                    f.integer("kv_lora_rank", 1),
                    f.integer("qk_nope_head_dim", 1), ropeDims,
                    f.integer("v_head_dim", 1),
                    (float) f.number("rms_norm_eps", 1e-6),
                    theta, scaling, pairing, routing,
                    f.bool("tie_word_embeddings", false));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException("model file " + f.file() + ": " + e.getMessage(), e);
        }
        return new HfConfig(type, model, fp8Rows, fp8Cols, bos, eos == null ? List.of() : eos,
                f.integer("num_nextn_predict_layers", 0, 0));
    }

    /**
     * DeepSeek's gate as each family's reference code implements it: V2 softmax with greedy or
     * group-limited selection, weights normalised or scaled; V3 sigmoid with noaux_tc (biased
     * choice, group score = sum of the best two), weights normalised and then scaled.
     */
    private static ExpertRouting routing(JsonFields f, boolean v3) {
        String scoring = f.string("scoring_func", v3 ? "sigmoid" : "softmax");
        String method = f.string("topk_method", v3 ? "noaux_tc" : "greedy");
        if (!(v3 ? "sigmoid" : "softmax").equals(scoring)) {
            throw f.error("scoring_func", "is " + JsonFields.show(scoring) + "; " + (v3 ? V3 + " supports sigmoid" : V2
                    + " supports softmax"));
        }
        Selection selection = switch (method) {
            case "greedy" -> v3 ? null : Selection.GREEDY;
            case "group_limited_greedy" -> v3 ? null : Selection.GROUP_MAX;
            case "noaux_tc" -> v3 ? Selection.GROUP_TOP2_SUM : null;
            default -> null;
        };
        if (selection == null) {
            throw f.error("topk_method", "is " + JsonFields.show(method) + "; " + (v3 ? V3 + " supports noaux_tc"
                    : V2 + " supports greedy, group_limited_greedy"));
        }
        int groups = 1;
        int keep = 1;
        if (selection != Selection.GREEDY) {
            groups = f.integer("n_group", 1);
            keep = f.integer("topk_group", 1);
        }
        double scale = f.number("routed_scaling_factor", v3 ? 2.5 : 1.0);
        boolean norm = f.bool("norm_topk_prob", v3);
        try {
            return new ExpertRouting(v3 ? GatingFunction.SIGMOID : GatingFunction.SOFTMAX, selection, groups, keep,
                    selection == Selection.GROUP_TOP2_SUM, v3 ? Weighting.DEEPSEEK_V3 : Weighting.DEEPSEEK_V2, norm, (float) scale);
        } catch (IllegalArgumentException e) {
            throw f.error("n_group", "and topk_group: " + e.getMessage());
        }
    }

    /** DeepSeek's YaRN, or none; any other kind is refused rather than computed as something else. */
    private static RopeScaling ropeScaling(JsonFields rope, int context) {
        String kind = rope.string("rope_type", rope.string("type", "default"));
        if (rope.has("type") && rope.has("rope_type") && !rope.string("type", "").equals(kind)) {
            throw rope.error("type", "is " + JsonFields.show(rope.string("type", "")) + " but rope_type is " + JsonFields.show(kind));
        }
        switch (kind) {
            case "default" -> {
                return RopeScaling.none(context);
            }
            case "yarn" -> { }
            default -> throw rope.error("type", "is " + JsonFields.show(kind) + "; supported: yarn (or none)");
        }
        if (rope.has("attention_factor")) {
            throw rope.error("attention_factor", "is set; DeepSeek's YaRN derives it from mscale and mscale_all_dim");
        }
        if (!rope.bool("truncate", true)) {
            throw rope.error("truncate", "is false; DeepSeek's YaRN rounds the correction range to whole dimensions");
        }
        double factor = rope.number("factor");
        if (!(factor >= 1)) {
            throw rope.error("factor", "is " + factor + ", expected a number >= 1");
        }
        int original = rope.integer("original_max_position_embeddings", 1);
        double betaFast = rope.number("beta_fast", 32);
        double betaSlow = rope.number("beta_slow", 1);
        if (!(betaFast > betaSlow && betaSlow > 0)) {
            throw rope.error("beta_fast", "is " + betaFast + " and beta_slow " + betaSlow + "; YaRN needs beta_fast > beta_slow > 0");
        }
        return RopeScaling.deepSeekYarn((float) factor, original, (float) betaFast, (float) betaSlow,
                rope.number("mscale", 1), rope.number("mscale_all_dim", 0));
    }

    /** DeepSeek-V3's FP8: E4M3 weights, one F32 scale per block, activations quantized on the fly. */
    private static int[] fp8Block(JsonFields q) {
        String method = q.string("quant_method", null);
        if (!"fp8".equals(method)) {
            throw q.error("quant_method", "is " + JsonFields.show(method) + "; supported: fp8 (block-scaled E4M3, as DeepSeek-V3)");
        }
        String fmt = q.string("fmt", "e4m3");
        if (!"e4m3".equals(fmt)) {
            throw q.error("fmt", "is " + JsonFields.show(fmt) + "; supported: e4m3");
        }
        String activations = q.string("activation_scheme", "dynamic");
        if (!"dynamic".equals(activations)) {
            throw q.error("activation_scheme", "is " + JsonFields.show(activations) + "; supported: dynamic");
        }
        List<Integer> block = q.integers("weight_block_size", 1);
        if (block == null || block.size() != 2) {
            throw q.error("weight_block_size", "is " + JsonFields.show(q.raw("weight_block_size"))
                    + ", expected [rows, cols] (DeepSeek-V3: [128, 128])");
        }
        return new int[] {block.get(0), block.get(1)};
    }

    private static void refuseUnless(JsonFields f, String field, String wanted, String why) {
        String v = f.string(field, wanted);
        if (!wanted.equals(v)) {
            throw f.error(field, "is " + JsonFields.show(v) + "; supported: " + wanted + " (" + why + ")");
        }
    }

    private static void refuseIfTrue(JsonFields f, String field, String why) {
        if (f.bool(field, false)) {
            throw f.error(field, "is true; supported: false (" + why + ")");
        }
    }
}
