#!/usr/bin/env bash
# Installs a Prometheus server (Debian's package) for the autoscaling integration tests, which start
# their own on loopback with a generated configuration. Needs root (apt) the first time only.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { echo "prepare-prometheus: needs root (or sudo) to apt-get install prometheus" >&2; exit 1; }
  sudo=sudo
fi
echo "prepare-prometheus: installing Debian's prometheus package" >&2
$sudo apt-get update -qq
# The tests run their own server; stop the package's service where an init system started it.
$sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends prometheus >/dev/null
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  $sudo systemctl stop prometheus || true
fi
command -v prometheus >/dev/null
