package io.moeoperator.engine.synth;

import io.moeoperator.engine.gguf.GgmlType;
import io.moeoperator.engine.gguf.GgufWriter.RowSource;
import io.moeoperator.engine.json.Json;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.TensorRole;
import io.moeoperator.engine.safetensors.HfConfig;
import io.moeoperator.engine.safetensors.SafetensorsWeightSource;
import io.moeoperator.engine.safetensors.SafetensorsWriter;
import io.moeoperator.engine.tokenizer.HfTokenizerWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Writes the same synthetic model as {@link SyntheticModelWriter} as a Hugging Face directory:
 * config.json (deepseek_v2 for softmax routing, deepseek_v3 for sigmoid), the tokenizer files
 * (tokenizer.json, tokenizer_config.json, generation_config.json) and the weights in safetensors (one file or shards with an index), with transformers' names and
 * layouts. The weights are the GGUF file's values; F8_E4M3 writes DeepSeek-V3's block-scaled FP8
 * for every Linear weight but the embedding, the output head and the router.
 *
 * <p>A spec whose routing means something different in the two formats is refused rather than
 * written as another model: DeepSeek-V2 either renormalises or scales the expert weights, never both,
 * and has no selection bias; DeepSeek renormalises only with more than one expert per token.
 */
public final class SyntheticHfWriter {
    /** DeepSeek-V3's FP8 scale blocks. */
    public static final int FP8_BLOCK = 128;

    /**
     * @param numShards    1: model.safetensors; more: model-0000i-of-0000n.safetensors and the index
     * @param ropeHalves   write DeepSeek-V3's rope_interleave: false layout (rotary rows of q and
     *                     kv_a reordered into halves), which must compute the same model
     */
    public record Options(int numShards, boolean ropeHalves) {
        public static final Options DEFAULT = new Options(1, false);
    }

    private SyntheticHfWriter() {}

    public static void write(SynthSpec s, Path dir, Options options) throws IOException {
        write(s, SyntheticVocab.build(s.vocabSize(), s.preTokenizer()), dir, options);
    }

