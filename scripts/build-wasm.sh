#!/usr/bin/env bash
# Builds the wasm package (--target web) into $1 (default: web/pkg) and adds the
# hand-written JavaScript API (js/index.js and js/api/). wasm-pack never
# downloads anything here: --mode no-install uses the wasm-bindgen the
# bootstrap installed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/web/pkg}")
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root/wasm"
wasm-pack --quiet build --target web --mode no-install --no-opt --no-pack \
  --out-dir "$out" --out-name brigade_wasm
cp js/index.js "$out/index.js"
# For static hosts without header control: the service worker that adds the
# isolation headers, and the helper that registers it.
cp js/sw.js js/isolate.js "$out/"
rm -rf "$out/api"
cp -r js/api "$out/api"
