#!/usr/bin/env bash
# Installs what building and running Plenum needs, from Debian packages, when it is missing:
# PostgreSQL, Redis, mold (linker), OpenSSL headers, Node.js, Chromium, poppler-utils. Safe to run again. Needs root or sudo.
set -euo pipefail
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v mold >/dev/null 2>&1 || need+=(mold)
command -v curl >/dev/null 2>&1 || need+=(curl)
# TLS to OIDC providers and object stores goes through the system OpenSSL.
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
# The OpenID provider for tests and `make run` (deploy/oidc-provider) runs on Node.js.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# Text extraction from PDFs (pdftotext), and reading PDFs back in tests.
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
# End-to-end tests in a real browser.
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
