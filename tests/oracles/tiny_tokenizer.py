"""A tiny tokenizer in DeepSeek-V3's Hugging Face format, so the test models stay small.

Byte-level BPE trained with `tokenizers` on the built-in corpus (corpus.py) to a few thousand
tokens, with DeepSeek-V3's normalizer, pre-tokenizer, post-processor and decoder copied verbatim
from the real tokenizer.json (tests/fixtures/fetch-deepseek-v3-tokenizer.sh caches it), its
special tokens at the same places (BOS/EOS/pad first, the chat and tool tokens after the merged
vocabulary) and its tokenizer_config.json (add_bos_token, chat template). Only the merges differ.
"""

import json
import os

from tokenizers import Tokenizer, pre_tokenizers, trainers

import corpus

# DeepSeek-V3 starts its vocabulary with these three (ids 0, 1, 2), also listed as added tokens.
LEADING_SPECIALS = ["<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜▁pad▁｜>"]
# The named tokens DeepSeek-V3 appends after its merged vocabulary (ids 128800..128814 there); the
# 800 "place holder" tokens between are left out. (content, special) as in the real file.
TRAILING_ADDED = [
    ("<｜fim▁hole｜>", False), ("<｜fim▁begin｜>", False), ("<｜fim▁end｜>", False),
    ("<｜User｜>", False), ("<｜Assistant｜>", False), ("<|EOT|>", True),
    ("<｜tool▁calls▁begin｜>", False), ("<｜tool▁calls▁end｜>", False),
    ("<｜tool▁call▁begin｜>", False), ("<｜tool▁call▁end｜>", False),
    ("<｜tool▁outputs▁begin｜>", False), ("<｜tool▁outputs▁end｜>", False),
    ("<｜tool▁output▁begin｜>", False), ("<｜tool▁output▁end｜>", False), ("<｜tool▁sep｜>", False),
]
# Merges the corpus allows: it has a few thousand distinct pairs; the trainer stops earlier if not.
TARGET_VOCAB = 3000


def _added(token_id, content, special, normalized):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False, "rstrip": False,
            "normalized": normalized, "special": special}


def make(real_dir, out_dir):
    """Writes tokenizer.json and tokenizer_config.json into out_dir; returns the token count."""
    with open(os.path.join(real_dir, "tokenizer.json"), encoding="utf-8") as f:
        real = json.load(f)
    with open(os.path.join(real_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        real_config = json.load(f)

    # Train with DeepSeek-V3's own pre-tokenizer, so merges never cross its split points.
    tok = Tokenizer.from_str(json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": real["normalizer"], "pre_tokenizer": real["pre_tokenizer"],
        "post_processor": None, "decoder": real["decoder"],
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": False, "vocab": {}, "merges": []},
    }))
    trainer = trainers.BpeTrainer(vocab_size=TARGET_VOCAB, min_frequency=1, show_progress=False,
                                  special_tokens=LEADING_SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus.TEXT.splitlines(keepends=True), trainer=trainer)
    trained = json.loads(tok.to_str())

    model = trained["model"]
    vocab = model["vocab"]
    assert [vocab[s] for s in LEADING_SPECIALS] == [0, 1, 2], "specials must be ids 0, 1, 2 as in DeepSeek-V3"
    added = [_added(i, s, True, False) for i, s in enumerate(LEADING_SPECIALS)]
    for i, (content, special) in enumerate(TRAILING_ADDED):
        added.append(_added(len(vocab) + i, content, special, True))

    out = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
        # Copied verbatim: these define how DeepSeek-V3 splits, normalises and decodes text.
        "normalizer": real["normalizer"], "pre_tokenizer": real["pre_tokenizer"],
        "post_processor": real["post_processor"], "decoder": real["decoder"],
        "model": {**{k: real["model"][k] for k in real["model"] if k not in ("vocab", "merges")},
                  "vocab": vocab, "merges": model["merges"]},
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    # tokenizer_config.json as DeepSeek-V3 ships it: add_bos_token, BOS/EOS/pad, the chat template.
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(real_config, f, ensure_ascii=False, indent=1)
    return len(vocab) + len(TRAILING_ADDED)
