#!/usr/bin/env bash
# Prepares a real kube-apiserver + etcd (+ kubectl, kube-controller-manager) for the operator's
# integration tests, laid out the way fabric8 kube-api-test expects:
# $KUBE_API_TEST_DIR/k8s/<version>-linux-amd64/{kube-apiserver,etcd,kubectl}. The controller manager
# sits beside them: tests that need real StatefulSet pods and garbage collection start it
# (operator/src/test/.../it/ControllerManager.java).
#
# No registry we reach ships Kubernetes binaries, so kube-apiserver (and kubectl) are built from
# Debian bookworm's source package `kubernetes` (1.20.2 with vendor/) with Debian's Go; etcd is
# Debian's etcd-server. The result is cached (default ~/.cache/moe-operator/kube-api-test), so the
# ~10 minute build happens once per machine (Go's build cache is kept beside it, so adding a
# binary later recompiles little). Needs root (apt) the first time only.
#
# Usage: tests/apiserver/prepare.sh    prints the directory to use as KUBE_API_TEST_DIR
set -euo pipefail

version=1.20.2
debian_version=1.20.5+really1.20.2-1.1+deb12u1
cache=${MOE_KUBE_API_TEST_DIR:-$HOME/.cache/moe-operator/kube-api-test}
bin_dir=$cache/k8s/$version-linux-amd64
# Bump when the recipe changes, so cached binaries from an older recipe are rebuilt.
recipe=3
stamp=$cache/recipe

if [[ -x $bin_dir/kube-apiserver && -x $bin_dir/etcd && -x $bin_dir/kubectl && -x $bin_dir/kube-controller-manager && $(cat "$stamp" 2>/dev/null) == "$recipe" ]]; then
  echo "$cache"
  exit 0
fi

log() { echo "prepare-apiserver: $*" >&2; }
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
log "installing build tools (dpkg-dev golang-go rsync etcd-server)"
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dpkg-dev golang-go rsync etcd-server make \
  golang-github-modern-go-reflect2-dev >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/kube-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
log "downloading kubernetes $debian_version sources"
apt-get source --download-only "kubernetes=$debian_version" >/dev/null
tar xzf kubernetes_*.orig.tar.gz
cd kubernetes-$version
# Kubernetes 1.20 vendors reflect2 1.0.1, whose map iteration faults (SIGSEGV in aeshashbody) when
# built with Go >= 1.18 -- the API server dies on the first custom resource with a map in it.
# Debian's reflect2 1.0.2 is the upstream fix; use it in place of the vendored copy.
rsync -a --delete --exclude '*_test.go' /usr/share/gocode/src/github.com/modern-go/reflect2/ vendor/github.com/modern-go/reflect2/
mkdir -p .go/src/k8s.io
ln -s ../../.. .go/src/k8s.io/kubernetes
log "building kube-apiserver, kube-controller-manager and kubectl (about 10 minutes the first time)"
mkdir -p "$cache/go-build"
env GOPATH="$PWD/.go" CGO_ENABLED=0 HOME="$work/home" GOCACHE="$cache/go-build" GOFLAGS= \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kubectl" >"$work/build.log" 2>&1 || { tail -50 "$work/build.log" >&2; exit 1; }

mkdir -p "$bin_dir"
install -m 755 _output/bin/kube-apiserver "$bin_dir/kube-apiserver"
install -m 755 _output/bin/kubectl "$bin_dir/kubectl"
install -m 755 _output/bin/kube-controller-manager "$bin_dir/kube-controller-manager"
etcd_bin=$(command -v etcd || echo /usr/bin/etcd)
ln -sf "$etcd_bin" "$bin_dir/etcd"
echo "$recipe" >"$stamp"
log "ready in $bin_dir"
echo "$cache"
