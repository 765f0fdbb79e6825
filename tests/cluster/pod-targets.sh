#!/bin/sh
# Prometheus service discovery for the local cluster: Debian's prometheus is built without
# kubernetes_sd_configs (client-go is not packaged), so this sidecar lists the pods annotated
# prometheus.io/scrape: "true" every few seconds with kubectl (in-cluster, the pod's service
# account) and writes them as file_sd targets, honouring prometheus.io/port and prometheus.io/path as
# the kubernetes_sd relabelling of deploy/monitoring/prometheus.yaml does.
# Usage (in the image tests/cluster/prometheus-image.sh makes): pod-targets OUT.json [SECONDS]
out=$1
every=${2:-5}
while true; do
  if kubectl get pods --all-namespaces --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.annotations.prometheus\.io/scrape} {.status.podIP} {.metadata.annotations.prometheus\.io/port} {.metadata.annotations.prometheus\.io/path} {.metadata.namespace} {.metadata.name}{"\n"}{end}' >/tmp/pods.txt; then
    awk 'BEGIN { printf "["; n = 0 }
      $1 == "true" && $2 != "" && $3 != "" {
        path = ($4 == "" ? "/metrics" : $4)
        printf "%s{\"targets\":[\"%s:%s\"],\"labels\":{\"__metrics_path__\":\"%s\",\"namespace\":\"%s\",\"pod\":\"%s\"}}", (n++ ? "," : ""), $2, $3, path, $5, $6
      }
      END { print "]" }' /tmp/pods.txt >"$out.tmp" && mv "$out.tmp" "$out"
  fi
  sleep "$every"
done
