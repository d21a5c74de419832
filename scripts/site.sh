#!/usr/bin/env bash
# `make site`: the playground as a folder that works from any static host,
# including one that cannot set response headers (GitHub Pages, an S3
# bucket): $1 (default dist/site) gets the page, its modules, the wasm
# package, uPlot and sw.js, the service worker that adds COOP/COEP (the page
# reloads once through it). Every URL in the page is relative, so the folder
# also works under a sub-path (https://host/brigade/).
#
# Usage: scripts/site.sh [--release] [OUT]; --release (what `make site` passes)
# ships the optimised wasm build (scripts/build-wasm.sh --release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=()
if [ "${1:-}" = --release ]; then
  build=(--release)
  shift
fi
out=$(realpath -m "${1:-$root/dist/site}")
rm -rf "$out"
mkdir -p "$out"
# Everything in web/ but what the build makes there.
for f in "$root"/web/*; do
  case $(basename "$f") in
    pkg | vendor) ;;
    *) cp -r "$f" "$out/" ;;
  esac
done
"$root/scripts/build-wasm.sh" "${build[@]}" "$out/pkg"
# The service worker's scope is the folder it is served from: next to the page.
cp "$out/pkg/sw.js" "$out/sw.js"
"$root/scripts/vendor.sh" "$out/vendor"
# wasm-pack's own files, which a host would serve for nothing.
rm -f "$out/pkg/.gitignore" "$out/pkg/package.json" "$out/pkg/README.md"
echo "site: $(du -sh "$out" | cut -f1) in ${out#"$root"/}; serve the folder as it is"
