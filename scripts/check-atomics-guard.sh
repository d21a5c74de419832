#!/usr/bin/env bash
# The wasm crate must refuse to build without the atomics target feature (a
# build without shared memory would load, then fail in the browser). Checks it
# from the workspace root, where wasm/.cargo/config.toml does not apply.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
nightly=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' wasm/rust-toolchain.toml)
out=$(CARGO_TARGET_DIR="$root/target/no-atomics" cargo +"$nightly" check -q -p brigade-wasm \
  --target wasm32-unknown-unknown 2>&1)
if [ $? -eq 0 ]; then
  echo "check-atomics-guard: brigade-wasm built without +atomics; the compile_error! guard is gone" >&2
  exit 1
fi
if ! grep -q 'brigade-wasm needs the `atomics` target feature' <<<"$out"; then
  echo "check-atomics-guard: the build failed, but not with the guard's message:" >&2
  echo "$out" >&2
  exit 1
fi
echo "check-atomics-guard: ok: without +atomics the build stops with the guard's message"
