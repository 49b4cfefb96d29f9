#!/usr/bin/env bash
# Installs the real servers the test suite starts (Debian packages), only those missing.
# Needs root (or sudo); prints what to install by hand otherwise.
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
pg_ok() { have initdb || have pg_ctl || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
pg_ok || need+=(postgresql)
have redis-server || need+=(redis-server)
have dockerd || need+=(docker.io)
[ -x /bin/busybox ] || need+=(busybox-static)
have prometheus || need+=(prometheus)
have prometheus-alertmanager || need+=(prometheus-alertmanager)
have prometheus-node-exporter || need+=(prometheus-node-exporter)
have tmux || need+=(tmux)
have openssl || need+=(openssl)  # test_http_client makes a self-signed certificate
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "not root: install these yourself: apt-get install ${need[*]}" >&2; exit 1; fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
