#!/usr/bin/env bash
# Copies the playground's third-party browser files from node_modules into $1
# (default: web/vendor), since the page is served without a build step:
# uPlot's ES module and stylesheet, which web/charts.js imports and the page
# links. The folder is git-ignored; `npm ci` (the bootstrap) must have run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/web/vendor}")
src="$root/node_modules/uplot/dist"
if [ ! -f "$src/uPlot.esm.js" ]; then
  echo "vendor: $src/uPlot.esm.js is missing; run npm ci first" >&2
  exit 1
fi
mkdir -p "$out"
cp "$src/uPlot.esm.js" "$src/uPlot.min.css" "$out/"
