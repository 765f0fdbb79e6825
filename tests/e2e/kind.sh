#!/usr/bin/env bash
# End to end on a throwaway kind cluster: build and load the images, then the checks of
# tests/e2e/suite.sh (the same as tests/e2e/local-cluster.sh runs: helm install, tiny-cpu served and
# answering as a local moe generate, two groups, a rollout, a rank and the operator's leader killed,
# autoscaling on deploy/monitoring/prometheus.yaml, uninstall; docs/install.md), delete the cluster.
#
# Needs: docker (with a running daemon), kind, kubectl >= 1.23, helm 3, curl, python3, a JDK 25 (bin/java-home) and
# Maven Central for the build; about 4 CPUs and 6 GiB for the cluster (two groups of two 1-CPU pods).
# tiny-cpu.yaml shards its experts over two pods, so its groups become Ready only with a runtime
# that has expert parallelism (`moe serve --ep-*`, docs/operator.md).
#
# Usage: tests/e2e/kind.sh
# Environment: KIND_CLUSTER (default moe-e2e), KEEP_CLUSTER=1 keeps the cluster afterwards,
# SKIP_BUILD=1 uses images already built by bin/build-images.
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"

cluster=${KIND_CLUSTER:-moe-e2e}
operator_ns=moe-system
app_ns=moe-e2e
local_port=18000
version=$(awk -F'"' '/^appVersion:/ {print $2}' helm/moe-operator/Chart.yaml)
runtime_image=ghcr.io/moe-operator/moe-runtime:$version
operator_image=ghcr.io/moe-operator/moe-operator:$version

log() { printf '\n== %s\n' "$*" >&2; }
die() { printf 'kind.sh: %s\n' "$*" >&2; exit 1; }

# Every missing tool at once, with where to get it.
missing=()
need() { command -v "$1" >/dev/null || missing+=("$1 ($2)"); }
need docker "https://docs.docker.com/engine/install/"
need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
need kubectl "https://kubernetes.io/docs/tasks/tools/"
need helm "https://helm.sh/docs/intro/install/"
need curl "your package manager"
need python3 "your package manager"
if ((${#missing[@]})); then
  printf 'kind.sh: missing tools:\n' >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 2
fi
docker info >/dev/null 2>&1 || die "docker is installed but its daemon does not answer ('docker info' fails); start it and rerun"

kubectl_ctx=(--context "kind-$cluster")
k() { kubectl "${kubectl_ctx[@]}" "$@"; }

port_forward_pid=""
source tests/e2e/diagnose.sh # e2e_diagnose: what the cluster saw, before it goes away
cleanup() {
  local status=$?
  if [[ -n $port_forward_pid ]]; then kill "$port_forward_pid" 2>/dev/null || true; fi
  ((status == 0)) || e2e_diagnose
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    log "keeping cluster $cluster (kind delete cluster --name $cluster)"
  else
    log "deleting cluster $cluster"
    kind delete cluster --name "$cluster" || true
  fi
  exit "$status"
}

log "creating kind cluster $cluster"
kind get clusters 2>/dev/null | grep -qx "$cluster" && die "a kind cluster named $cluster exists already; delete it or set KIND_CLUSTER"
kind create cluster --name "$cluster" --wait 180s
trap cleanup EXIT

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  log "building the images"
  CONTAINER_ENGINE=docker bin/build-images runtime operator
fi
log "loading the images into the cluster"
kind load docker-image --name "$cluster" "$runtime_image" "$operator_image"

# The checks themselves: tests/e2e/suite.sh, the same as on the local cluster.
install_operator() {
  helm --kube-context "kind-$cluster" install moe-operator helm/moe-operator \
    --namespace "$operator_ns" --create-namespace --wait --timeout 5m
  k -n "$operator_ns" rollout status deployment/moe-operator --timeout=2m
}
uninstall_operator() {
  helm --kube-context "kind-$cluster" uninstall moe-operator --namespace "$operator_ns" --wait
  # Helm leaves CRDs in place by design; the suite checks that nothing is left.
  k delete crd moedeployments.serving.moe-operator.io --ignore-not-found
}
CLIENT_IMAGE=${CLIENT_IMAGE:-busybox:1.36}
source tests/e2e/suite.sh
