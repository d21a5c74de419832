#!/usr/bin/env bash
# Builds the wasm package (--target web) into OUT (default: web/pkg) and adds
# the hand-written JavaScript API (js/index.js and js/api/). wasm-pack never
# downloads anything here: --mode no-install uses the wasm-bindgen the
# bootstrap installed.
#
# Usage: scripts/build-wasm.sh [--release] [OUT]
#   (default)  the fast build `make test` uses: cargo's release profile, no LTO,
#              no wasm-opt.
#   --release  the build `make demo`, `make site` and `make package` ship: the
#              wasm-release profile of the root Cargo.toml (LTO, one codegen
#              unit), +simd128, then wasm-opt -O3 from the npm package binaryen
#              (node_modules; Debian's binaryen 108 writes modules Chromium
#              rejects).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
release=false
if [ "${1:-}" = --release ]; then
  release=true
  shift
fi
out=$(realpath -m "${1:-$root/web/pkg}")
export PATH="$HOME/.cargo/bin:$PATH"
cd "$root/wasm"
if $release; then
  wasm_opt="$root/node_modules/.bin/wasm-opt"
  [ -x "$wasm_opt" ] || {
    echo "build-wasm.sh: $wasm_opt is missing; run scripts/bootstrap.sh (npm ci)" >&2
    exit 1
  }
  # Cargo appends this to the rustflags of wasm/.cargo/config.toml, and rustc
  # joins the two target-feature lists.
  wasm-pack --quiet build --target web --mode no-install --no-opt --no-pack \
    --profile wasm-release --out-dir "$out" --out-name brigade_wasm -- \
    --config 'target.wasm32-unknown-unknown.rustflags=["-C", "target-feature=+simd128"]'
  # The features the module uses (LLVM's target_features section names them
  # too; they are spelt out so an optimizer that misses the section still
  # accepts threads and exception handling).
  "$wasm_opt" -O3 \
    --enable-threads --enable-bulk-memory --enable-bulk-memory-opt \
    --enable-mutable-globals --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-exception-handling --enable-reference-types --enable-multivalue \
    --enable-call-indirect-overlong --enable-simd \
    "$out/brigade_wasm_bg.wasm" -o "$out/brigade_wasm_bg.wasm"
else
  wasm-pack --quiet build --target web --mode no-install --no-opt --no-pack \
    --out-dir "$out" --out-name brigade_wasm
fi
cp js/index.js "$out/index.js"
# For static hosts without header control: the service worker that adds the
# isolation headers, and the helper that registers it.
cp js/sw.js js/isolate.js "$out/"
rm -rf "$out/api"
cp -r js/api "$out/api"
