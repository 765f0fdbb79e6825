"""Reference outputs of one checkpoint, computed by transformers (the oracle).

- greedy: 32 tokens after each prompt, argmax with EOS and <|EOT|> banned (a logit of -inf, as
  the engine's logit bias does), so every continuation runs its full length whatever the random
  weights make of EOS; with each step's top-1/top-2 margin relative to the largest logit, so a
  near-tie that F32 rounding could flip is visible rather than a mystery.
- last_logits: the logits after each prompt's last token.
- teacher_forced: for prompt + continuation, the top-1 id after every position (one forward over
  the whole sequence).
- routing: per MoE layer over the prompts' tokens, how many experts were chosen, and how often
  e_score_correction_bias and the group limit changed the choice (so trivial routing is caught).

Deterministic: eval mode, no sampling, no dropout, seeded; eager attention and experts (the plain
reference loops). Runs in the dtype the model is loaded in.
"""

import torch

GREEDY_TOKENS = 32


@torch.no_grad()
def greedy(model, ids, banned, n=GREEDY_TOKENS):
    out = model(input_ids=torch.tensor([ids]), use_cache=True)
    logits = out.logits[0, -1].float()
    last_logits = logits.clone()
    tokens, margins = [], []
    for step in range(n):
        masked = logits.clone()
        masked[banned] = float("-inf")
        top2 = torch.topk(masked, 2)
        tokens.append(int(top2.indices[0]))
        margins.append(float(top2.values[0] - top2.values[1]) / float(logits.abs().max()))
        if step + 1 < n:
            out = model(input_ids=torch.tensor([[tokens[-1]]]), past_key_values=out.past_key_values, use_cache=True)
            logits = out.logits[0, -1].float()
    return tokens, last_logits, margins


@torch.no_grad()
def top1_every_position(model, ids):
    return model(input_ids=torch.tensor([ids])).logits[0].float().argmax(-1).tolist()


@torch.no_grad()
def routing(model, prompt_ids):
    config = model.config
    captured = {}
    hooks = []
    for i, layer in enumerate(model.model.layers):
        if i >= config.first_k_dense_replace:
            def keep(module, args, i=i):
                captured.setdefault(i, []).append(args[0].reshape(-1, args[0].shape[-1]).float())
            hooks.append(layer.mlp.register_forward_pre_hook(keep))
    try:
        for ids in prompt_ids:
            model(input_ids=torch.tensor([ids]))
    finally:
        for h in hooks:
            h.remove()
    stats = []
    k = config.num_experts_per_tok
    for i, parts in sorted(captured.items()):
        h = torch.cat(parts)  # (tokens, hidden)
        mlp = model.model.layers[i].mlp
        logits = h @ mlp.gate.weight.float().T  # (tokens, experts)
        if config.model_type == "deepseek_v3":  # sigmoid, noaux_tc: group score = sum of the top 2
            scores = logits.sigmoid()
            biased = scores + mlp.gate.e_score_correction_bias.float()
            chosen = _select(biased, k, config.n_group, config.topk_group, "top2")
            unbiased = _select(scores, k, config.n_group, config.topk_group, "top2")
            ungrouped = _select(biased, k, 1, 1, "top2")
        else:  # softmax; group_limited_greedy: group score = max
            scores = logits.softmax(-1)
            grouped = config.topk_method == "group_limited_greedy"
            chosen = _select(scores, k, config.n_group if grouped else 1, config.topk_group if grouped else 1, "max")
            unbiased = chosen
            ungrouped = _select(scores, k, 1, 1, "max")
        stats.append({
            "layer": i, "tokens": h.shape[0], "experts": config.n_routed_experts,
            "experts_used": len(set(chosen.flatten().tolist())),
            "bias_changed": _fraction_differing(chosen, unbiased),
            "group_limit_changed": _fraction_differing(chosen, ungrouped),
        })
    return stats


def _select(scores, k, n_group, topk_group, group_score):
    t, e = scores.shape
    groups = scores.view(t, n_group, e // n_group)
    if group_score == "max":
        gs = groups.max(-1).values
    else:
        gs = groups.topk(min(2, e // n_group), -1).values.sum(-1)
    keep = torch.zeros_like(gs, dtype=torch.bool).scatter_(1, gs.topk(topk_group, -1).indices, True)
    masked = scores.masked_fill(~keep.repeat_interleave(e // n_group, 1), float("-inf"))
    return masked.topk(k, -1).indices.sort(-1).values


def _fraction_differing(a, b):
    return float((a != b).any(-1).float().mean())
