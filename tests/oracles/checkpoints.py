"""Writes the tiny checkpoints: transformers' own DeepSeek-V2/V3 classes, save_pretrained.

F32 and BF16 are what save_pretrained writes (BF16 by loading the F32 checkpoint with
dtype=bfloat16 and saving it, so e_score_correction_bias stays F32 as transformers keeps it). FP8
is written here the way DeepSeek-V3 ships it, since transformers 5.12.1 can only quantize on an
accelerator: every Linear weight of attention and MLP as float8_e4m3fn with one F32
`weight_scale_inv` per 128x128 block (a multiplier, edge blocks padded), the rest BF16, and
`quantization_config` in config.json. Before quantizing, each block is scaled by a random factor in
[1/2, 2], so the scales really vary and a scale applied to the wrong block shows.

Random initialisation leaves much trivial (norm weights 1, e_score_correction_bias 0, weights of
std 0.02 that make every router score and logit nearly equal); randomize() replaces it so routing
really varies and greedy choices are clear.
"""

import json
import math
import os
import re

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import DeepseekV2Config, DeepseekV2ForCausalLM, DeepseekV3Config, DeepseekV3ForCausalLM

CLASSES = {
    "deepseek_v2": (DeepseekV2Config, DeepseekV2ForCausalLM),
    "deepseek_v3": (DeepseekV3Config, DeepseekV3ForCausalLM),
}
# Logits of std ~4 over the vocabulary: the greedy choice is rarely a near-tie.
LOGIT_GAIN = 4.0
# Router logits of std ~2: softmax/sigmoid scores differ clearly between experts.
ROUTER_GAIN = 2.0
# e_score_correction_bias of this std moves sigmoid scores (spread ~0.2) enough to change choices.
BIAS_STD = 0.1
FP8_BLOCK = 128
FP8_MAX = 448.0  # the largest finite float8_e4m3fn
# The tensors DeepSeek-V3 stores as FP8: every Linear of attention and of the dense, shared and
# routed MLPs; not the embedding, lm_head, norms or the router.
FP8_TENSOR = re.compile(r"\.(self_attn\.(q_proj|q_a_proj|q_b_proj|kv_a_proj_with_mqa|kv_b_proj|o_proj)"
                        r"|mlp\.(shared_experts\.|experts\.\d+\.)?(gate_proj|up_proj|down_proj))\.weight$")
FP8_QUANTIZATION_CONFIG = {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                           "weight_block_size": [FP8_BLOCK, FP8_BLOCK]}
# Variants written in several shards with model.safetensors.index.json, as real checkpoints are.
SHARD_SIZE = "2MB"


def build(variant, vocab_size, num_tokens):
    """The F32 model of a variant with non-trivial seeded weights; ids >= num_tokens are padding."""
    config_cls, model_cls = CLASSES[variant["model_type"]]
    config = config_cls(vocab_size=vocab_size, **variant["hf"])
    torch.manual_seed(variant["seed"])
    model = model_cls(config).eval()
    randomize(model, num_tokens, torch.Generator().manual_seed(variant["seed"]))
    return model


@torch.no_grad()
def randomize(model, num_tokens, gen):
    def normal(t, std):
        t.copy_(torch.randn(t.shape, generator=gen) * std)

    for name, p in list(model.named_parameters()) + list(model.named_buffers()):
        if name.endswith("inv_freq"):
            continue
        if name.endswith("embed_tokens.weight"):
            normal(p, 1.0)
            p[num_tokens:] = 0  # padding rows past the tokenizer, as DeepSeek pads its vocabulary
        elif name == "lm_head.weight":
            normal(p, LOGIT_GAIN / math.sqrt(p.shape[1]))
            p[num_tokens:] = 0
        elif name.endswith("norm.weight"):  # every RMSNorm: not all 1
            p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
        elif name.endswith("e_score_correction_bias"):
            normal(p, BIAS_STD)
        elif name.endswith("mlp.gate.weight"):  # the router
            normal(p, ROUTER_GAIN / math.sqrt(p.shape[1]))
        elif name.endswith("experts.gate_up_proj"):  # (experts, 2 * moe_intermediate, hidden)
            normal(p, 1 / math.sqrt(p.shape[2]))
        elif name.endswith("experts.down_proj"):  # (experts, hidden, moe_intermediate)
            normal(p, 1 / math.sqrt(p.shape[2]))
        elif name.endswith(".weight") and p.dim() == 2:  # Linear (out, in)
            normal(p, 1 / math.sqrt(p.shape[1]))
        else:
            raise ValueError(f"no initialisation rule for {name} {tuple(p.shape)}")


def save(model, out_dir, variant, dtype_name, tokenizer_dir):
    """save_pretrained (F32 as built, BF16 through transformers' own dtype conversion)."""
    sharded = variant["model_type"] == "deepseek_v3"
    kwargs = {"max_shard_size": SHARD_SIZE} if sharded else {}
    if dtype_name == "f32":
        model.save_pretrained(out_dir, **kwargs)
    elif dtype_name == "bf16":
        _, model_cls = CLASSES[variant["model_type"]]
        src = out_dir + ".f32-tmp"
        model.save_pretrained(src)
        model_cls.from_pretrained(src, dtype=torch.bfloat16).save_pretrained(out_dir, **kwargs)
        _rmtree(src)
    else:
        raise ValueError(dtype_name)
    _finish(out_dir, variant, tokenizer_dir)


