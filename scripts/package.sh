#!/usr/bin/env bash
# `make package`: builds the npm package brigade-wasm into dist/brigade-wasm:
# the wasm-pack output (--target web), the JavaScript API (wasm/js/), its
# TypeScript declarations and README (wasm/npm/), the playground's service worker
# for static hosts (sw.js, isolate.js, from wasm/js/), and a package.json whose `files`
# lists the worker snippets, which wasm-pack's own package.json omits. License
# and repository come from the workspace Cargo.toml.
#
# Usage: scripts/package.sh [--release]; --release (what `make package` passes)
# ships the optimised wasm build (scripts/build-wasm.sh --release).
#
# `sideEffects` names the two files that do something when loaded: the worker
# (snippets/brigade-wasm-*/js/worker.js starts listening for `brigade:init`
# when it runs in a Web Worker) and the service worker (sw.js). Everything else
# only defines exports, so a bundler may drop it when nothing of it is used.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/dist/brigade-wasm"
build=()
if [ "${1:-}" = --release ]; then
  build=(--release)
fi
rm -rf "$out"
"$root/scripts/build-wasm.sh" "${build[@]}" "$out"
rm -f "$out/.gitignore"
cp "$root/wasm/npm/index.d.ts" "$root/wasm/npm/isolate.d.ts" "$root/wasm/npm/README.md" "$out/"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/wasm/Cargo.toml" | head -1)
# A key of [workspace.package] in the root Cargo.toml.
workspace_key() {
  sed -n '/^\[workspace\.package\]/,/^\[/ s/^'"$1"' = "\(.*\)"/\1/p' "$root/Cargo.toml"
}
license=$(workspace_key license)
repository=$(workspace_key repository)
if [ -z "$license" ] || [ -z "$repository" ]; then
  echo "package.sh: no license or repository in [workspace.package] of Cargo.toml" >&2
  exit 1
fi
cat > "$out/package.json" <<JSON
{
  "name": "brigade-wasm",
  "version": "$version",
  "description": "A worker pool on Web Workers sharing one WebAssembly memory: Go-style channels, backpressure, cancellation, retries, metrics",
  "keywords": [
    "worker-pool",
    "web-workers",
    "webassembly",
    "wasm",
    "sharedarraybuffer",
    "concurrency",
    "channels",
    "backpressure",
    "abortsignal",
    "rust"
  ],
  "license": "$license",
  "repository": { "type": "git", "url": "git+$repository.git", "directory": "wasm" },
  "type": "module",
  "main": "./index.js",
  "types": "./index.d.ts",
  "exports": {
    ".": { "types": "./index.d.ts", "default": "./index.js" },
    "./isolate.js": { "types": "./isolate.d.ts", "default": "./isolate.js" },
    "./sw.js": "./sw.js",
    "./package.json": "./package.json"
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
  "sideEffects": ["./snippets/brigade-wasm-*/js/worker.js", "./sw.js"]
}
JSON
echo "package: $out"
