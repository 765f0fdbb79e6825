#!/usr/bin/env bash
# Makes the base image `moe-local/jre:25` without any registry: a jlink'd Java 25 runtime of the JDK
# bin/java-home finds, the glibc libraries it links, and Debian's busybox-static as /bin/sh and the
# few tools the entrypoints use; `docker import`ed. bin/build-images --local builds the runtime and
# operator images FROM it instead of eclipse-temurin:25-jre (same Dockerfiles, same contents above
# the base). Needs a container engine with a daemon, and busybox-static (apt-get install busybox-static).
# Usage: deploy/images/local-jre.sh [ENGINE]     prints the image name
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
engine=${1:-docker}
image=moe-local/jre:25
if "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi
[[ -x /bin/busybox ]] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' \
  || { echo "local-jre.sh: needs a static /bin/busybox (apt-get install busybox-static)" >&2; exit 2; }
java_home=$("$root/bin/java-home")
# What the runtime (engine, Quarkus, Netty, JavaCPP) and the operator (JOSDK, fabric8, its HTTP
# server) load; java.desktop for java.beans, which Quarkus uses.
modules=java.base,java.logging,java.management,java.naming,java.net.http,java.sql,java.xml,java.desktop
modules+=,jdk.incubator.vector,jdk.unsupported,jdk.management,jdk.crypto.ec,jdk.httpserver,jdk.zipfs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress zip-6 --output "$rootfs/opt/java" >&2 # (it warns of the incubating Vector API on stdout)
# The shared libraries the runtime's binaries and libraries link, at the paths the loader looks.
{ ldd "$rootfs/opt/java/bin/java"; find "$rootfs/opt/java/lib" -name '*.so' -exec ldd {} \; ; } 2>/dev/null \
  | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | grep -v "^$rootfs/" | sort -u | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
mkdir -p "$rootfs/bin" "$rootfs/usr/bin" "$rootfs/etc" "$rootfs/var/cache/moe"
mkdir -m 1777 "$rootfs/tmp"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in sh cat dirname basename test [ awk sed grep cut tr head expr printf echo ls mkdir rm sleep env id; do
  ln -s busybox "$rootfs/bin/$applet"
done
ln -s /opt/java/bin/java "$rootfs/usr/bin/java"
printf 'root:x:0:0:root:/root:/bin/sh\nmoe:x:1000:1000:moe:/tmp:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nmoe:x:1000:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -c . | "$engine" import \
  -c 'ENV JAVA_HOME=/opt/java' -c 'ENV PATH=/opt/java/bin:/usr/bin:/bin' -c 'ENV LANG=C.UTF-8' \
  - "$image" >/dev/null
echo "local-jre.sh: $image, $("$engine" image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}')" >&2
echo "$image"
