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
k() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }
operator_ns=moe-system
app_ns=moe-e2e
source tests/e2e/diagnose.sh
port_forward_pid=""
finish() {
  local status=$?
  [[ -z $port_forward_pid ]] || kill "$port_forward_pid" 2>/dev/null || true
  ((status == 0)) || e2e_diagnose
  if [[ ${KEEP_CLUSTER:-0} == 1 ]]; then
    echo "e2e: keeping the cluster (KUBECONFIG=$kubeconfig; tests/cluster/down.sh)" >&2
  else
    tests/cluster/down.sh
  fi
  printf 'e2e: %s in %d s in all\n' "$( ((status == 0)) && echo passed || echo FAILED)" "$((SECONDS - total_start))" >&2
  exit "$status"
}
trap finish EXIT

t=$SECONDS
JAVA_HOME=$(bin/java-home) ./mvnw -B -q -DskipTests package >&2
bin/build-images --local --no-build runtime operator >/dev/null
# A client for in-cluster requests, made like the cluster check's.
tests/cluster/check.sh "$kubeconfig" >/dev/null 2>&1 || { echo "e2e: the cluster check failed" >&2; exit 1; }
CLIENT_IMAGE=moe-local/busybox:1
# Debian's prometheus binary in an image of its own, for the autoscaling step's Prometheus.
prometheus_image=$(tests/cluster/prometheus-image.sh "$kubectl_bin")
# Two groups of two ranks and the operator on one node of this machine's cores.
(($(nproc) >= 4)) || RANK_CPU=250m
printf 'e2e: jars and images built in %d s\n' "$((SECONDS - t))" >&2

# The chart installed as `helm install` would, through helm-java (no helm binary here).
install_operator() {
  tests/e2e/helm-java.sh install "$kubeconfig" "$operator_ns" >&2 || die "helm install of the chart failed"
  k -n "$operator_ns" wait --for=condition=Available deployment/moe-operator --timeout=3m >/dev/null \
    || die "the operator's Deployment did not become available"
}
uninstall_operator() {
  tests/e2e/helm-java.sh uninstall "$kubeconfig" "$operator_ns" >&2 || die "helm uninstall failed"
  # Helm leaves CRDs in place by design; the suite checks that nothing is left.
  k delete crd moedeployments.serving.moe-operator.io --ignore-not-found --wait --timeout=3m >/dev/null
}
# deploy/monitoring/prometheus.yaml on Debian's prometheus, which has no kubernetes_sd_configs:
# the same pods found by a sidecar instead (tests/cluster/pod-targets.sh) and read as file_sd.
install_prometheus() {
  sed "s|image: prom/prometheus:v2.42.0|image: $prometheus_image|" deploy/monitoring/prometheus.yaml | k apply -f - >/dev/null
  k -n monitoring create configmap prometheus --dry-run=client -o yaml --from-literal=prometheus.yml="global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: kubernetes-pods
    file_sd_configs:
      - files: [/sd/*.json]
        refresh_interval: 5s
" | k apply -f - >/dev/null
  k -n monitoring patch deployment prometheus --type strategic -p "{\"spec\": {\"template\": {\"spec\": {
    \"volumes\": [{\"name\": \"sd\", \"emptyDir\": {}}],
    \"containers\": [
      {\"name\": \"prometheus\", \"volumeMounts\": [{\"name\": \"sd\", \"mountPath\": \"/sd\"}]},
      {\"name\": \"pod-targets\", \"image\": \"$prometheus_image\", \"command\": [\"/bin/pod-targets\", \"/sd/pods.json\"],
       \"resources\": {\"requests\": {\"cpu\": \"10m\"}}, \"volumeMounts\": [{\"name\": \"sd\", \"mountPath\": \"/sd\"}]}]}}}}" >/dev/null
}
source tests/e2e/suite.sh
