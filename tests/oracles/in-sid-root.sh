#!/usr/bin/env bash
# Runs a command inside the sid root (tests/oracles/prepare-sid-root.sh), with /proc mounted in a
# private mount namespace that ends with the command, so nothing stays mounted. Exchange files
# through a directory inside the root: the root's /work/<dir> is $ROOT/work/<dir> outside.
#
# Usage: tests/oracles/in-sid-root.sh python3 /work/x/script.py ARGS...
set -euo pipefail
root=$("$(dirname "$0")/prepare-sid-root.sh")
exec unshare -m sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" env HOME=/tmp PYTHONDONTWRITEBYTECODE=1 "$@"' "$root" "$@"
