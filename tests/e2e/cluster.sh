#!/usr/bin/env bash
# The end-to-end checks of tests/e2e/suite.sh against any cluster: the one KUBECONFIG and its current
# context point at (a cloud cluster, minikube, k3s, the local cluster of tests/cluster...).
#
# The cluster must run the images the chart names (ghcr.io/moe-operator/moe-operator and
# moe-runtime at the chart's appVersion, built by bin/build-images): load them into its nodes, or
# push them to a registry it pulls from and give the chart values that name them (HELM_VALUES).
# The suite creates and then deletes the namespaces moe-system, moe-e2e and monitoring, the
# MoEDeployment CRD and the example Prometheus's cluster role: it refuses a cluster where any of
# them exists already, so that it never removes someone's installation.
#
# Needs: kubectl, curl, python3, helm 3 (without it, helm-java through Maven), and the jars built
# (JAVA_HOME=$(bin/java-home) ./mvnw -DskipTests package): the expected text comes from bin/moe.
# Environment: KUBECONFIG (required); HELM_VALUES, a values file for the chart; CLIENT_IMAGE, an
# image with busybox (default busybox:1.36); RANK_CPU, the CPU each rank asks (default 500m).
# Usage: KUBECONFIG=~/.kube/config tests/e2e/cluster.sh
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
cd "$root"
operator_ns=moe-system
app_ns=moe-e2e
: "${KUBECONFIG:?set KUBECONFIG to the cluster to test}"
k() { kubectl "$@"; }
source tests/e2e/diagnose.sh
die() { printf 'cluster.sh: %s\n' "$*" >&2; exit 1; }
for tool in kubectl curl python3; do
  command -v "$tool" >/dev/null || die "$tool is missing"
done
k version >/dev/null 2>&1 || die "the cluster of KUBECONFIG=$KUBECONFIG does not answer (kubectl version fails)"
for ns in "$operator_ns" "$app_ns" monitoring; do
  k get namespace "$ns" >/dev/null 2>&1 && die "namespace $ns exists in this cluster; the suite creates and deletes it"
done
k get crd moedeployments.serving.moe-operator.io >/dev/null 2>&1 && die "the MoEDeployment CRD exists in this cluster; the suite installs and deletes it"
k get clusterrole moe-prometheus >/dev/null 2>&1 && die "cluster role moe-prometheus exists; the suite's Prometheus creates and deletes it"

port_forward_pid=""
finish() {
  local status=$?
  [[ -z $port_forward_pid ]] || kill "$port_forward_pid" 2>/dev/null || true
  ((status == 0)) || e2e_diagnose
  exit "$status"
}
trap finish EXIT

if command -v helm >/dev/null; then
  install_operator() {
    helm install moe-operator helm/moe-operator --namespace "$operator_ns" --create-namespace \
      ${HELM_VALUES:+--values "$HELM_VALUES"} --wait --timeout 5m >&2
  }
  uninstall_operator() {
    helm uninstall moe-operator --namespace "$operator_ns" --wait >&2
    k delete crd moedeployments.serving.moe-operator.io --ignore-not-found >/dev/null # Helm keeps CRDs
  }
else
  install_operator() {
    tests/e2e/helm-java.sh install "$KUBECONFIG" "$operator_ns" ${HELM_VALUES:+"$HELM_VALUES"} >&2
  }
  uninstall_operator() {
    tests/e2e/helm-java.sh uninstall "$KUBECONFIG" "$operator_ns" >&2
    k delete crd moedeployments.serving.moe-operator.io --ignore-not-found >/dev/null
  }
fi
CLIENT_IMAGE=${CLIENT_IMAGE:-busybox:1.36}
source tests/e2e/suite.sh
