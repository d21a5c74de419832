#!/usr/bin/env bash
# Model-checks the channel engine, WaitGroup, the pool handshake and Group with
# loom. A separate target directory keeps the --cfg loom build from
# invalidating the normal one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export RUSTFLAGS="--cfg loom"
export LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-2}
export CARGO_TARGET_DIR="$root/target/loom"
cargo +stable test -p brigade --test loom_chan --test loom_wait_group --test loom_pool
