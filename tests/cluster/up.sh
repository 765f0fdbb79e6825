#!/usr/bin/env bash
# Brings up a real single-node Kubernetes 1.20.2 on this machine: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, a kubelet with Debian's docker.io through the dockershim,
# kube-proxy (iptables), a CNI bridge network (Debian's plugins), and cluster DNS for Services and
# StatefulSet pods (dnsmasq fed from the API: CoreDNS is not in Debian). What it needs is prepared by
# tests/cluster/prepare.sh (run first, cached); tests/cluster/down.sh takes everything down again.
#
# Usage: tests/cluster/up.sh     waits for the node to be Ready, then prints the kubeconfig's path
# Environment: MOE_CLUSTER_STATE (default /var/lib/moe-cluster): certificates, logs, pids, etcd and
# docker's data (images stay there between runs).
#
# Single node, Kubernetes 1.20, no GPU; for tests only: every component trusts one throwaway CA and
# the controllers run with the admin's certificate.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
state=${MOE_CLUSTER_STATE:-/var/lib/moe-cluster}
cache=$("$here/prepare.sh")
bin=$cache/bin
node=moe-node
pod_cidr=10.244.0.0/24
cluster_cidr=10.244.0.0/16
service_cidr=10.96.0.0/16
api_service_ip=10.96.0.1
dns_ip=10.96.0.10
etcd_port=2479
start=$SECONDS
log() { printf 'cluster-up: [%3ds] %s\n' "$((SECONDS - start))" "$*" >&2; }
die() { log "$*"; exit 1; }

[[ $(id -u) == 0 ]] || die "needs root"
[[ -f $state/pids ]] && die "a cluster runs already ($state/pids); tests/cluster/down.sh first"
node_ip=$(ip -4 route get 1.1.1.1 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "src") print $(i + 1)}' || true)
[[ -n $node_ip ]] || node_ip=$(hostname -I | awk '{print $1}')
mkdir -p "$state"/{pki,logs,cni,kubelet,dns,etcd}
: >"$state/pids"

# Ends the bring-up cleanly if any step fails: down.sh removes what was started.
trap 'status=$?; if ((status != 0)); then log "failed; logs in $state/logs"; "$here/down.sh" >&2 || true; fi' EXIT

run() { # name command...: starts a component in the background, logging to logs/<name>.log
  local name=$1; shift
  "$@" >"$state/logs/$name.log" 2>&1 &
  echo "$name $!" >>"$state/pids"
}

# Host settings the kubelet and kube-proxy change, saved for down.sh to restore.
sysctls=(vm.overcommit_memory kernel.panic kernel.panic_on_oops net.ipv4.conf.all.route_localnet
         net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables)
[[ -f $state/sysctls.saved ]] || for s in "${sysctls[@]}"; do echo "$s=$(sysctl -n "$s")"; done >"$state/sysctls.saved"
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1

log "certificates"
pki=$state/pki
if [[ ! -f $pki/ca.crt ]]; then
  cert() { # name subject [sans]: a key and a certificate signed by the CA
    openssl req -newkey rsa:2048 -nodes -keyout "$pki/$1.key" -subj "$2" -out "$pki/$1.csr" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n%s\n' \
      "${3:+subjectAltName=$3}" >"$pki/$1.ext"
    openssl x509 -req -in "$pki/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
      -extfile "$pki/$1.ext" -out "$pki/$1.crt" 2>/dev/null
  }
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -subj "/CN=moe-cluster-ca" -days 3650 -out "$pki/ca.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  cert admin "/O=system:masters/CN=admin"
  cert kubelet "/O=system:nodes/CN=system:node:$node" "DNS:$node,IP:$node_ip"
  cert apiserver "/CN=kube-apiserver" "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$api_service_ip,IP:$node_ip"
fi
kubeconfig() { # file cert: a kubeconfig for the API server with the named client certificate
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters: [{name: moe, cluster: {server: "https://$node_ip:6443", certificate-authority: "$pki/ca.crt"}}]
users: [{name: $2, user: {client-certificate: "$pki/$2.crt", client-key: "$pki/$2.key"}}]
contexts: [{name: moe, context: {cluster: moe, user: $2}}]
current-context: moe
KC
}
kubeconfig "$state/admin.kubeconfig" admin
kubeconfig "$state/kubelet.kubeconfig" kubelet
k() { "$bin/kubectl" --kubeconfig "$state/admin.kubeconfig" "$@"; }

