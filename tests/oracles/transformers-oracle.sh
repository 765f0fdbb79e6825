#!/usr/bin/env bash
# Makes the Hugging Face transformers oracle once and prints its directory: the tiny tokenizer, the
# checkpoints of every variant (F32, BF16, FP8) and transformers' reference outputs for them
# (make_transformers_oracle.py, run inside the sid root). Cached under
# ~/.cache/moe-operator/transformers-oracle/<hash of these scripts>, so a second run reuses it and
# an edited script makes a new one. Downloads nothing: the sid root (prepare-sid-root.sh) and
# DeepSeek-V3's tokenizer (tests/fixtures/fetch-deepseek-v3-tokenizer.sh) must be there already;
# bin/test prepares both.
#
# Usage: tests/oracles/transformers-oracle.sh     prints the oracle's directory (progress on stderr)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${MOE_TRANSFORMERS_ORACLE:-$HOME/.cache/moe-operator/transformers-oracle}
root=${MOE_SID_ROOT:-$HOME/.cache/moe-operator/sid-root}
tokenizer=$HOME/.cache/moe-operator/tokenizer-deepseek_v3-3.7.2
# The oracle's scripts (other *.py here belong to other oracles and do not change this one).
scripts="make_transformers_oracle.py tiny_tokenizer.py corpus.py prompts.py variants.py checkpoints.py
  oracle_patches.py reference.py deepseek_semantics.py"
# shellcheck disable=SC2086 # the list splits into words
hash=$(cd "$here" && cat transformers-oracle.sh $scripts | sha256sum | cut -c1-16)
out=$cache/$hash
fail() { echo "transformers-oracle: $*" >&2; exit 1; }

if [[ -f $out/index.json ]]; then
  echo "$out"
  exit 0
fi
[[ -f $root/.moe-recipe ]] || fail "no sid root in $root: run tests/oracles/prepare-sid-root.sh once (as root, a few minutes; bin/test does)"
[[ -f $tokenizer/tokenizer.json ]] || fail "no DeepSeek-V3 tokenizer in $tokenizer: run tests/fixtures/fetch-deepseek-v3-tokenizer.sh (bin/test does)"
mkdir -p "$cache"
# One maker at a time (parallel test JVMs); whoever waited finds the result made.
exec 9>"$cache/.lock"
flock 9
if [[ -f $out/index.json ]]; then
  echo "$out"
  exit 0
fi
# The root sees $root/work/<name> as /work/<name>: scripts and fixture go in, the oracle comes out.
name=transformers-oracle-$hash
work=$root/work/$name
rm -rf "$work"
mkdir -p "$work/scripts" "$work/deepseek-v3-tokenizer"
# shellcheck disable=SC2086
(cd "$here" && cp $scripts "$work/scripts/")
cp "$tokenizer/tokenizer.json" "$tokenizer/tokenizer_config.json" "$work/deepseek-v3-tokenizer/"
echo "transformers-oracle: making tokenizer, checkpoints and references in the sid root (about a minute)" >&2
start=$SECONDS
"$here/in-sid-root.sh" env HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 TQDM_DISABLE=1 OMP_NUM_THREADS=1 \
  python3 "/work/$name/scripts/make_transformers_oracle.py" \
  --real-tokenizer "/work/$name/deepseek-v3-tokenizer" --out "/work/$name/out" >&2 \
  || fail "making the oracle failed (output above); work files kept in $work"
rm -rf "$out"
mv "$work/out" "$out"
rm -rf "$work"
echo "transformers-oracle: made in $((SECONDS - start)) s: $out" >&2
echo "$out"
