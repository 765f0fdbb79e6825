#!/usr/bin/env bash
# End to end on a real single-node cluster made on this machine (tests/cluster: Kubernetes 1.20.2
# from Debian's sources, docker.io), no kind and no registry: brings the cluster up, builds the
# runtime and operator images locally (bin/build-images --local) into the node's docker, runs the
# checks of tests/e2e/suite.sh, and takes the cluster down again, also when a step fails. Exit 0
# only when every step passed. Needs root; the first run builds Kubernetes (about 8 minutes).
# Usage: tests/e2e/local-cluster.sh      KEEP_CLUSTER=1 leaves the cluster up afterwards
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
total_start=$SECONDS
cache=$(tests/cluster/prepare.sh)
kubectl_bin=$cache/bin/kubectl

t=$SECONDS
kubeconfig=$(tests/cluster/up.sh)
printf 'e2e: cluster up in %d s\n' "$((SECONDS - t))" >&2
port_forward_pid=""
finish() {
  local status=$?
  [[ -z $port_forward_pid ]] || kill "$port_forward_pid" 2>/dev/null || true
  if ((status != 0)); then
    k get all,moe -A -o wide >&2 || true
    k logs -n moe-system -l app.kubernetes.io/name=moe-operator --tail=50 --prefix >&2 || true
  fi
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    echo "e2e: keeping the cluster (KUBECONFIG=$kubeconfig; tests/cluster/down.sh)" >&2
  else
    tests/cluster/down.sh
  fi
  printf 'e2e: %s in %d s in all\n' "$( ((status == 0)) && echo passed || echo FAILED)" "$((SECONDS - total_start))" >&2
  exit "$status"
}
trap finish EXIT
k() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }

t=$SECONDS
JAVA_HOME=$(bin/java-home) ./mvnw -B -q -DskipTests package >&2
bin/build-images --local --no-build runtime operator >/dev/null
# A client for in-cluster requests, made like the cluster check's.
tests/cluster/check.sh "$kubeconfig" >/dev/null 2>&1 || { echo "e2e: the cluster check failed" >&2; exit 1; }
CLIENT_IMAGE=moe-local/busybox:1
# Two groups of two ranks and the operator on one node of this machine's cores.
(($(nproc) >= 4)) || RANK_CPU=250m
printf 'e2e: jars and images built in %d s\n' "$((SECONDS - t))" >&2

# deploy/install.yaml is the chart rendered with its defaults (InstallManifestTest keeps them equal).
install_operator() {
  k apply -f deploy/install.yaml >/dev/null
  k -n moe-system wait --for=condition=Available deployment/moe-operator --timeout=3m >/dev/null \
    || die "the operator's Deployment did not become available"
}
uninstall_operator() {
  k delete -f deploy/install.yaml --wait --timeout=3m >/dev/null 2>&1 || true
}
source tests/e2e/suite.sh
