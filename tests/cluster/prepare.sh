#!/usr/bin/env bash
# Prepares what tests/cluster/up.sh runs: Debian's docker.io, CNI plugins, dnsmasq, etcd and
# busybox-static, and Kubernetes 1.20.2's six binaries built from Debian's source package
# (tests/kubernetes/build.sh: the kubelet with its OOM scores patched for machines whose root lacks
# CAP_SYS_RESOURCE) plus the pause container's program. Cached under
# ~/.cache/moe-operator/kube-cluster (or $MOE_KUBE_CLUSTER_CACHE): the first run takes 15-20 minutes
# on two cores, later runs return at once. Needs root.
#
# Usage: tests/cluster/prepare.sh     prints the directory holding bin/ (the binaries) and pause
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cache=${MOE_KUBE_CLUSTER_CACHE:-$HOME/.cache/moe-operator/kube-cluster}
# Bump when the recipe changes, so binaries from an older recipe are rebuilt.
recipe=1
log() { echo "prepare-cluster: $*" >&2; }

[[ $(id -u) == 0 ]] || { log "needs root: it runs dockerd, the kubelet and iptables"; exit 1; }

packages=(docker.io containernetworking-plugins dnsmasq-base etcd-server busybox-static gcc libc6-dev iptables conntrack python3 openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
ready=true
for b in "${bins[@]}" pause; do [[ -x $cache/bin/$b ]] || ready=false; done
[[ $(cat "$cache/recipe" 2>/dev/null) == "$recipe" ]] || ready=false
if ! $ready; then
  rm -rf "$cache/bin.new"
  "$root/tests/kubernetes/build.sh" "$cache/bin.new" $(printf 'cmd/%s ' "${bins[@]}")
  # The pod sandbox's program, from the same sources: a static binary that sleeps and reaps.
  gcc -Os -static -o "$cache/bin.new/pause" "$cache/bin.new/pause.c"
  strip "$cache/bin.new/pause"
  rm -rf "$cache/bin"
  mv "$cache/bin.new" "$cache/bin"
  echo "$recipe" >"$cache/recipe"
  log "ready in $cache/bin ($(du -sh "$cache/bin" | cut -f1))"
fi
echo "$cache"