    /**
     * Writes random weights around a given vocabulary. The spec's vocab size may exceed the tokenizer's
     * (rows of padding, as DeepSeek-V3's 129,280 for 128,815 tokens); those rows keep random values.
     */
    public static void write(SynthSpec s, SyntheticVocab vocab, Path dir, Options options) throws IOException {
        if (vocab.tokens().size() > s.vocabSize()) {
            throw new IllegalArgumentException("vocabulary has " + vocab.tokens().size() + " tokens but the spec only "
                    + s.vocabSize() + " rows");
        }
        boolean v3 = s.gating() == GatingFunction.SIGMOID;
        check(s, v3, options);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(HfConfig.FILE), Json.write(config(s, vocab, v3, options)));
        // tokenizer.json, tokenizer_config.json and generation_config.json: the GGUF file's tokenizer.
        HfTokenizerWriter.write(vocab.tokenizer(), Optional.empty(), dir);
        SafetensorsWriter w = new SafetensorsWriter();
        SyntheticWeights.emit(s, vocab, new HfSink(w, s, v3, options.ropeHalves()));
        w.write(dir, options.numShards());
    }

    private static void check(SynthSpec s, boolean v3, Options options) {
        GgmlType t = s.weightType();
        if (t != GgmlType.F32 && t != GgmlType.F16 && t != GgmlType.BF16 && t != GgmlType.F8_E4M3) {
            throw new IllegalArgumentException("--type " + t + " is GGUF-only; safetensors weights are F32, F16, BF16 or F8_E4M3");
        }
        boolean moe = s.numDenseLeading() < s.numLayers();
        if (moe && s.expertWeightsNorm() && s.numExpertsUsed() == 1) {
            throw new IllegalArgumentException("--expert-weights-norm with one expert per token: DeepSeek does not renormalise"
                    + " a single weight (llama.cpp does), so the two formats would differ");
        }
        if (moe && !v3 && s.routerBias()) {
            throw new IllegalArgumentException("--router-bias needs sigmoid gating (deepseek_v3); deepseek_v2 has no selection bias");
        }
        if (moe && !v3 && s.expertWeightsNorm() && s.expertWeightsScale() != 1f) {
            throw new IllegalArgumentException("--expert-weights-norm with --expert-weights-scale " + s.expertWeightsScale()
                    + " under softmax gating: DeepSeek-V2 renormalises or scales, never both; use sigmoid gating (deepseek_v3)");
        }
        if (options.ropeHalves() && !v3) {
            throw new IllegalArgumentException("rope_interleave: false exists only for deepseek_v3 (sigmoid gating)");
        }
    }

    private static Map<String, Object> config(SynthSpec s, SyntheticVocab vocab, boolean v3, Options options) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of(v3 ? "DeepseekV3ForCausalLM" : "DeepseekV2ForCausalLM"));
        c.put("model_type", v3 ? HfConfig.V3 : HfConfig.V2);
        c.put("vocab_size", s.vocabSize());
        c.put("hidden_size", s.hidden());
        c.put("num_hidden_layers", s.numLayers());
        c.put("num_attention_heads", s.numHeads());
        c.put("num_key_value_heads", s.numHeads());
        c.put("q_lora_rank", s.qLoraRank() == 0 ? null : s.qLoraRank());
        c.put("kv_lora_rank", s.kvLoraRank());
        c.put("qk_nope_head_dim", s.qkNope());
        c.put("qk_rope_head_dim", s.qkRope());
        c.put("v_head_dim", s.vHead());
        c.put("intermediate_size", s.ffDense());
        c.put("moe_intermediate_size", s.ffExpert());
        c.put("n_routed_experts", s.numExperts());
        c.put("n_shared_experts", s.numSharedExperts());
        c.put("num_experts_per_tok", s.numExpertsUsed());
        c.put("first_k_dense_replace", s.numDenseLeading());
        c.put("moe_layer_freq", 1);
        c.put("scoring_func", v3 ? "sigmoid" : "softmax");
        c.put("topk_method", v3 ? "noaux_tc" : "greedy");
        c.put("n_group", 1);
        c.put("topk_group", 1);
        c.put("norm_topk_prob", s.expertWeightsNorm());
        c.put("routed_scaling_factor", s.expertWeightsScale());
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", s.contextLength());
        c.put("rms_norm_eps", s.rmsEps());
        c.put("rope_theta", s.ropeTheta());
        if (s.yarnFactor() != 0) {
            // GGUF's yarn_log_multiplier is 0.1 * mscale_all_dim; llama.cpp's graph assumes mscale equal to it.
            double mscale = s.yarnLogMultiplier() * 10.0;
            Map<String, Object> yarn = new LinkedHashMap<>();
            yarn.put("type", "yarn");
            yarn.put("factor", s.yarnFactor());
            yarn.put("original_max_position_embeddings", s.yarnOriginalContext());
            yarn.put("beta_fast", 32);
            yarn.put("beta_slow", 1);
            yarn.put("mscale", mscale);
            yarn.put("mscale_all_dim", mscale);
            c.put("rope_scaling", yarn);
        } else {
            c.put("rope_scaling", null);
        }
        if (v3) {
            c.put("rope_interleave", !options.ropeHalves());
            c.put("num_nextn_predict_layers", 0);
        }
        if (s.weightType() == GgmlType.F8_E4M3) {
            Map<String, Object> q = new LinkedHashMap<>();
            q.put("quant_method", "fp8");
            q.put("fmt", "e4m3");
            q.put("activation_scheme", "dynamic");
            q.put("weight_block_size", List.of(FP8_BLOCK, FP8_BLOCK));
            c.put("quantization_config", q);
        }
        c.put("tie_word_embeddings", false);
        c.put("attention_bias", false);
        c.put("bos_token_id", vocab.bosId());
        c.put("eos_token_id", vocab.eosId());
        c.put("torch_dtype", switch (s.weightType()) {
            case F32 -> "float32";
            case F16 -> "float16";
            default -> "bfloat16";
        });
        return c;
    }

    /** transformers' names and [out, in] layout; experts one tensor each; FP8 with scales. */
    private static final class HfSink implements SyntheticWeights.Sink {
        private final SafetensorsWriter w;
        private final SynthSpec s;
        private final boolean v3;
        private final boolean ropeHalves;

        HfSink(SafetensorsWriter w, SynthSpec s, boolean v3, boolean ropeHalves) {
            this.w = w;
            this.s = s;
            this.v3 = v3;
            this.ropeHalves = ropeHalves;
        }

        @Override
        public void matrix(TensorRole role, int layer, GgmlType type, int rows, int cols, RowSource src) {
            RowSource rowsInLayout = ropeHalves && (role == TensorRole.Q || role == TensorRole.Q_B || role == TensorRole.KV_A_MQA)
                    ? ropeRowsAsHalves(role, rows, cols, src) : src;
            add(SafetensorsWeightSource.tensorName(role, layer, 0, false), role, type, rows, cols, rowsInLayout);
            if (role == TensorRole.ROUTER && v3 && !s.routerBias()) {
                // noaux_tc always has its bias; zeros select exactly as no bias does.
                w.vector(SafetensorsWeightSource.tensorName(TensorRole.ROUTER_BIAS, layer, 0, false), GgmlType.F32,
                        s.numExperts(), (row, dst) -> java.util.Arrays.fill(dst, 0f));
            }
        }

        @Override
        public void vector(TensorRole role, int layer, int n, RowSource src) {
            w.vector(SafetensorsWeightSource.tensorName(role, layer, 0, false), GgmlType.F32, n, src);
        }

        @Override
        public void experts(TensorRole role, int layer, GgmlType type, int rows, int cols, int numExperts, RowSource src) {
            for (int e = 0; e < numExperts; e++) {
                add(SafetensorsWeightSource.tensorName(role, layer, e, false), role, type, rows, cols, src);
            }
        }

        private void add(String name, TensorRole role, GgmlType type, int rows, int cols, RowSource src) {
            boolean keepsPrecision = role == TensorRole.TOKEN_EMBEDDING || role == TensorRole.OUTPUT || role == TensorRole.ROUTER;
            if (type == GgmlType.F8_E4M3 && keepsPrecision) {
                w.matrix(name, GgmlType.BF16, rows, cols, src); // as DeepSeek-V3 ships them
            } else if (type == GgmlType.F8_E4M3) {
                w.fp8Matrix(name, rows, cols, FP8_BLOCK, FP8_BLOCK, src);
            } else {
                w.matrix(name, type, rows, cols, src);
            }
        }

        /**
         * The rows of a matrix whose output holds rotary values, with each head's rotary rows
         * reordered from adjacent pairs (0, 1), (2, 3), ... into halves (0, 2, 4, ..., 1, 3, 5, ...).
         */
        private RowSource ropeRowsAsHalves(TensorRole role, int rows, int cols, RowSource src) {
            float[] m = new float[rows * cols];
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                src.fill(r, row);
                System.arraycopy(row, 0, m, r * cols, cols);
            }
            int rope = s.qkRope();
            int[] from = new int[rows]; // row r of the file is row from[r] of the interleaved matrix
            for (int r = 0; r < rows; r++) {
                from[r] = r;
            }
            int stride = role == TensorRole.KV_A_MQA ? rows : s.qkNope() + s.qkRope();
            int ropeStart = role == TensorRole.KV_A_MQA ? s.kvLoraRank() : s.qkNope();
            for (int base = 0; base < rows; base += stride) {
                for (int i = 0; i < rope / 2; i++) {
                    from[base + ropeStart + i] = base + ropeStart + 2 * i;
                    from[base + ropeStart + rope / 2 + i] = base + ropeStart + 2 * i + 1;
                }
            }
            return (r, dst) -> System.arraycopy(m, from[(int) r] * cols, dst, 0, cols);
        }
    }
}