log "docker"
if ! docker info >/dev/null 2>&1; then
  # dockerd sets the FORWARD policy to DROP and adds its chains: down.sh undoes both.
  iptables -S FORWARD | awk '$1 == "-P" {print $3}' >"$state/forward-policy.saved"
  run dockerd dockerd --exec-opt native.cgroupdriver=cgroupfs --data-root "$state/docker" --pidfile "$state/dockerd.pid"
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || die "dockerd did not start (logs/dockerd.log)"
fi
# The pod sandbox image, made here: a registry is never asked.
if ! docker image inspect moe-local/pause:3.4 >/dev/null 2>&1; then
  tmp=$(mktemp -d); cp "$bin/pause" "$tmp/pause"
  tar -C "$tmp" -c pause | docker import -c 'ENTRYPOINT ["/pause"]' - moe-local/pause:3.4 >/dev/null
  rm -rf "$tmp"
fi

log "etcd and the API server"
run etcd etcd --data-dir "$state/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls http://127.0.0.1:2480
run kube-apiserver "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 0.0.0.0 --advertise-address "$node_ip" --secure-port 6443 \
  --service-cluster-ip-range "$service_cidr" --allow-privileged=true --authorization-mode Node,RBAC \
  --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
  --kubelet-preferred-address-types InternalIP,Hostname \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local
for _ in $(seq 120); do k get --raw /readyz >/dev/null 2>&1 && break; sleep 0.5; done
k get --raw /readyz >/dev/null 2>&1 || die "the API server did not become ready (logs/kube-apiserver.log)"
log "API server ready"

run kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$state/admin.kubeconfig" \
  --leader-elect=false --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --use-service-account-credentials=false --cluster-cidr "$cluster_cidr" --allocate-node-cidrs=false
run kube-scheduler "$bin/kube-scheduler" --kubeconfig "$state/admin.kubeconfig" --leader-elect=false

log "network and DNS"
# Pods on one bridge; the Service range routed to an empty bridge, so that a ClusterIP packet
# kube-proxy did not rewrite dies here instead of leaving the machine.
cat >"$state/cni/10-moe.conflist" <<CNI
{"cniVersion": "0.4.0", "name": "moe", "plugins": [
  {"type": "bridge", "bridge": "moe-cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$state/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "firewall"}]}
CNI
ip link show moe-svc0 >/dev/null 2>&1 || { ip link add moe-svc0 type bridge; ip link set moe-svc0 up; }
ip route replace "$service_cidr" dev moe-svc0
printf 'nameserver %s\nsearch cluster.local\n' "$dns_ip" >"$state/resolv.conf.pods"
: >"$state/resolv.conf.host-none"
# dnsmasq answers cluster.local from the hosts files under dns/ (re-read when they change) and
# nothing else; the feeder rewrites them from the API every second.
run dnsmasq dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address "$node_ip" --bind-interfaces \
  --port 53 --hostsdir "$state/dns" --local=/cluster.local/ --domain-needed --log-facility=- --user=root
run dns-feeder "$here/dns-feeder.sh" "$bin/kubectl" "$state/admin.kubeconfig" "$state/dns"

log "kubelet and kube-proxy"
cat >"$state/kubelet.yaml" <<KL
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: "$pki/ca.crt"}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
clusterDNS: ["$dns_ip"]
clusterDomain: cluster.local
resolvConf: "$state/resolv.conf.host-none"
failSwapOn: false
oomScoreAdj: 0
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
maxPods: 60
KL
run kubelet "$bin/kubelet" --config "$state/kubelet.yaml" --kubeconfig "$state/kubelet.kubeconfig" \
  --container-runtime docker --network-plugin cni --cni-bin-dir /usr/lib/cni --cni-conf-dir "$state/cni" \
  --pod-infra-container-image moe-local/pause:3.4 --node-ip "$node_ip" --hostname-override "$node" \
  --root-dir "$state/kubelet" --cert-dir "$state/pki/kubelet-serving" --v 1
cat >"$state/kube-proxy.yaml" <<KP
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$state/admin.kubeconfig"}
mode: iptables
clusterCIDR: "$cluster_cidr"
hostnameOverride: $node
oomScoreAdj: 0
conntrack: {maxPerCore: 0, min: 0}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
KP
run kube-proxy "$bin/kube-proxy" --config "$state/kube-proxy.yaml"

# The DNS Service: no selector, its endpoint is dnsmasq on the node.
k apply -f - >/dev/null <<DNS
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  clusterIP: $dns_ip
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: kube-dns, namespace: kube-system}
subsets: [{addresses: [{ip: "$node_ip"}], ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]}]
DNS

for _ in $(seq 120); do
  [[ $(k get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]] && break
  sleep 0.5
done
[[ $(k get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]] \
  || die "the node did not become Ready (logs/kubelet.log)"
# The default service account exists once the controller manager has run its token controller.
for _ in $(seq 60); do k get serviceaccount default >/dev/null 2>&1 && break; sleep 0.5; done
log "node $node Ready ($node_ip); kubeconfig $state/admin.kubeconfig"
trap - EXIT
echo "$state/admin.kubeconfig"
