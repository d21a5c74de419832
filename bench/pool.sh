#!/usr/bin/env bash
# The pool benchmark: bench/run.sh pool (see there).
exec "$(dirname "$0")/run.sh" pool "$@"
