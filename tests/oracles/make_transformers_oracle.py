"""Makes the transformers oracle: the tiny tokenizer, every variant's checkpoints, their references.

Run inside the sid root by transformers-oracle.sh, which caches the output by the scripts' hash.
Downloads nothing (HF_HUB_OFFLINE). Writes into --out:
  tokenizer/                      the tiny DeepSeek-V3-format tokenizer
  models/<variant>-<dtype>/       checkpoints (f32, bf16, fp8), each with config.json and tokenizer
  dequantized/<variant>-fp8/      the FP8 checkpoint's dequantised F32 weights the oracle runs on
  reference/<variant>-<dtype>.json
  index.json                      versions, patches, and what is where
F32 references hold greedy continuations and last-position logits, computed in F32. BF16 and FP8
references hold teacher-forced top-1 ids, computed in F32 on the checkpoint's own weights:
- BF16 weights upcast exactly. transformers' BF16 compute (dtype=bfloat16) rounds every activation
  and the logits to BF16 (8 bits of mantissa: logits near 15 come in steps of 1/16, so top-1 ties
  are common on these random models); measured here, its top-1 equals its own F32 computation on
  the same BF16 weights at only 87-95 % of positions, so it cannot be a 99 % oracle. Its top-1 ids
  are kept beside (top1_bf16_compute) for information.
- FP8 on the dequantised weights: transformers 5.12.1 dequantises FP8 on CPU only through
  accelerate, which the root lacks, and only for shapes made of whole 128x128 blocks; the
  dequantisation here is DeepSeek's weight_dequant (each fp8 value x its block's scale).
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

import checkpoints  # noqa: E402
import deepseek_semantics  # noqa: E402
import oracle_patches  # noqa: E402
import prompts  # noqa: E402
import reference  # noqa: E402
import tiny_tokenizer  # noqa: E402
import variants  # noqa: E402

# Every variant's routing must really vary on the prompts, or the comparison proves little.
MIN_EXPERTS_USED = 0.75
# The patched transformers must agree with DeepSeek's semantics (deepseek_semantics.py, float64)
# this closely on every F32 last-position logit (measured: about 2e-6), or the oracle is not trusted.
SEMANTICS_TOLERANCE = 1e-5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--real-tokenizer", required=True, help="directory with DeepSeek-V3's tokenizer.json")
    ap.add_argument("--out", required=True)
    # One thread: the models are tiny, and idle OpenMP threads spin on a shared machine (1 thread: 18 s,
    # 2 threads: 130 s of which most spinning, with other builds running; the results are the same).
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    started = time.time()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    patches = oracle_patches.apply()

    out = args.out
    tok_dir = os.path.join(out, "tokenizer")
    num_tokens = tiny_tokenizer.make(args.real_tokenizer, tok_dir)
    # Padded past the tokenizer, as DeepSeek pads 128815 tokens to 129280 rows.
    vocab_size = -(-num_tokens // 128) * 128
    index = {
        "transformers": transformers.__version__, "torch": torch.__version__, "tokenizers": tokenizers.__version__,
        "patches": patches, "tokenizer": {"dir": "tokenizer", "tokens": num_tokens, "vocab_size": vocab_size},
        "models": [],
    }
    prompt_set = None
    for name, variant in variants.VARIANTS.items():
        model = checkpoints.build(variant, vocab_size, num_tokens)
        f32_dir = os.path.join(out, "models", f"{name}-f32")
        checkpoints.save(model, f32_dir, variant, "f32", tok_dir)
        if prompt_set is None:
            prompt_set, index["facts"] = tokenize_prompts(f32_dir)
        banned = prompt_set["banned_ids"]
        ids = [p["ids"] for p in prompt_set["prompts"]]

        # F32: greedy continuations and last-position logits, in F32.
        oracle = load(f32_dir, variant, torch.float32)
        greedy = [reference.greedy(oracle, p, banned) for p in ids]
        routing = reference.routing(oracle, ids)
        check_routing(name, variant, routing)
        semantics = check_semantics(name, f32_dir, ids, [logits for _, logits, _ in greedy])
        ref = dict(prompt_set, name=f"{name}-f32", dtype="f32", compute="float32",
                   attention_scaling=attention_scaling(oracle), routing=routing, deepseek_semantics_deviation=semantics,
                   greedy=[{"tokens": t, "min_margin": min(m)} for t, _, m in greedy],
                   last_logits=[[float(x) for x in logits] for _, logits, _ in greedy])
        add(index, out, name, variant, "f32", f32_dir, ref)
        del oracle

        # BF16: in F32 on the BF16 weights; transformers' own BF16 compute beside, for information.
        bf16_dir = os.path.join(out, "models", f"{name}-bf16")
        checkpoints.save(model, bf16_dir, variant, "bf16", tok_dir)
        teacher_forced(index, out, name, variant, "bf16", bf16_dir, load(bf16_dir, variant, torch.float32),
                       prompt_set, compute="float32 on the bf16 weights",
                       bf16_compute=load(bf16_dir, variant, torch.bfloat16))

        # FP8: in F32 on the dequantised weights.
        fp8_dir = os.path.join(out, "models", f"{name}-fp8")
        dequantized_dir = os.path.join(out, "dequantized", f"{name}-fp8")
        checkpoints.save_fp8(f32_dir, fp8_dir, dequantized_dir, variant, tok_dir, seed=variant["seed"] + 1000)
        teacher_forced(index, out, name, variant, "fp8", fp8_dir, load(dequantized_dir, variant, torch.float32),
                       prompt_set, compute="float32 on the dequantised weights")

    index["seconds"] = round(time.time() - started, 1)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, ensure_ascii=False)


def tokenize_prompts(model_dir):
    """Prompt ids as DeepSeek tokenizes them: BOS first (tokenizer_config's add_bos_token: true)."""
    tok = AutoTokenizer.from_pretrained(model_dir)
    bos, eos = tok.bos_token_id, tok.eos_token_id
    eot = tok.convert_tokens_to_ids("<|EOT|>")
    out = []
    for text in prompts.PLAIN:
        ids = [bos] + tok.encode(text, add_special_tokens=False)
        assert tok.decode(ids[1:]) == text, f"tokenizer does not round-trip {text!r}"
        out.append({"text": text, "add_bos": True, "ids": ids})
    chat = tok.apply_chat_template(prompts.CHAT, add_generation_prompt=True, tokenize=False)
    ids = tok.encode(chat, add_special_tokens=False)
    assert ids[0] == bos, "the chat template starts with the BOS text"
    out.append({"text": chat, "add_bos": False, "ids": ids})
    # Measured, not assumed: transformers 5 drops tokenizer_config's add_bos_token when a
    # tokenizer.json is present, so tok(text) has no BOS; DeepSeek's tokenizer adds it.
    facts = {"transformers_tokenizer_adds_bos": tok("x").input_ids[0] == bos}
    return {"prompts": out, "banned_ids": [eos, eot]}, facts


def load(model_dir, variant, dtype):
    _, model_cls = checkpoints.CLASSES[variant["model_type"]]
    return model_cls.from_pretrained(model_dir, dtype=dtype, attn_implementation="eager",
                                     experts_implementation="eager").eval()


def teacher_forced(index, out, name, variant, dtype_name, model_dir, oracle, prompt_set, compute, bf16_compute=None):
    """The oracle's own greedy continuation of each prompt, then its top-1 after every position."""
    sequences = []
    for p in prompt_set["prompts"]:
        tokens, _, margins = reference.greedy(oracle, p["ids"], prompt_set["banned_ids"])
        seq = p["ids"] + tokens
        sequences.append({"ids": seq, "top1": reference.top1_every_position(oracle, seq), "min_margin": min(margins)})
        if bf16_compute is not None:
            sequences[-1]["top1_bf16_compute"] = reference.top1_every_position(bf16_compute, seq)
    ref = dict(prompt_set, name=f"{name}-{dtype_name}", dtype=dtype_name, compute=compute,
               attention_scaling=attention_scaling(oracle), teacher_forced=sequences)
    add(index, out, name, variant, dtype_name, model_dir, ref)


def attention_scaling(model):
    return model.model.layers[0].self_attn.scaling


def check_routing(name, variant, routing):
    hf = variant["hf"]
    for layer in routing:
        if layer["experts_used"] < MIN_EXPERTS_USED * layer["experts"]:
            raise SystemExit(f"{name}: layer {layer['layer']} routes to only {layer['experts_used']} experts")
    if variant["model_type"] == "deepseek_v3" and not any(layer["bias_changed"] > 0 for layer in routing):
        raise SystemExit(f"{name}: e_score_correction_bias never changes the choice of experts")
    if hf.get("topk_group", 1) < hf.get("n_group", 1) and not any(layer["group_limit_changed"] > 0 for layer in routing):
        raise SystemExit(f"{name}: the group limit never changes the choice of experts")


def check_semantics(name, model_dir, ids, last_logits):
    """The largest deviation of transformers' last logits from DeepSeek's semantics, relative to the largest logit."""
    worst = 0.0
    for p, oracle in zip(ids, last_logits):
        ours = deepseek_semantics.logits(model_dir, p)[-1]
        worst = max(worst, float((ours - oracle.double()).abs().max() / oracle.abs().max()))
    if worst > SEMANTICS_TOLERANCE:
        raise SystemExit(f"{name}: transformers' logits deviate from DeepSeek's semantics by {worst:.2e} "
                         f"of the largest logit (allowed {SEMANTICS_TOLERANCE:.0e}): an unpatched oracle bug?")
    return worst


def add(index, out, name, variant, dtype_name, model_dir, ref):
    path = os.path.join("reference", f"{name}-{dtype_name}.json")
    os.makedirs(os.path.join(out, "reference"), exist_ok=True)
    with open(os.path.join(out, path), "w") as f:
        json.dump(ref, f, ensure_ascii=False)
    index["models"].append({"name": f"{name}-{dtype_name}", "variant": name, "dtype": dtype_name,
                            "model_type": variant["model_type"], "dir": os.path.relpath(model_dir, out),
                            "reference": path})
    margins = [g["min_margin"] for g in ref.get("greedy", ref.get("teacher_forced", []))]
    semantics = ref.get("deepseek_semantics_deviation")
    print(f"{name}-{dtype_name}: {ref['compute']}, attention scaling {ref['attention_scaling']:.5f}, "
          f"smallest greedy top-1 margin {min(margins):.2e} of the largest logit"
          + (f", DeepSeek's semantics within {semantics:.1e}" if semantics is not None else ""), file=sys.stderr)


if __name__ == "__main__":
    main()
