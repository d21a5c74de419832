#!/usr/bin/env bash
# `make check-deep`: the checks too slow for `make test`, each runnable alone,
# ending with one table of what each measured.
#
#   scripts/check-deep.sh                 every part, in this order
#   scripts/check-deep.sh miri soak       only these parts
#
# Parts:
#   loom      every loom model at LOOM_MAX_PREEMPTIONS (default 2), Group's too
#   miri      the channel engines' and the pool's tests that Miri can run,
#             with -Zmiri-strict-provenance (the list is MIRI_TESTS below)
#   tsan      the concurrency tests under ThreadSanitizer (nightly,
#             -Zsanitizer=thread, the standard library rebuilt with it)
#   proptest  the state-machine tests against sequential models of Go's
#             channels and of the pool's lifecycle, PROPTEST_CASES (10000)
#   fuzz      each cargo-fuzz target for FUZZ_RUNS (1000000) executions
#   soak      SOAK_JOBS (10000000) jobs through core/examples/soak.rs
#
# Installs nothing: `make check-deep` runs `scripts/bootstrap.sh deep` first
# (Miri, cargo-fuzz). Stops at the first part that fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

nightly=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' wasm/rust-toolchain.toml)
target=$(rustc +stable -vV | sed -n 's/^host: //p')
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
table=$logs/table

# The tests Miri runs: each line is a test file, then libtest's arguments
# (`--skip` for tests that move thousands of values between threads, hours
# under Miri; names to run only those). Files whose tests start a timer or a
# pool run with -Zmiri-ignore-leaks: the timer service's thread lives as long
# as the process, and Miri counts a thread still running at exit as a leak.
MIRI_TESTS=(
  "bounded --skip many_producers"
  "rendezvous --skip ping_pong"
  "close"
  "unbounded --skip many_producers --skip senders_never_wait --skip values_still_sent"
)
MIRI_TESTS_WITH_THREADS=(
  "select --skip fair_ --skip select_meets_select"
  "lost_worker"
  "pool a_submitted_job_comes_out every_outcome_kind cancel_by_id_queued_and_running panics_are_contained close_drains shutdown_cancels abort_cancels a_job_handle_cancels"
)

# The tests ThreadSanitizer runs: the channels' and the pool's, threads and all.
TSAN_TESTS=(--test bounded --test unbounded --test rendezvous --test close --test select
  --test pool --test group --test wait_group --test context --test lost_worker)

row() { printf '| %s | %s | %s | %s |\n' "$@" >>"$table"; }

# part <name> <command...>: runs it with its output in a log, times it.
part() {
  local name=$1
  shift
  printf '\n\033[1m==> %s\033[0m\n' "$name"
  local start=$SECONDS
  "$@" 2>&1 | tee "$logs/$name.log"
  local rc=${PIPESTATUS[0]}
  elapsed=$((SECONDS - start))
  if [ "$rc" -ne 0 ]; then
    row "$name" "FAILED" "exit $rc" "${elapsed} s"
    finish
    exit 1
  fi
}

# Sum of "N passed" over cargo's "test result" lines in a part's log.
passed() { grep -aoE 'test result: ok\. [0-9]+ passed' "$logs/$1.log" | awk '{s+=$4} END {print s+0}'; }

loom() {
  part loom env LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-2}" scripts/loom.sh --deep
  row loom ok "$(passed loom) models at ${LOOM_MAX_PREEMPTIONS:-2} preemptions" "${elapsed} s"
}

miri() {
  run_miri() {
    local t flags=(-Zmiri-strict-provenance -Zmiri-disable-isolation) words
    export CARGO_TARGET_DIR="$root/target/miri"
    for t in "${MIRI_TESTS[@]}"; do
      read -r -a words <<<"$t"
      MIRIFLAGS="${flags[*]}" cargo +"$nightly" miri test -p brigade --test "${words[0]}" -- "${words[@]:1}" || return 1
    done
    for t in "${MIRI_TESTS_WITH_THREADS[@]}"; do
      read -r -a words <<<"$t"
      MIRIFLAGS="${flags[*]} -Zmiri-ignore-leaks" \
        cargo +"$nightly" miri test -p brigade --test "${words[0]}" -- "${words[@]:1}" || return 1
    done
    # The unit tests start timers too.
    MIRIFLAGS="${flags[*]} -Zmiri-ignore-leaks" cargo +"$nightly" miri test -p brigade --lib
  }
  part miri run_miri
  local ub
  ub=$(grep -ac 'Undefined Behavior' "$logs/miri.log")
  row miri ok "$(passed miri) tests, $ub reports" "${elapsed} s"
}

tsan() {
  run_tsan() {
    # ThreadSanitizer reports a race as a warning and exits non-zero at the
    # end (halt_on_error=0 keeps every report in one run).
    CARGO_TARGET_DIR="$root/target/tsan" \
      RUSTFLAGS="-Zsanitizer=thread" RUSTDOCFLAGS="-Zsanitizer=thread" \
      TSAN_OPTIONS="halt_on_error=0 exitcode=66" \
      cargo +"$nightly" test -Zbuild-std --target "$target" -p brigade "${TSAN_TESTS[@]}"
  }
  part tsan run_tsan
  local races
  races=$(grep -ac 'WARNING: ThreadSanitizer' "$logs/tsan.log")
  row tsan ok "$(passed tsan) tests, $races reports" "${elapsed} s"
}

proptest() {
  part proptest env PROPTEST_CASES="${PROPTEST_CASES:-10000}" \
    cargo +stable test --release -p brigade --test model_chan --test model_pool
  row proptest ok "$(passed proptest) tests, each property test at ${PROPTEST_CASES:-10000} cases" "${elapsed} s"
}

fuzz() {
  local runs=${FUZZ_RUNS:-1000000} t i figures=""
  local targets
  mapfile -t targets < <(cargo +"$nightly" fuzz list)
  run_fuzz() {
    for t in "${targets[@]}"; do
      cargo +"$nightly" fuzz run "$t" -- -runs="$runs" || return 1
    done
  }
  part fuzz run_fuzz
  # libFuzzer ends each run with "Done <runs> runs in <s> second(s)".
  local secs
  mapfile -t secs < <(grep -aoE "Done $runs runs in [0-9]+ second" "$logs/fuzz.log" | awk '{print $5}')
  for i in "${!targets[@]}"; do
    figures+="${targets[$i]} ${secs[$i]:-?} s, "
  done
  row fuzz ok "$runs runs per target, no crash (${figures%, })" "${elapsed} s"
}

soak() {
  part soak cargo +stable run --release -p brigade --example soak -- "${SOAK_JOBS:-10000000}"
  row soak ok "$(grep -a '^soak:' "$logs/soak.log" | sed 's/^soak: //')" "${elapsed} s"
}

finish() {
  echo
  echo "| part | result | figures | time |"
  echo "|---|---|---|---|"
  cat "$table"
}

parts=("$@")
if [ ${#parts[@]} -eq 0 ]; then
  parts=(loom miri tsan proptest fuzz soak)
fi
: >"$table"
for p in "${parts[@]}"; do
  case $p in
    loom | miri | tsan | proptest | fuzz | soak) "$p" ;;
    *)
      echo "check-deep: no part named '$p' (loom, miri, tsan, proptest, fuzz, soak)" >&2
      exit 2
      ;;
  esac
done
finish
