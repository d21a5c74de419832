#!/usr/bin/env bash
# The browser benchmark: bench/run.sh browser (see there).
exec "$(dirname "$0")/run.sh" browser "$@"
