#!/usr/bin/env bash
# Checks that a cluster from tests/cluster/up.sh does what our pods need: a StatefulSet's pods start,
# reach each other by their DNS names through a headless Service (the way expert-parallel ranks find
# their peers), and a ClusterIP Service spreads requests over them. Images are made here from
# Debian's busybox-static (no registry). Prints each check with its time; exit 0 only if all passed.
# Usage: tests/cluster/check.sh KUBECONFIG
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
kubeconfig=${1:?usage: tests/cluster/check.sh KUBECONFIG}
cache=$("$here/prepare.sh")
k() { "$cache/bin/kubectl" --kubeconfig "$kubeconfig" "$@"; }
start=$SECONDS
ok() { printf 'cluster-check: [%3ds] ok: %s\n' "$((SECONDS - start))" "$*" >&2; }
fail() { printf 'cluster-check: [%3ds] FAILED: %s\n' "$((SECONDS - start))" "$*" >&2; k get pods -o wide -n moe-check >&2 || true; exit 1; }

if ! docker image inspect moe-local/busybox:1 >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  mkdir -p "$tmp/bin"
  mkdir -m 1777 "$tmp/tmp"
  cp /bin/busybox "$tmp/bin/busybox"
  for applet in sh sleep cat echo hostname nslookup wget httpd timeout ls; do ln -s busybox "$tmp/bin/$applet"; done
  tar -C "$tmp" -c bin tmp | docker import -c 'ENV PATH=/bin' - moe-local/busybox:1 >/dev/null
  rm -rf "$tmp"
fi
ok "image moe-local/busybox:1"

k delete namespace moe-check --ignore-not-found --wait >/dev/null
k create namespace moe-check >/dev/null
trap 'k delete namespace moe-check --wait=false >/dev/null 2>&1 || true' EXIT
k apply -n moe-check -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {clusterIP: None, publishNotReadyAddresses: true, selector: {app: web}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-lb}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      securityContext: {runAsUser: 1000, runAsGroup: 1000}
      containers:
        - name: web
          image: moe-local/busybox:1
          imagePullPolicy: Never
          command: [sh, -c, 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www']
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
YAML
k rollout status -n moe-check statefulset/web --timeout=120s >/dev/null || fail "the StatefulSet's pods did not start"
ok "StatefulSet web: 2 pods Running"

# From pod web-0: its peer by its stable name, then the Service, several times.
for _ in $(seq 30); do
  if got=$(k exec -n moe-check web-0 -- timeout 5 wget -q -O - http://web-1.web.moe-check.svc.cluster.local:8080/ 2>/dev/null) \
      && [[ $got == web-1 ]]; then break; fi
  got=""; sleep 1
done
[[ $got == web-1 ]] || fail "web-0 did not reach web-1.web.moe-check.svc.cluster.local"
ok "web-0 reached its peer by DNS name (web-1.web.moe-check.svc.cluster.local)"
k exec -n moe-check web-0 -- timeout 5 wget -q -O - http://web-1.web:8080/ >/dev/null || fail "the short name web-1.web did not resolve"
ok "short peer name web-1.web resolved through the search path"
seen=""
for _ in $(seq 40); do
  seen+=" $(k exec -n moe-check web-0 -- timeout 5 wget -q -O - http://web-lb/ 2>/dev/null || echo error)"
done
[[ $seen != *error* ]] || fail "requests through the Service web-lb failed:$seen"
[[ $seen == *web-0* && $seen == *web-1* ]] || fail "the Service sent every request to one pod:$seen"
ok "Service web-lb answered 40 of 40 requests, from both pods"
k exec -n moe-check web-0 -- timeout 5 nslookup web-lb.moe-check.svc.cluster.local >/dev/null 2>&1 \
  || fail "nslookup of the Service's name failed"
k exec -n moe-check web-0 -- timeout 5 nslookup nosuch.moe-check.svc.cluster.local >/dev/null 2>&1 \
  && fail "a name that does not exist resolved"
ok "nslookup finds the Service's name and not an unknown cluster.local name"
printf 'cluster-check: all checks passed in %d s\n' "$((SECONDS - start))" >&2
