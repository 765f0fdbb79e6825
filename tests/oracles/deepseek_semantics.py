"""DeepSeek's forward pass written out from its own reference code, in float64: a check on the oracle.

transformers is the oracle, but it departs from DeepSeek in places (oracle_patches.py fixes two).
This reads a checkpoint's config.json and safetensors directly and computes the logits as
DeepSeek's modelling code does (DeepSeek-V2's modeling_deepseek.py for deepseek_v2, DeepSeek-V3's
inference/model.py for deepseek_v3: MLA with interleaved-pair RoPE and YaRN, the softmax scale
with mscale^2, V2 softmax routing with group score = max, V3 sigmoid + bias with group score = sum
of the top 2). The maker requires the patched transformers to agree with it, so an unpatched
departure shows up here rather than as an "engine bug".
"""

import json
import math
import os

import torch
from safetensors import safe_open


def logits(model_dir, ids):
    """(len(ids), vocab) float64 logits of one sequence."""
    c = _config(model_dir)
    w = _weights(model_dir)
    n = len(ids)
    x = w["model.embed_tokens.weight"][ids]  # (n, hidden)
    freqs = _rope_freqs(c)  # (qk_rope / 2,)
    angles = torch.arange(n, dtype=torch.float64)[:, None] * freqs[None, :]  # (n, qk_rope / 2)
    scale = (c["qk_nope_head_dim"] + c["qk_rope_head_dim"]) ** -0.5
    rope = c["rope_scaling"]
    if rope and rope.get("mscale_all_dim"):
        m = _yarn_mscale(rope["factor"], rope["mscale_all_dim"])
        scale *= m * m
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = x + _attention(c, w, p + "self_attn.", _norm(x, w[p + "input_layernorm.weight"], c), angles, scale)
        h = _norm(x, w[p + "post_attention_layernorm.weight"], c)
        if i < c["first_k_dense_replace"]:
            x = x + _mlp(w, p + "mlp.", h)
        else:
            x = x + _moe(c, w, p + "mlp.", h)
    return _norm(x, w["model.norm.weight"], c) @ w["lm_head.weight"].T


def _attention(c, w, p, h, angles, scale):
    n, heads = h.shape[0], c["num_attention_heads"]
    nope, rope, v_dim, lora = c["qk_nope_head_dim"], c["qk_rope_head_dim"], c["v_head_dim"], c["kv_lora_rank"]
    if c.get("q_lora_rank"):
        q = _norm(h @ w[p + "q_a_proj.weight"].T, w[p + "q_a_layernorm.weight"], c, eps=1e-6) @ w[p + "q_b_proj.weight"].T
    else:
        q = h @ w[p + "q_proj.weight"].T
    q = q.view(n, heads, nope + rope)
    kv = h @ w[p + "kv_a_proj_with_mqa.weight"].T  # (n, kv_lora + qk_rope)
    latent = _norm(kv[:, :lora], w[p + "kv_a_layernorm.weight"], c, eps=1e-6)
    k_pe = _rotate(kv[:, lora:], angles)  # (n, qk_rope): one key shared by all heads
    q_pe = _rotate(q[:, :, nope:], angles[:, None, :])
    kvb = (latent @ w[p + "kv_b_proj.weight"].T).view(n, heads, nope + v_dim)  # per head [k_nope | v]
    scores = (torch.einsum("shd,thd->hst", q[:, :, :nope], kvb[:, :, :nope])
              + torch.einsum("shd,td->hst", q_pe, k_pe)) * scale  # (heads, n, n)
    scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
    out = torch.einsum("hst,thd->shd", scores.softmax(-1), kvb[:, :, nope:]).reshape(n, heads * v_dim)
    return out @ w[p + "o_proj.weight"].T


def _rotate(x, angles):
    """RoPE on interleaved pairs (x0, x1), (x2, x3), ... as DeepSeek's checkpoints lay them out."""
    pairs = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2).contiguous())
    return torch.view_as_real(pairs * torch.polar(torch.ones_like(angles), angles)).flatten(-2)


