#!/usr/bin/env bash
# `make test`: every check, in order, stopping at the first failure, then one
# line "N passed, M failed" that totals every suite. Test counts come from each
# runner's own summary; a check without tests of its own (fmt, clippy, the wasm
# memory check) counts as one.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0
failed=0
n=0

summary() {
  echo
  echo "$passed passed, $failed failed"
}

# step <title> <command...>: runs it, adds its counts, stops on failure.
step() {
  local title=$1
  shift
  n=$((n + 1))
  local log="$logs/$n.log"
  printf '\n\033[1m==> %s\033[0m\n' "$title"
  local start=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # Rust test harnesses (cargo test, wasm-bindgen-test-runner).
  local p f
  p=$(grep -aoE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{s+=$4} END {print s+0}')
  f=$(grep -aoE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{s+=$6} END {print s+0}')
  # node --test (TAP summary).
  p=$((p + $(grep -aoE '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  f=$((f + $(grep -aoE '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')))
  # Python's unittest: "Ran N tests", then "OK" or "FAILED (failures=k, errors=e)".
  local ran broke
  ran=$(grep -aoE '^Ran [0-9]+ tests?' "$log" | awk '{s+=$2} END {print s+0}')
  broke=$(grep -aE '^FAILED \(' "$log" | grep -aoE '(failures|errors)=[0-9]+' | cut -d= -f2 | awk '{s+=$1} END {print s+0}')
  p=$((p + ran - broke))
  f=$((f + broke))
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    if [ "$rc" -eq 0 ]; then p=1; else f=1; fi
  elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1 # the runner failed outside any test (build error, crash)
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  printf '\033[1m<== %s: %s (%d passed, %d failed, %ds)\033[0m\n' "$title" \
    "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" "$p" "$f" $((SECONDS - start))
  if [ "$rc" -ne 0 ]; then
    summary
    exit 1
  fi
}

step "bootstrap" scripts/bootstrap.sh
step "cargo fmt --check" cargo +stable fmt --all --check
step "clippy: core (native)" cargo +stable clippy -p brigade --all-targets --all-features -- -D warnings
step "clippy: wasm (wasm32)" bash -c 'cd wasm && cargo clippy --all-targets -- -D warnings'
step "wasm refuses to build without atomics" scripts/check-atomics-guard.sh
step "cargo test: core" cargo +stable test -p brigade --all-features
step "clippy: brigade-redis" cargo +stable clippy -p brigade-redis --all-targets -- -D warnings
step "cargo test: brigade-redis (real redis-server)" cargo +stable test -p brigade-redis
step "loom: channels, WaitGroup, the pool's races, Group" scripts/loom.sh
step "build the wasm package" scripts/build-wasm.sh web/pkg
step "wasm imports a shared memory with a maximum" node scripts/check-wasm-memory.mjs web/pkg/brigade_wasm_bg.wasm
step "wasm-pack test --headless --chrome" bash -c 'cd wasm && wasm-pack test --headless --chrome --mode no-install'
step "build the npm package" scripts/package.sh
step "types: tsc over the type tests, publint, attw" scripts/check-types.sh
step "the playground's third-party files (web/vendor)" scripts/vendor.sh web/vendor
step "make site: the playground as a static site (dist/site)" scripts/site.sh dist/site
step "bench report module (python unittest)" python3 -m unittest discover -s bench -p 'test_*.py' -v
step "browser end-to-end, package and tool tests (node --test)" node --test --test-concurrency=1 tests/
summary
