#!/usr/bin/env bash
# Checks the npm package's types and manifest as a user gets them, offline:
#
#   1. `npm pack dist/brigade-wasm` (built by scripts/package.sh) into a
#      temporary folder, and unpack the tarball into
#      tests/types/node_modules/brigade-wasm (git-ignored, left for editors), so
#      the type tests resolve `brigade-wasm` through the package's own
#      `exports` as a consumer's compiler does.
#   2. tsc over the type tests (tests/types/*.ts), twice: with
#      moduleResolution nodenext (tsconfig.json) and bundler
#      (tsconfig.bundler.json). They assert each built-in kind's input and
#      output types, typed events and errors, `await using` and `for await`, and
#      with @ts-expect-error that wrong inputs do not compile.
#   3. publint over the tarball with --strict: warnings fail as errors do
#      (suggestions are printed, and do not fail).
#   4. attw (@arethetypeswrong/cli) over the tarball, every entry point in
#      every resolution mode (node10, node16 from CJS and from ESM, bundler),
#      less what does not apply to an ESM-only browser package:
#      - rule cjs-resolves-to-esm: the package is ES modules only (it needs
#        `import.meta.url` for its workers and top-level ESM glue); `require()`
#        from CommonJS gets "ESM (dynamic import only)", which is what we mean.
#      - entry point ./sw.js: a service worker script to copy next to the page
#        (or reference by URL), never imported, so it has no types to find.
#        Excluded by name, so that a missing type for any other entry point
#        still fails (ignoring rule untyped-resolution would hide it).
#
# Nothing here reaches the network: the tools come from node_modules (npm ci in
# bootstrap.sh), `npx --no` refuses to download, and npm runs with --offline.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export npm_config_offline=true npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

pkg="$root/dist/brigade-wasm"
if [ ! -f "$pkg/package.json" ]; then
  echo "check-types: no $pkg/package.json; run scripts/package.sh first" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tarball="$tmp/$(npm pack "$pkg" --pack-destination "$tmp" --loglevel=error | tail -1)"
consumer="$root/tests/types/node_modules/brigade-wasm"
rm -rf "$consumer"
mkdir -p "$consumer"
tar xzf "$tarball" -C "$consumer" --strip-components=1
echo "check-types: $(basename "$tarball") unpacked into tests/types/node_modules/brigade-wasm"

echo "check-types: tsc $(npx --no -- tsc --version) -p tests/types (nodenext)"
npx --no -- tsc -p tests/types
echo "check-types: tsc -p tests/types/tsconfig.bundler.json (bundler)"
npx --no -- tsc -p tests/types/tsconfig.bundler.json

echo "check-types: publint --strict"
npx --no -- publint run "$tarball" --strict

echo "check-types: attw"
npx --no -- attw "$tarball" --no-definitely-typed \
  --ignore-rules cjs-resolves-to-esm --exclude-entrypoints ./sw.js
