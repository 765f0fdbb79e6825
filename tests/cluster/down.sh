#!/usr/bin/env bash
# Takes down what tests/cluster/up.sh started, also after a failed test or a half-done bring-up:
# the processes, every Kubernetes container, the kubelet's mounts, the pod network's iptables
# rules, bridges and routes, and the host settings the components changed. Docker's images stay
# (in $MOE_CLUSTER_STATE/docker) so that the next bring-up need not build them again.
# Usage: tests/cluster/down.sh
set -uo pipefail
state=${MOE_CLUSTER_STATE:-/var/lib/moe-cluster}
log() { echo "cluster-down: $*" >&2; }

stop() { # pid...: TERM, then KILL what is still there after 10 s
  (($#)) || return 0
  kill "$@" 2>/dev/null
  for _ in $(seq 20); do kill -0 "$@" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$@" 2>/dev/null
}
if [[ -f $state/pids ]]; then
  # The node agents first (so nothing restarts containers), the control plane next; docker last.
  for group in "kubelet kube-proxy dns-feeder dnsmasq" "kube-scheduler kube-controller-manager kube-apiserver etcd"; do
    pids=()
    for name in $group; do pids+=($(awk -v n="$name" '$1 == n {print $2}' "$state/pids")); done
    stop "${pids[@]}"
  done
fi
if docker info >/dev/null 2>&1; then
  ids=$(docker ps -aq --filter name=k8s_)
  [[ -z $ids ]] || { log "removing $(wc -w <<<"$ids") containers"; docker rm -f $ids >/dev/null; }
fi
if [[ -f $state/pids ]]; then
  stop $(awk '$1 == "dockerd" {print $2}' "$state/pids")
fi
# What dockerd added, if up.sh started it: its chains, its bridge, the FORWARD policy it set.
if [[ -f $state/forward-policy.saved ]]; then
  for table in filter nat; do
    iptables -t "$table" -S 2>/dev/null | grep -E '^-A .*DOCKER' | sed 's/^-A/-D/' | while read -r rule; do
      eval iptables -t "$table" "$rule" 2>/dev/null
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '/^-N DOCKER/ {print $2}'); do
      iptables -t "$table" -F "$chain" 2>/dev/null
    done
    for chain in $(iptables -t "$table" -S 2>/dev/null | awk '/^-N DOCKER/ {print $2}'); do
      iptables -t "$table" -X "$chain" 2>/dev/null
    done
  done
  ip link del docker0 2>/dev/null
  iptables -P FORWARD "$(cat "$state/forward-policy.saved")"
  rm -f "$state/forward-policy.saved"
fi
# The kubelet's volume mounts (secrets, service account tokens, emptyDirs on tmpfs).
if [[ -d $state/kubelet ]]; then
  awk -v d="$state/kubelet" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
fi
# kube-proxy's and the kubelet's chains, and the CNI plugins' (CNI-*), in every table they use.
for table in filter nat mangle; do
  iptables -t "$table" -S 2>/dev/null | grep -E '^-A .*(KUBE-|CNI-)' | sed 's/^-A/-D/' | while read -r rule; do
    eval iptables -t "$table" "$rule" 2>/dev/null
  done
  iptables -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}' | while read -r chain; do
    iptables -t "$table" -F "$chain" 2>/dev/null
  done
  iptables -t "$table" -S 2>/dev/null | awk '/^-N (KUBE-|CNI-)/ {print $2}' | while read -r chain; do
    iptables -t "$table" -X "$chain" 2>/dev/null
  done
done
ip route del 10.96.0.0/16 dev moe-svc0 2>/dev/null
for dev in moe-svc0 moe-cni0; do ip link del "$dev" 2>/dev/null; done
rm -rf "$state/cni/ipam"
if [[ -f $state/sysctls.saved ]]; then
  while IFS= read -r kv; do sysctl -qw "$kv" 2>/dev/null; done <"$state/sysctls.saved"
  rm -f "$state/sysctls.saved"
fi
# A fresh cluster next time: the data, not the images or the certificates.
rm -rf "$state/etcd" "$state/kubelet" "$state/dns" "$state/pids" "$state/dockerd.pid"
log "done"
