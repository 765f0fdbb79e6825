#!/usr/bin/env bash
# Cluster DNS records from the API, every second, as a hosts file dnsmasq re-reads (tests/cluster/up.sh):
#   <clusterIP>  <svc>.<ns>.svc.cluster.local                  every Service with a ClusterIP
#   <podIP>      <svc>.<ns>.svc.cluster.local                  headless Services: each endpoint
#   <podIP>      <hostname>.<svc>.<ns>.svc.cluster.local       endpoints with a hostname (StatefulSet pods)
# Not-ready endpoints count for Services that publish them (publishNotReadyAddresses), as in CoreDNS.
# Usage: dns-feeder.sh KUBECTL KUBECONFIG HOSTS_DIR
set -uo pipefail
kubectl=$1 kubeconfig=$2 dir=$3
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
while true; do
  if json=$("$kubectl" --kubeconfig "$kubeconfig" get services,endpoints -A -o json 2>/dev/null); then
    python3 "$here/dns-records.py" "$dir" <<<"$json"
  fi
  sleep 1
done
