#!/usr/bin/env bash
# The channel benchmarks: bench/run.sh channels (see there).
exec "$(dirname "$0")/run.sh" channels "$@"