def _rope_freqs(c):
    dim, base = c["qk_rope_head_dim"], c["rope_theta"]
    freqs = 1.0 / base ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    rope = c["rope_scaling"]
    if not rope:
        return freqs
    assert rope["type"] == "yarn", rope
    # DeepSeek's yarn_find_correction_range and linear ramp (floor/ceil, clamped).
    def correction_dim(rotations):
        return dim * math.log(rope["original_max_position_embeddings"] / (rotations * 2 * math.pi)) / (2 * math.log(base))
    low = max(math.floor(correction_dim(rope["beta_fast"])), 0)
    high = min(math.ceil(correction_dim(rope["beta_slow"])), dim - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float64) - low) / (high - low)).clamp(0, 1)
    extrapolate = 1 - ramp
    # cos/sin are also scaled by mscale(factor, mscale) / mscale(factor, mscale_all_dim): 1 when equal.
    assert rope.get("mscale", 1) == rope.get("mscale_all_dim", 1), "unequal mscale not modelled here"
    return freqs / rope["factor"] * (1 - extrapolate) + freqs * extrapolate


def _yarn_mscale(factor, mscale):
    return 1.0 if factor <= 1 else 0.1 * mscale * math.log(factor) + 1.0


def _mlp(w, p, h):
    gate, up, down = (w[p + f"{n}.weight"] for n in ("gate_proj", "up_proj", "down_proj"))
    return (torch.nn.functional.silu(h @ gate.T) * (h @ up.T)) @ down.T


def _moe(c, w, p, h):
    logits = h @ w[p + "gate.weight"].T  # (n, experts)
    experts, k = c["n_routed_experts"], c["num_experts_per_tok"]
    n_group, topk_group = c.get("n_group") or 1, c.get("topk_group") or 1
    if c["model_type"] == "deepseek_v3":
        scores = logits.sigmoid()
        choice = scores + w[p + "gate.e_score_correction_bias"]
        group_scores = choice.view(-1, n_group, experts // n_group).topk(2, -1).values.sum(-1)
    else:
        scores = choice = logits.softmax(-1)
        if c.get("topk_method") != "group_limited_greedy":
            n_group = topk_group = 1
        group_scores = choice.view(-1, n_group, experts // n_group).max(-1).values
    kept = torch.zeros_like(group_scores, dtype=torch.bool).scatter_(1, group_scores.topk(topk_group, -1).indices, True)
    choice = choice.masked_fill(~kept.repeat_interleave(experts // n_group, 1), float("-inf"))
    idx = choice.topk(k, -1).indices  # (n, k)
    weight = scores.gather(1, idx)
    if c.get("norm_topk_prob") and k > 1:
        weight = weight / weight.sum(-1, keepdim=True)
        if c["model_type"] == "deepseek_v3":  # V2 scales only weights it does not normalise
            weight = weight * c["routed_scaling_factor"]
    else:
        weight = weight * c["routed_scaling_factor"]
    out = _mlp(w, p + "shared_experts.", h)
    for t in range(h.shape[0]):
        for j in range(k):
            out[t] += weight[t, j] * _mlp(w, p + f"experts.{int(idx[t, j])}.", h[t:t + 1])[0]
    return out


def _norm(x, weight, c, eps=None):
    eps = c["rms_norm_eps"] if eps is None else eps
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def _config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        c = json.load(f)
    if "rope_parameters" in c:  # transformers 5's layout -> DeepSeek's
        rope = dict(c.pop("rope_parameters"))
        c["rope_theta"] = rope.pop("rope_theta")
        kind = rope.pop("rope_type")
        c["rope_scaling"] = dict(rope, type=kind) if kind != "default" else None
    return c


def _weights(model_dir):
    w = {}
    for f in sorted(os.listdir(model_dir)):
        if f.endswith(".safetensors"):
            with safe_open(os.path.join(model_dir, f), "pt") as st:
                for k in st.keys():
                    w[k] = st.get_tensor(k).to(torch.float64)
    return w