def save_fp8(f32_dir, out_dir, dequantized_dir, variant, tokenizer_dir, seed):
    """The FP8 checkpoint from the F32 one, and (for the oracle) its dequantised F32 weights."""
    gen = torch.Generator().manual_seed(seed)
    fp8, dequantized = {}, {}
    for name, t in _read_all(f32_dir).items():
        if FP8_TENSOR.search(name):
            q, scale_inv = quantize_fp8(t * block_gains(t.shape, gen))
            fp8[name], fp8[name + "_scale_inv"] = q, scale_inv
            dequantized[name] = dequantize_fp8(q, scale_inv)
        elif name.endswith("e_score_correction_bias"):
            fp8[name] = dequantized[name] = t  # F32, as DeepSeek-V3 ships it
        else:
            fp8[name] = t.to(torch.bfloat16)
            dequantized[name] = fp8[name].float()
    config = _read_config(f32_dir)  # in the variant's layout already
    _write(out_dir, fp8, dict(_with_dtype(config, "bfloat16"), quantization_config=FP8_QUANTIZATION_CONFIG),
           sharded=variant["model_type"] == "deepseek_v3")
    with open(os.path.join(f32_dir, "generation_config.json"), "rb") as src, \
            open(os.path.join(out_dir, "generation_config.json"), "wb") as dst:
        dst.write(src.read())
    _finish(out_dir, variant, tokenizer_dir)
    _write(dequantized_dir, dequantized, _with_dtype(config, "float32"), sharded=False)
    _finish(dequantized_dir, variant, tokenizer_dir)


def block_gains(shape, gen):
    rows, cols = shape
    g = torch.exp2(torch.rand(_blocks(rows), _blocks(cols), generator=gen) * 2 - 1)
    return _expand(g, rows, cols)


def quantize_fp8(w):
    """(rows, cols) F32 -> (float8_e4m3fn weight, F32 weight_scale_inv of (ceil(rows/128), ceil(cols/128)))."""
    rows, cols = w.shape
    br, bc = _blocks(rows), _blocks(cols)
    padded = torch.zeros(br * FP8_BLOCK, bc * FP8_BLOCK)
    padded[:rows, :cols] = w
    amax = padded.view(br, FP8_BLOCK, bc, FP8_BLOCK).abs().amax(dim=(1, 3))  # (br, bc)
    scale_inv = torch.where(amax > 0, amax / FP8_MAX, torch.ones_like(amax))
    q = (w / _expand(scale_inv, rows, cols)).to(torch.float8_e4m3fn)
    return q, scale_inv.float()


def dequantize_fp8(q, scale_inv):
    rows, cols = q.shape
    return q.float() * _expand(scale_inv, rows, cols)


def _blocks(n):
    return -(-n // FP8_BLOCK)


def _expand(per_block, rows, cols):
    return per_block.repeat_interleave(FP8_BLOCK, 0).repeat_interleave(FP8_BLOCK, 1)[:rows, :cols]


def _finish(out_dir, variant, tokenizer_dir):
    """Tokenizer files beside the weights, and config.json in the variant's layout."""
    for f in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(tokenizer_dir, f), "rb") as src, open(os.path.join(out_dir, f), "wb") as dst:
            dst.write(src.read())
    config = _read_config(out_dir)
    if variant["config_layout"] == "deepseek" and "rope_parameters" in config:
        config = deepseek_layout(config, variant["deepseek_extra"])
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def deepseek_layout(config, extra):
    """config.json as DeepSeek publishes it: rope_theta + rope_scaling ("type"), torch_dtype, and
    DeepSeek's own routing keys; without head_dim and qk_head_dim, which transformers derives."""
    config = dict(config)
    rope = config.pop("rope_parameters")
    config["rope_theta"] = rope["rope_theta"]
    scaling = {k: v for k, v in rope.items() if k not in ("rope_type", "rope_theta")}
    config["rope_scaling"] = dict(scaling, type=rope["rope_type"]) if rope["rope_type"] != "default" else None
    config["torch_dtype"] = config.pop("dtype")
    for k in ("head_dim", "qk_head_dim"):
        config.pop(k, None)
    config.update(extra)
    return config


def _with_dtype(config, dtype):
    key = "torch_dtype" if "torch_dtype" in config else "dtype"  # DeepSeek's layout or transformers'
    return dict(config, **{key: dtype})


def _read_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return json.load(f)


def _read_all(model_dir):
    tensors = {}
    for f in sorted(os.listdir(model_dir)):
        if f.endswith(".safetensors"):
            with safe_open(os.path.join(model_dir, f), "pt") as st:
                for k in st.keys():
                    tensors[k] = st.get_tensor(k)
    return tensors


def _write(out_dir, tensors, config, sharded):
    """safetensors (in shards of about SHARD_SIZE with an index when sharded) + config.json."""
    os.makedirs(out_dir, exist_ok=True)
    names = sorted(tensors)
    if not sharded:
        save_file({n: tensors[n].contiguous() for n in names}, os.path.join(out_dir, "model.safetensors"),
                  metadata={"format": "pt"})
    else:
        limit = int(SHARD_SIZE.removesuffix("MB")) * 1000 * 1000
        shards, size = [[]], 0
        for n in names:
            nbytes = tensors[n].numel() * tensors[n].element_size()
            if shards[-1] and size + nbytes > limit:
                shards.append([])
                size = 0
            shards[-1].append(n)
            size += nbytes
        weight_map = {}
        for i, shard in enumerate(shards):
            file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
            save_file({n: tensors[n].contiguous() for n in shard}, os.path.join(out_dir, file), metadata={"format": "pt"})
            weight_map.update({n: file for n in shard})
        total = sum(t.numel() * t.element_size() for t in tensors.values())
        with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def _rmtree(path):
    for f in os.listdir(path):
        os.remove(os.path.join(path, f))
    os.rmdir(path)
