#!/usr/bin/env bash
# Installs what `make demo` and `make test` need, and only what is missing.
# Idempotent: a second run checks versions and returns in seconds.
#
#   - the pinned nightly (from wasm/rust-toolchain.toml) with rust-src and wasm32
#   - stable clippy and rustfmt for the native `core` crate
#   - wasm-bindgen-cli at exactly the version Cargo.lock resolves
#   - wasm-pack (it is always run with --mode no-install, so it never downloads)
#   - Debian chromium and chromium-driver
#   - Debian redis-server (brigade-redis's tests and example start their own)
#   - npm dev dependencies from the committed package-lock.json
#
# `scripts/bootstrap.sh bench` (`make bench`) also installs what only the
# benchmarks need (bench/run.sh): Debian's golang-go, for the Go side, and
# bench/redis's npm packages (BullMQ and ioredis, from its package-lock.json).
# `scripts/bootstrap.sh deep` (`make check-deep`) also installs what only
# scripts/check-deep.sh needs: Miri on the pinned nightly, and cargo-fuzz.
set -euo pipefail

with_bench=false
with_deep=false
case "${1:-}" in
  "") ;;
  bench) with_bench=true ;;
  deep) with_deep=true ;;
  *)
    echo "usage: scripts/bootstrap.sh [bench|deep]" >&2
    exit 2
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

say() { printf '\033[1mbootstrap:\033[0m %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v rustup >/dev/null; then
  echo "bootstrap: rustup is required (this machine kind ships it)" >&2
  exit 1
fi

# --- Rust toolchains -------------------------------------------------------
nightly=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' wasm/rust-toolchain.toml)
if ! rustup run "$nightly" rustc --print target-list >/dev/null 2>&1 \
   || ! rustup +"$nightly" target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
   || ! rustup +"$nightly" component list --installed 2>/dev/null | grep -q '^rust-src'; then
  say "installing $nightly (rust-src, wasm32-unknown-unknown)"
  rustup toolchain install "$nightly" --profile minimal \
    --component rust-src,clippy,rustfmt --target wasm32-unknown-unknown
fi
if ! rustup +"$nightly" component list --installed 2>/dev/null | grep -q '^clippy'; then
  rustup component add --toolchain "$nightly" clippy
fi
for c in clippy rustfmt; do
  if ! rustup +stable component list --installed 2>/dev/null | grep -q "^$c"; then
    say "adding stable $c"
    rustup component add --toolchain stable "$c"
  fi
done

# --- wasm-bindgen-cli: exactly the version in Cargo.lock --------------------
want_bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
have_bindgen=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_bindgen" != "$want_bindgen" ]; then
  say "installing wasm-bindgen-cli $want_bindgen (have: ${have_bindgen:-none})"
  # From outside the workspace so wasm/rust-toolchain.toml does not apply, and
  # without --locked: the registry mirror lacks one of its locked dependencies.
  (cd / && cargo +stable install wasm-bindgen-cli --version "$want_bindgen" --force)
fi

# --- wasm-pack ---------------------------------------------------------------
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack"
  (cd / && cargo +stable install wasm-pack --locked)
fi

# --- Chromium and its driver (Debian packages) -------------------------------
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing chromium and chromium-driver"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# --- redis-server (Debian package) for brigade-redis --------------------------
if ! command -v redis-server >/dev/null; then
  say "installing redis-server"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq redis-server >/dev/null
fi

# --- npm dev dependencies ------------------------------------------------------
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.brigade-lock 2>/dev/null)" != "$lock_sum" ]; then
  say "installing npm dev dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.brigade-lock
fi

# --- bench only: Go (Debian package) -------------------------------------------
if $with_bench && ! command -v go >/dev/null; then
  say "installing golang-go"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq golang-go >/dev/null
fi

# --- bench only: BullMQ for bench/run.sh redis ---------------------------------
if $with_bench && [ ! -d bench/redis/node_modules/bullmq ]; then
  say "installing bench/redis's npm packages (npm ci)"
  (cd bench/redis && npm ci --no-audit --no-fund --loglevel=error)
fi

# --- check-deep only: Miri and cargo-fuzz --------------------------------------
if $with_deep; then
  if ! rustup +"$nightly" component list --installed 2>/dev/null | grep -q '^miri'; then
    say "adding miri to $nightly"
    rustup component add --toolchain "$nightly" miri
  fi
  scripts/install-fuzz.sh
fi

say "ready"
