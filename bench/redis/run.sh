#!/usr/bin/env bash
# The Redis benchmark: bench/run.sh redis (see there).
exec "$(dirname "$0")/../run.sh" redis "$@"
