"""The tiny DeepSeek-style checkpoints the engine is compared with transformers on.

Each is shaped like a real DeepSeek model (MLA with separate qk_nope / qk_rope / v_head dims and a
kv_lora latent, dense leading layers, shared experts, the real routing options) but tiny: hidden
128, 4 heads, a few layers, 16 experts, so transformers and the engine run it in milliseconds.
Matrices of 192-320 rows or columns span several 128x128 FP8 blocks, partial edge blocks included.

config_layout says how config.json is written: "deepseek" as DeepSeek publishes its checkpoints
(rope_scaling + rope_theta, torch_dtype, scoring_func, topk_method), "transformers" as
transformers 5 save_pretrained writes it (rope_parameters, dtype). Real checkpoints come in both.
"""

# Shared by every variant (DeepSeek's names).
COMMON = dict(
    hidden_size=128, num_attention_heads=4, num_key_value_heads=4,
    qk_nope_head_dim=32, qk_rope_head_dim=16, v_head_dim=32, kv_lora_rank=64,
    intermediate_size=320, moe_intermediate_size=48, rms_norm_eps=1e-6,
    bos_token_id=0, eos_token_id=1, tie_word_embeddings=False, hidden_act="silu",
)

# YaRN as DeepSeek configures it (factor 40 over an original 4096 positions).
def _yarn(mscale):
    return {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 40.0, "original_max_position_embeddings": 4096,
            "beta_fast": 32, "beta_slow": 1, "mscale": mscale, "mscale_all_dim": mscale}


VARIANTS = {
    # DeepSeek-V2-Lite-like: no q_lora (plain q_proj), softmax + greedy top-k, no normalisation,
    # YaRN with mscale 0.707 (the attention scale carries mscale^2 = 1.59), 2 shared experts.
    "v2-lite": dict(
        model_type="deepseek_v2", seed=21, config_layout="deepseek",
        hf=dict(COMMON, num_hidden_layers=4, first_k_dense_replace=1, q_lora_rank=None,
                n_routed_experts=16, num_experts_per_tok=4, n_shared_experts=2, n_group=1, topk_group=1,
                topk_method="greedy", norm_topk_prob=False, routed_scaling_factor=1.0,
                max_position_embeddings=163840, rope_parameters=_yarn(0.707)),
        deepseek_extra=dict(scoring_func="softmax"),
    ),
    # DeepSeek-V2-like: q_lora, softmax, group_limited_greedy (group score = max; 4 groups of 4,
    # 2 kept), routed_scaling_factor 16 as DeepSeek-V2 ships, plain RoPE.
    "v2": dict(
        model_type="deepseek_v2", seed=22, config_layout="transformers",
        hf=dict(COMMON, num_hidden_layers=4, first_k_dense_replace=1, q_lora_rank=96,
                n_routed_experts=16, num_experts_per_tok=3, n_shared_experts=2, n_group=4, topk_group=2,
                topk_method="group_limited_greedy", norm_topk_prob=False, routed_scaling_factor=16.0,
                max_position_embeddings=4096, rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
        deepseek_extra={},
    ),
    # DeepSeek-V3-like: q_lora, sigmoid scores, noaux_tc with a random e_score_correction_bias,
    # group score = sum of the top 2 (4 groups, 2 kept), norm_topk_prob, routed_scaling_factor 2.5,
    # 2 dense layers, YaRN with mscale 1.0 (attention scale x 1.87).
    "v3": dict(
        model_type="deepseek_v3", seed=23, config_layout="deepseek",
        hf=dict(COMMON, num_hidden_layers=5, first_k_dense_replace=2, q_lora_rank=96,
                n_routed_experts=16, num_experts_per_tok=4, n_shared_experts=1, n_group=4, topk_group=2,
                norm_topk_prob=True, routed_scaling_factor=2.5, rope_interleave=True,
                max_position_embeddings=163840, rope_parameters=_yarn(1.0)),
        deepseek_extra=dict(scoring_func="sigmoid", topk_method="noaux_tc", num_nextn_predict_layers=0),
    ),
}

# The weight formats each variant is written in.
DTYPES = ("f32", "bf16", "fp8")
