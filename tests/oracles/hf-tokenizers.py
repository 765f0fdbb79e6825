#!/usr/bin/env python3
"""The Hugging Face tokenizers oracle for the engine's HfTokenizer (runtime/engine, *ParityIT).

Run inside the sid root (tests/oracles/in-sid-root.sh), where tokenizers 0.23.1 is installed:

  hf-tokenizers.py encode MODEL_DIR TEXTS_JSON OUT_JSON
      Encodes each text of TEXTS_JSON (a JSON list of strings) with MODEL_DIR/tokenizer.json and
      writes, per text: ids without special tokens, with them, and with special tokens in the text
      taken as plain text; the text decoded from those ids with and without special tokens; and
      each id decoded alone (so that partial UTF-8 sequences are compared too).
  hf-tokenizers.py split REQUESTS_JSON OUT_JSON
      For each {"pattern", "behavior", "invert", "texts"} request, the pieces that a Split
      pre-tokenizer with that regex makes of each text: this checks the engine's translation of
      Oniguruma regexes on its own, apart from BPE.

We use tokenizers.Tokenizer.from_file, not transformers: transformers 5.12.1 rebuilds a
LlamaTokenizerFast (DeepSeek-V3's tokenizer_class) with a Metaspace pre-tokenizer and so no longer
tokenizes DeepSeek-V3 as its tokenizer.json says. The one thing transformers adds that we keep is
add_bos_token/add_eos_token from tokenizer_config.json, which (as transformers 4's
LlamaTokenizerFast.update_post_processor did) decide whether BOS/EOS are added; a flag that is absent
leaves that side to tokenizer.json's post_processor.
"""
import json
import os
import sys

from tokenizers import Regex, Tokenizer, pre_tokenizers, processors


def token_text(value):
    """tokenizer_config.json names a token as a string or as {"content": ...}."""
    if isinstance(value, dict):
        return value["content"]
    return value


def template_sides(post):
    """The special tokens a post_processor's single template puts before and after the text."""
    if post is None:
        return None, None
    if post["type"] == "Sequence":
        found = (None, None)
        for p in post["processors"]:
            sides = template_sides(p)
            if sides != (None, None):
                found = sides
        return found
    if post["type"] != "TemplateProcessing":
        return None, None
    before, after, seen_text = None, None, False
    for item in post["single"]:
        if "Sequence" in item:
            seen_text = True
        elif seen_text:
            after = item["SpecialToken"]["id"]
        else:
            before = item["SpecialToken"]["id"]
    return before, after


def load(model_dir):
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    # transformers turns these off unless a call asks for them; so does a server.
    tok.no_truncation()
    tok.no_padding()
    config_path = os.path.join(model_dir, "tokenizer_config.json")
    config = json.load(open(config_path, encoding="utf-8")) if os.path.exists(config_path) else {}
    if "add_bos_token" not in config and "add_eos_token" not in config:
        return tok
    with open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8") as f:
        tpl_bos, tpl_eos = template_sides(json.load(f).get("post_processor"))
    add_bos = config.get("add_bos_token", tpl_bos is not None)
    add_eos = config.get("add_eos_token", tpl_eos is not None)
    bos = token_text(config.get("bos_token")) or tpl_bos
    eos = token_text(config.get("eos_token")) or tpl_eos
    single = ([bos + ":0"] if add_bos else []) + ["$A:0"] + ([eos + ":0"] if add_eos else [])
    specials = ([(bos, tok.token_to_id(bos))] if add_bos else []) + ([(eos, tok.token_to_id(eos))] if add_eos else [])
    tok.post_processor = processors.TemplateProcessing(single=" ".join(single), special_tokens=specials)
    return tok


def encode(model_dir, texts_path, out_path):
    tok = load(model_dir)
    texts = json.load(open(texts_path, encoding="utf-8"))
    plain = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    special = [e.ids for e in tok.encode_batch(texts, add_special_tokens=True)]
    # encode_special_tokens: special tokens written in the text are encoded as text.
    tok.encode_special_tokens = True
    as_text = [e.ids for e in tok.encode_batch(texts, add_special_tokens=False)]
    tok.encode_special_tokens = False
    results = []
    for i, text in enumerate(texts):
        results.append({
            "text": text,
            "plain": plain[i],
            "special": special[i],
            "specials_as_text": as_text[i],
            "decoded": tok.decode(plain[i], skip_special_tokens=False),
            "decoded_skipping_specials": tok.decode(plain[i], skip_special_tokens=True),
            "pieces": tok.decode_batch([[t] for t in plain[i]], skip_special_tokens=False),
        })
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=True)


def split(requests_path, out_path):
    results = []
    for r in json.load(open(requests_path, encoding="utf-8")):
        pre = pre_tokenizers.Split(Regex(r["pattern"]), r["behavior"], invert=r["invert"])
        results.append([[piece for piece, _ in pre.pre_tokenize_str(t)] for t in r["texts"]])
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=True)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "encode" and len(sys.argv) == 5:
        encode(*sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] == "split" and len(sys.argv) == 4:
        split(*sys.argv[2:])
    else:
        sys.exit(__doc__)
