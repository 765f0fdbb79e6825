#!/usr/bin/env bash
# Prepares a Debian sid root holding the current oracles: Hugging Face transformers + PyTorch (CPU),
# safetensors, tokenizers, numpy, gguf-py and a current llama.cpp (native binaries). Our machines run
# bookworm; sid's packages need sid's glibc, so they live in a root of their own
# (../shared/notes/debian-sid-oracles.md). Built once (about 4 minutes, 2.5 GB) and cached (default
# ~/.cache/moe-operator/sid-root). Needs root (debootstrap, chroot).
#
# Usage: tests/oracles/prepare-sid-root.sh     prints the root's directory
# Run a command in it with tests/oracles/in-sid-root.sh.
set -euo pipefail

root=${MOE_SID_ROOT:-$HOME/.cache/moe-operator/sid-root}
# Bump when the package list changes, so a root from an older recipe is rebuilt.
recipe=1
packages="python3-transformers python3-torch python3-safetensors python3-tokenizers python3-numpy python3-gguf llama.cpp-tools llama.cpp-tools-extra"
log() { echo "prepare-sid-root: $*" >&2; }

if [[ -f $root/.moe-recipe && $(cat "$root/.moe-recipe") == "$recipe" ]]; then
  echo "$root"
  exit 0
fi
if [[ $(id -u) != 0 ]]; then
  log "needs root (debootstrap and chroot); run it as root once, the root is cached in $root"
  exit 1
fi
# The mirror this machine is configured with (never a hard-coded host).
mirror=$(awk '/^URIs:/ && /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
mirror=${mirror:-http://deb.debian.org/debian}
command -v debootstrap >/dev/null || {
  log "installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
rm -rf "$root.partial"
mkdir -p "$(dirname "$root")"
log "debootstrap sid from $mirror (a few minutes)"
debootstrap --variant=minbase --include=ca-certificates sid "$root.partial" "$mirror" >"$root.partial.log" 2>&1 \
  || { tail -30 "$root.partial.log" >&2; exit 1; }
cp /etc/resolv.conf "$root.partial/etc/resolv.conf"
# The mirror's sid Release file may be past its Valid-Until (a frozen snapshot): accept it.
echo 'Acquire::Check-Valid-Until "false";' >"$root.partial/etc/apt/apt.conf.d/99moe-no-valid-until"
log "installing $(echo $packages | wc -w) packages (transformers, torch, llama.cpp, ...)"
# A private mount namespace: /proc is mounted for apt and torch, and gone when the command ends.
# shellcheck disable=SC2086 # the package list splits into words
unshare -m sh -c "mount -t proc proc '$root.partial/proc' && chroot '$root.partial' apt-get update -qq \
  && chroot '$root.partial' env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages" \
  >>"$root.partial.log" 2>&1 || { tail -30 "$root.partial.log" >&2; exit 1; }
chroot "$root.partial" apt-get clean
versions=$(unshare -m sh -c "mount -t proc proc '$root.partial/proc' && chroot '$root.partial' python3 -c \
  'import transformers, torch, tokenizers, safetensors; print(\"transformers\", transformers.__version__, \"torch\", torch.__version__, \"tokenizers\", tokenizers.__version__)'")
log "$versions; $(chroot "$root.partial" llama-cli --version 2>&1 | grep -m1 version || true)"
rm -rf "$root"
mv "$root.partial" "$root"
mv "$root.partial.log" "$root.log"
echo "$recipe" >"$root/.moe-recipe"
echo "$root"
