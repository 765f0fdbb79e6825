#!/usr/bin/env bash
# Prepares a real kube-apiserver + etcd (+ kubectl, kube-controller-manager) for the operator's
# integration tests, laid out the way fabric8 kube-api-test expects:
# $KUBE_API_TEST_DIR/k8s/<version>-linux-amd64/{kube-apiserver,etcd,kubectl}. The controller manager
# sits beside them: tests that need real StatefulSet pods and garbage collection start it
# (operator/src/test/.../it/ControllerManager.java).
#
# No registry we reach ships Kubernetes binaries, so kube-apiserver (and kubectl) are built from
# Debian bookworm's source package `kubernetes` (1.20.2 with vendor/) with Debian's Go by
# tests/kubernetes/build.sh; etcd is Debian's etcd-server. The result is cached (default
# ~/.cache/moe-operator/kube-api-test), so the ~10 minute build happens once per machine (Go's build
# cache is shared with the local cluster's build). Needs root (apt) the first time only.
#
# Usage: tests/apiserver/prepare.sh    prints the directory to use as KUBE_API_TEST_DIR
set -euo pipefail

version=1.20.2
cache=${MOE_KUBE_API_TEST_DIR:-$HOME/.cache/moe-operator/kube-api-test}
bin_dir=$cache/k8s/$version-linux-amd64
# Bump when the recipe changes, so cached binaries from an older recipe are rebuilt.
recipe=3
stamp=$cache/recipe

if [[ -x $bin_dir/kube-apiserver && -x $bin_dir/etcd && -x $bin_dir/kubectl && -x $bin_dir/kube-controller-manager && $(cat "$stamp" 2>/dev/null) == "$recipe" ]]; then
  echo "$cache"
  exit 0
fi

log() { echo "prepare-apiserver: $*" >&2; }
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
if ! command -v etcd >/dev/null; then
  sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  log "installing etcd-server"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >/dev/null
fi
"$root/tests/kubernetes/build.sh" "$bin_dir" cmd/kube-apiserver cmd/kube-controller-manager cmd/kubectl
etcd_bin=$(command -v etcd || echo /usr/bin/etcd)
ln -sf "$etcd_bin" "$bin_dir/etcd"
echo "$recipe" >"$stamp"
log "ready in $bin_dir"
echo "$cache"
