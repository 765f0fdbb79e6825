#!/usr/bin/env bash
# What the cluster saw, printed when an end-to-end run fails: sourced by tests/e2e/kind.sh,
# local-cluster.sh and cluster.sh, which define k (kubectl for the cluster), operator_ns and app_ns.
e2e_diagnose() {
  printf '\n== diagnostics\n' >&2
  {
    k get all,moe -A -o wide
    k describe moe -n "$app_ns"
    k get events -n "$app_ns" --sort-by=.lastTimestamp | tail -30
    k logs -n "$operator_ns" -l app.kubernetes.io/name=moe-operator --tail=100 --prefix
    k logs -n "$app_ns" -l serving.moe-operator.io/deployment=tiny-cpu --all-containers --tail=50 --prefix
  } >&2 2>&1 || true
}
