#!/usr/bin/env bash
# `make package`: builds the npm package brigade-wasm into dist/brigade-wasm:
# the wasm-pack output (--target web), the JavaScript API (wasm/js/index.js), its
# TypeScript declarations and README (wasm/npm/), the playground's service worker
# for static hosts (web/sw.js, web/isolate.js), and a package.json whose `files`
# lists the worker snippets, which wasm-pack's own package.json omits.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/dist/brigade-wasm"
rm -rf "$out"
"$root/scripts/build-wasm.sh" "$out"
rm -f "$out/.gitignore"
cp "$root/wasm/npm/index.d.ts" "$root/wasm/npm/isolate.d.ts" "$root/wasm/npm/README.md" "$out/"
cp "$root/web/sw.js" "$root/web/isolate.js" "$out/"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/wasm/Cargo.toml" | head -1)
cat > "$out/package.json" <<JSON
{
  "name": "brigade-wasm",
  "version": "$version",
  "description": "A worker pool on Web Workers sharing one WebAssembly memory: Go-style channels, backpressure, cancellation, retries, metrics",
  "license": "MIT OR Apache-2.0",
  "type": "module",
  "main": "./index.js",
  "types": "./index.d.ts",
  "exports": {
    ".": { "types": "./index.d.ts", "default": "./index.js" },
    "./isolate.js": { "types": "./isolate.d.ts", "default": "./isolate.js" },
    "./sw.js": "./sw.js"
  },
  "files": [
    "index.js",
    "api/",
    "index.d.ts",
    "brigade_wasm.js",
    "brigade_wasm.d.ts",
    "brigade_wasm_bg.wasm",
    "brigade_wasm_bg.wasm.d.ts",
    "snippets/",
    "isolate.js",
    "isolate.d.ts",
    "sw.js",
    "README.md"
  ],
  "sideEffects": false
}
JSON
echo "package: $out"
