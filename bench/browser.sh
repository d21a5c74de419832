#!/usr/bin/env bash
# Tiny jobs in the browser: brigade vs the npm workerpool package vs a Comlink
# pool, and a bare postMessage echo, in headless Chromium (bench/browser.mjs,
# page and workers in bench/browser/). Writes bench/results/browser.md: jobs/s
# for 100,000 echo jobs page -> pool -> page, round-trip latency p50/p99 of one
# job, the ratios to workerpool and to postMessage, medians of 3 runs; and
# browser.json and browser.svg, the ratios and their chart (bench/plot.py).
#
# Usage (from anywhere): bench/browser.sh [--runs N] [--workers N] [--jobs N] ...
# (any option of bench/browser.mjs; later ones win). Takes about 2 minutes on a
# 2-core machine, plus rebuilding web/pkg after a change; best run while nothing
# else is busy (the CPU time other processes used during the run is recorded in
# the results).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Chromium and the npm dev dependencies (workerpool, comlink, playwright-core),
# only if missing.
if ! command -v chromium >/dev/null 2>&1 \
   || [ ! -f node_modules/workerpool/package.json ] \
   || [ ! -f node_modules/comlink/package.json ] \
   || [ ! -f node_modules/playwright-core/package.json ]; then
    scripts/bootstrap.sh
fi

# The wasm package the page imports, built from this checkout every time
# (cargo rebuilds only what changed): a package left from an older commit
# would be measured under this one's name.
make build-wasm

mkdir -p bench/results
exec node bench/browser.mjs --runs 3 --out bench/results/browser.md "$@"
