#!/usr/bin/env bash
# Makes `moe-local/prometheus:2.42` without any registry, for deploy/monitoring/prometheus.yaml on the
# local cluster (where it replaces prom/prometheus:v2.42.0): Debian's prometheus binary (the package
# tests/prometheus/prepare.sh installs) and the glibc it links, plus busybox and kubectl for the
# pod-targets sidecar (tests/cluster/pod-targets.sh), `docker import`ed.
# Usage: tests/cluster/prometheus-image.sh KUBECTL [ENGINE]     prints the image name
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
kubectl=$1
engine=${2:-docker}
image=moe-local/prometheus:2.42
if "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi
"$root/tests/prometheus/prepare.sh"
binary=$(command -v prometheus)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
mkdir -p "$rootfs/bin" "$rootfs/etc/prometheus" "$rootfs/prometheus"
cp "$binary" "$rootfs/bin/prometheus"
ldd "$binary" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u | while read -r lib; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp "$kubectl" "$rootfs/bin/kubectl"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh awk mv sleep cat; do
  ln -s busybox "$rootfs/bin/$applet"
done
cp "$root/tests/cluster/pod-targets.sh" "$rootfs/bin/pod-targets"
chmod 755 "$rootfs/bin/pod-targets"
chown 65534:65534 "$rootfs/prometheus"
mkdir -m 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -c . | "$engine" import -c 'USER 65534' -c 'WORKDIR /prometheus' -c 'ENV PATH=/bin' \
  -c 'ENTRYPOINT ["/bin/prometheus"]' -c 'CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]' \
  - "$image" >/dev/null
echo "prometheus-image.sh: $image, $("$engine" image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')" >&2
echo "$image"
