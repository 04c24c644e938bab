#!/usr/bin/env bash
# System packages the tests need: Debian's Chromium for the browser tests (no browser download step is ever
# run), and the Vulkan loader, with which onnxruntime-node's WebGPU provider runs on Chromium's SwiftShader.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ldconfig -p | grep 'libvulkan\.so\.1' >/dev/null || missing+=(libvulkan1)
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (the tests need them)" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
