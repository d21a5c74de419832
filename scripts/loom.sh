#!/usr/bin/env bash
# Model-checks with loom the channel engines, WaitGroup, and the pool's
# submit/close/abort/resize/cancel races and Group. A separate target
# directory keeps the --cfg loom build from invalidating the normal one.
#
#   scripts/loom.sh          every model at LOOM_MAX_PREEMPTIONS (default 2),
#                            but Group's at 1: at 2 it takes minutes
#   scripts/loom.sh --deep   every model at LOOM_MAX_PREEMPTIONS (default 2);
#                            `make check-deep` runs this
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export RUSTFLAGS="--cfg loom"
export LOOM_MAX_PREEMPTIONS=${LOOM_MAX_PREEMPTIONS:-2}
export CARGO_TARGET_DIR="$root/target/loom"
tests=(--test loom_chan --test loom_wait_group --test loom_pool)
if [ "${1:-}" = "--deep" ]; then
  cargo +stable test -p brigade "${tests[@]}"
else
  cargo +stable test -p brigade "${tests[@]}" -- --skip group_
  LOOM_MAX_PREEMPTIONS=1 cargo +stable test -p brigade --test loom_pool -- group_
fi
