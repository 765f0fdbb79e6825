package io.moeoperator.engine.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.engine.json.Json;
import io.moeoperator.engine.model.ExpertRouting;
import io.moeoperator.engine.model.GatingFunction;
import io.moeoperator.engine.model.ModelConfig;
import io.moeoperator.engine.model.ModelFileException;
import io.moeoperator.engine.model.RopePairing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.json as DeepSeek publishes it and as transformers 5 writes it; each refusal names field and value. */
class HfConfigTest {
    @TempDir
    Path root;

    /** DeepSeek-V3's published config.json (the fields that matter, values as published). */
    static Map<String, Object> v3() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of("DeepseekV3ForCausalLM"));
        c.put("model_type", "deepseek_v3");
        c.put("vocab_size", 129280L);
        c.put("hidden_size", 7168L);
        c.put("intermediate_size", 18432L);
        c.put("moe_intermediate_size", 2048L);
        c.put("num_hidden_layers", 61L);
        c.put("num_nextn_predict_layers", 1L);
        c.put("num_attention_heads", 128L);
        c.put("num_key_value_heads", 128L);
        c.put("n_shared_experts", 1L);
        c.put("n_routed_experts", 256L);
        c.put("ep_size", 1L);
        c.put("routed_scaling_factor", 2.5);
        c.put("kv_lora_rank", 512L);
        c.put("q_lora_rank", 1536L);
        c.put("qk_rope_head_dim", 64L);
        c.put("v_head_dim", 128L);
        c.put("qk_nope_head_dim", 128L);
        c.put("topk_method", "noaux_tc");
        c.put("n_group", 8L);
        c.put("topk_group", 4L);
        c.put("num_experts_per_tok", 8L);
        c.put("moe_layer_freq", 1L);
        c.put("first_k_dense_replace", 3L);
        c.put("norm_topk_prob", true);
        c.put("scoring_func", "sigmoid");
        c.put("hidden_act", "silu");
        c.put("max_position_embeddings", 163840L);
        c.put("rms_norm_eps", 1e-6);
        c.put("tie_word_embeddings", false);
        c.put("rope_theta", 10000L);
        c.put("rope_scaling", yarn(1.0));
        c.put("attention_bias", false);
        c.put("bos_token_id", 0L);
        c.put("eos_token_id", 1L);
        c.put("torch_dtype", "bfloat16");
        Map<String, Object> q = new LinkedHashMap<>();
        q.put("activation_scheme", "dynamic");
        q.put("fmt", "e4m3");
        q.put("quant_method", "fp8");
        q.put("weight_block_size", List.of(128L, 128L));
        c.put("quantization_config", q);
        return c;
    }

    /** DeepSeek-V2-Lite's published config.json. */
    static Map<String, Object> v2Lite() {
        Map<String, Object> c = v3();
        c.remove("quantization_config");
        c.remove("num_nextn_predict_layers");
        c.put("model_type", "deepseek_v2");
        c.put("vocab_size", 102400L);
        c.put("hidden_size", 2048L);
        c.put("intermediate_size", 10944L);
        c.put("moe_intermediate_size", 1408L);
        c.put("num_hidden_layers", 27L);
        c.put("num_attention_heads", 16L);
        c.put("n_shared_experts", 2L);
        c.put("n_routed_experts", 64L);
        c.put("routed_scaling_factor", 1.0);
        c.put("q_lora_rank", null);
        c.put("topk_method", "greedy");
        c.put("n_group", 1L);
        c.put("topk_group", 1L);
        c.put("num_experts_per_tok", 6L);
        c.put("first_k_dense_replace", 1L);
        c.put("norm_topk_prob", false);
        c.put("scoring_func", "softmax");
        c.put("rope_scaling", yarn(0.707));
        c.put("bos_token_id", 100000L);
        c.put("eos_token_id", 100001L);
        return c;
    }

    static Map<String, Object> yarn(double mscale) {
        Map<String, Object> y = new LinkedHashMap<>();
        y.put("beta_fast", 32L);
        y.put("beta_slow", 1L);
        y.put("factor", 40L);
        y.put("mscale", mscale);
        y.put("mscale_all_dim", mscale);
        y.put("original_max_position_embeddings", 4096L);
        y.put("type", "yarn");
        return y;
    }

    private HfConfig read(Map<String, Object> config) throws IOException {
        Path dir = Files.createDirectories(root.resolve("m"));
        Files.writeString(dir.resolve("config.json"), Json.write(config));
        return HfConfig.read(dir);
    }

    private String refused(Consumer<Map<String, Object>> edit) {
        Map<String, Object> c = v3();
        edit.accept(c);
        return assertThrows(ModelFileException.class, () -> read(c)).getMessage();
    }

    @Test
    void deepSeekV3() throws IOException {
        HfConfig hf = read(v3());
        ModelConfig c = hf.model();
        assertEquals(61, c.numLayers());
        assertEquals(1536, c.qLoraRank());
        assertEquals(3, c.numDenseLeading());
        assertEquals(18432, c.ffDense());
        assertEquals(2048, c.ffExpert());
        assertEquals(1, c.numSharedExperts());
        assertEquals(new ExpertRouting(GatingFunction.SIGMOID, ExpertRouting.Selection.GROUP_TOP2_SUM, 8, 4, true,
                ExpertRouting.Weighting.DEEPSEEK_V3, true, 2.5f), c.routing());
        assertEquals(RopePairing.INTERLEAVED, c.ropePairing());
        assertEquals(1f, c.ropeScaling().magnitude());
        assertEquals(0.1 * Math.log(40) + 1, c.ropeScaling().attentionMscale(), 1e-6);
        assertEquals(4096, c.ropeScaling().originalContext());
        assertTrue(hf.fp8());
        assertEquals(128, hf.fp8BlockRows());
        assertEquals(1, hf.numNextnLayers());
        assertEquals(List.of(1), hf.eosTokenIds());
        assertEquals(163840, c.contextLength());
    }

    @Test
    void deepSeekV2Lite() throws IOException {
        ModelConfig c = read(v2Lite()).model();
        assertEquals(0, c.qLoraRank(), "q_lora_rank null: one plain q_proj");
        assertEquals(new ExpertRouting(GatingFunction.SOFTMAX, ExpertRouting.Selection.GREEDY, 1, 1, false,
                ExpertRouting.Weighting.DEEPSEEK_V2, false, 1f), c.routing());
        assertEquals(0.1 * 0.707 * Math.log(40) + 1, c.ropeScaling().attentionMscale(), 1e-6);
        // V2-Lite's published softmax scale.
        assertEquals(0.11472, c.kqScale(), 1e-5);
        assertFalse(read(v2Lite()).fp8());
    }

    @Test
    void deepSeekV2GroupLimitedGreedy() throws IOException {
        Map<String, Object> c = v2Lite();
        c.put("topk_method", "group_limited_greedy");
        c.put("n_group", 8L);
        c.put("topk_group", 3L);
        c.put("routed_scaling_factor", 16.0);
        ExpertRouting r = read(c).model().routing();
        assertEquals(ExpertRouting.Selection.GROUP_MAX, r.selection());
        assertEquals(8, r.numGroups());
        assertEquals(3, r.topkGroup());
        assertEquals(16f, r.scale());
    }

    @Test
    void transformersFiveLayout() throws IOException {
        // save_pretrained in transformers 5 writes rope_parameters (rope_theta inside) and no rope_scaling.
        Map<String, Object> c = v3();
        Map<String, Object> rope = yarn(1.0);
        rope.remove("type");
        rope.put("rope_type", "yarn");
        rope.put("rope_theta", 50000.0);
        c.remove("rope_scaling");
        c.remove("rope_theta");
        c.put("rope_parameters", rope);
        c.put("rope_interleave", false);
        ModelConfig m = read(c).model();
        assertEquals(50000f, m.ropeTheta());
        assertEquals(RopePairing.HALVES, m.ropePairing());
        Map<String, Object> plain = v3();
        plain.remove("rope_scaling");
        plain.put("rope_parameters", Map.of("rope_type", "default", "rope_theta", 10000.0));
        assertFalse(read(plain).model().ropeScaling().yarn());
    }

    @Test
    void layersAndTokensAreChecked() throws IOException {
        Map<String, Object> c = v3();
        c.put("moe_layer_freq", 2L);
        ModelConfig m = read(c).model();
        assertTrue(m.isMoeLayer(4));
        assertFalse(m.isMoeLayer(5), "odd layers are dense with moe_layer_freq 2");
        assertFalse(m.isMoeLayer(2), "below first_k_dense_replace");
        assertEquals("model file m/config.json: eos_token_id is 129280, outside the vocabulary of vocab_size 129280",
                refused(x -> x.put("eos_token_id", List.of(1L, 129280L))));
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyUnsupportedValueIsRefusedByName() {
        String f = "model file m/config.json: ";
        assertEquals(f + "model_type is \"llama\"; supported: deepseek_v2, deepseek_v3", refused(c -> c.put("model_type", "llama")));
        assertEquals(f + "model_type is missing; supported: deepseek_v2, deepseek_v3", refused(c -> c.remove("model_type")));
        assertEquals(f + "topk_method is \"group_limited_greedy\"; deepseek_v3 supports noaux_tc",
                refused(c -> c.put("topk_method", "group_limited_greedy")));
        assertEquals(f + "topk_method is \"noaux_tc\"; deepseek_v2 supports greedy, group_limited_greedy",
                refused(c -> { c.putAll(v2Lite()); c.put("topk_method", "noaux_tc"); }));
        assertEquals(f + "scoring_func is \"softmax\"; deepseek_v3 supports sigmoid", refused(c -> c.put("scoring_func", "softmax")));
        assertEquals(f + "scoring_func is \"sigmoid\"; deepseek_v2 supports softmax",
                refused(c -> { c.putAll(v2Lite()); c.put("scoring_func", "sigmoid"); }));
        assertEquals(f + "hidden_act is \"gelu\"; supported: silu (the experts and MLPs are SwiGLU)",
                refused(c -> c.put("hidden_act", "gelu")));
        assertEquals(f + "attention_bias is true; supported: false (the attention projections have no biases here)",
                refused(c -> c.put("attention_bias", true)));
        assertEquals(f + "rope_scaling.type is \"linear\"; supported: yarn (or none)",
                refused(c -> c.put("rope_scaling", Map.of("type", "linear", "factor", 2.0))));
        assertEquals(f + "rope_scaling.original_max_position_embeddings is missing",
                refused(c -> ((Map<String, Object>) c.get("rope_scaling")).remove("original_max_position_embeddings")));
        assertEquals(f + "rope_scaling.attention_factor is set; DeepSeek's YaRN derives it from mscale and mscale_all_dim",
                refused(c -> ((Map<String, Object>) c.get("rope_scaling")).put("attention_factor", 1.2)));
        assertEquals(f + "quantization_config.quant_method is \"gptq\"; supported: fp8 (block-scaled E4M3, as DeepSeek-V3)",
                refused(c -> ((Map<String, Object>) c.get("quantization_config")).put("quant_method", "gptq")));
        assertEquals(f + "quantization_config.fmt is \"e5m2\"; supported: e4m3",
                refused(c -> ((Map<String, Object>) c.get("quantization_config")).put("fmt", "e5m2")));
        assertEquals(f + "quantization_config.activation_scheme is \"static\"; supported: dynamic",
                refused(c -> ((Map<String, Object>) c.get("quantization_config")).put("activation_scheme", "static")));
        assertEquals(f + "quantization_config.weight_block_size is [128], expected [rows, cols] (DeepSeek-V3: [128, 128])",
                refused(c -> ((Map<String, Object>) c.get("quantization_config")).put("weight_block_size", List.of(128L))));
        assertEquals(f + "hidden_size is missing", refused(c -> c.remove("hidden_size")));
        assertEquals(f + "hidden_size is \"big\", expected an integer >= 1", refused(c -> c.put("hidden_size", "big")));
        assertEquals(f + "kv_lora_rank is null", refused(c -> c.put("kv_lora_rank", null)));
        assertEquals(f + "rope_interleave is false, which only deepseek_v3 defines (DeepSeek-V2 pairs adjacent dimensions)",
                refused(c -> { c.putAll(v2Lite()); c.put("rope_interleave", false); }));
        assertEquals(f + "invalid hyper-parameter expert group count (dividing 256 experts): 7", refused(c -> c.put("n_group", 7L)));
        assertEquals(f + "n_group and topk_group: expert groups: 9 of 8 kept; need 1 <= topk_group <= n_group",
                refused(c -> c.put("topk_group", 9L)));
    }

    @Test
    void aMissingOrBrokenConfigIsNamed() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));
        assertEquals("model directory " + empty + " has no config.json: a Hugging Face model directory holds config.json,"
                + " the tokenizer files and *.safetensors",
                assertThrows(ModelFileException.class, () -> HfConfig.read(empty)).getMessage());
        Path dir = Files.createDirectories(root.resolve("broken"));
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"deepseek_v3\",}");
        assertEquals("model file broken/config.json: invalid JSON at character 29: expected a key string",
                assertThrows(ModelFileException.class, () -> HfConfig.read(dir)).getMessage());
    }
}
