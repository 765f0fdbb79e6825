#!/usr/bin/env bash
# Builds Kubernetes 1.20.2 binaries from Debian bookworm's source package `kubernetes` (the newest
# Kubernetes any registry we reach ships as source) with Debian's Go, for the operator's API-server
# tests (tests/apiserver/prepare.sh) and the local cluster (tests/cluster/prepare.sh).
#
# Usage: tests/kubernetes/build.sh OUT_DIR cmd/kube-apiserver cmd/kubelet ...
#   installs each named binary into OUT_DIR (2-3 minutes for kubectl alone, 8 for all six on two
#   cores: most of it is make's code generation). The source tarball is kept in
#   ~/.cache/moe-operator/kubernetes-src, Go's build cache in ~/.cache/moe-operator/go-build (or
#   $MOE_GO_BUILD_CACHE). Needs root (apt) the first time only.
#
# Two changes to the sources, both for machines like ours:
# - Kubernetes 1.20 vendors reflect2 1.0.1, whose map iteration faults (SIGSEGV in aeshashbody) when
#   built with Go >= 1.18: the API server dies on the first custom resource with a map in it.
#   Debian's reflect2 1.0.2 is the upstream fix; it replaces the vendored copy.
# - Root here lacks CAP_SYS_RESOURCE, so no process may lower its oom_score_adj below 0, and the
#   kubelet's dockershim gives pod sandboxes -998 (runc then fails every pod: "can't get final child's
#   PID from pipe: EOF"). The kubelet's sandbox, guaranteed and critical OOM scores become 0. Only the
#   kubelet's behaviour changes; the kubelet must also run with --oom-score-adj 0.
set -euo pipefail

version=1.20.2
debian_version=1.20.5+really1.20.2-1.1+deb12u1
out=${1:?usage: tests/kubernetes/build.sh OUT_DIR cmd/NAME ...}
shift
(($#)) || { echo "tests/kubernetes/build.sh: name at least one cmd/NAME" >&2; exit 2; }
src_cache=$HOME/.cache/moe-operator/kubernetes-src
go_cache=${MOE_GO_BUILD_CACHE:-$HOME/.cache/moe-operator/go-build}

log() { echo "kubernetes-build: $*" >&2; }
sudo=""
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { log "needs root (or sudo) to apt-get install the build tools"; exit 1; }
  sudo=sudo
fi

# Source packages: copy the machine's Debian entry (same URIs and keyring) as deb-src for bookworm.
src_list=/etc/apt/sources.list.d/moe-operator-deb-src.sources
if [[ ! -f $src_list ]]; then
  log "enabling deb-src for bookworm"
  uris=$(awk '/^URIs:/ && /debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  uris=${uris:-http://deb.debian.org/debian}
  printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$uris" | $sudo tee "$src_list" >/dev/null
fi
if ! command -v go >/dev/null || ! command -v rsync >/dev/null || ! command -v make >/dev/null \
    || [[ ! -d /usr/share/gocode/src/github.com/modern-go/reflect2 ]]; then
  log "installing build tools (dpkg-dev golang-go rsync make, Debian's reflect2)"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev golang-go rsync make \
    golang-github-modern-go-reflect2-dev >/dev/null
fi

mkdir -p "$src_cache" "$go_cache"
tarball=$(ls "$src_cache"/kubernetes_*.orig.tar.gz 2>/dev/null | head -1 || true)
if [[ -z $tarball ]]; then
  log "downloading kubernetes $debian_version sources"
  (cd "$src_cache" && apt-get source --download-only "kubernetes=$debian_version" >/dev/null)
  tarball=$(ls "$src_cache"/kubernetes_*.orig.tar.gz | head -1)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kube-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
tar xzf "$tarball"
cd kubernetes-$version
rsync -a --delete --exclude '*_test.go' /usr/share/gocode/src/github.com/modern-go/reflect2/ vendor/github.com/modern-go/reflect2/
sed -i 's/defaultSandboxOOMAdj int = -998/defaultSandboxOOMAdj int = 0/' pkg/kubelet/dockershim/docker_sandbox.go
sed -i 's/guaranteedOOMScoreAdj int = -997/guaranteedOOMScoreAdj int = 0/' pkg/kubelet/qos/policy.go
grep -q 'defaultSandboxOOMAdj int = 0' pkg/kubelet/dockershim/docker_sandbox.go \
  && grep -q 'guaranteedOOMScoreAdj int = 0' pkg/kubelet/qos/policy.go \
  || { log "the kubelet's OOM-score constants were not where expected; the patch needs updating"; exit 1; }
mkdir -p .go/src/k8s.io
ln -s ../../.. .go/src/k8s.io/kubernetes
log "building $* (minutes; Go's build cache makes later builds quicker)"
start=$SECONDS
env GOPATH="$PWD/.go" CGO_ENABLED=0 HOME="$work/home" GOCACHE="$go_cache" GOFLAGS= \
  make WHAT="$*" >"$work/build.log" 2>&1 || { tail -50 "$work/build.log" >&2; exit 1; }
mkdir -p "$out"
for cmd in "$@"; do
  install -m 755 "_output/bin/$(basename "$cmd")" "$out/$(basename "$cmd")"
done
# A node needs a pod sandbox program too: the pause container's source, for tests/cluster/prepare.sh.
if [[ " $* " == *" cmd/kubelet "* ]]; then
  cp build/pause/linux/pause.c "$out/pause.c"
fi
log "built in $((SECONDS - start)) s into $out"
