#!/usr/bin/env bash
# System packages the browser tests need (Debian's Chromium; no browser download step is ever run).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing: install Debian's 'chromium' package (browser tests need it)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
