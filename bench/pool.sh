#!/usr/bin/env bash
# Worker pool per-job overhead side by side: brigade's Pool, brigade's channels
# used as Go's hand-written pool, rayon::spawn and the threadpool crate (criterion,
# core/benches/pool.rs), and a Go pool of goroutines and channels
# (bench/go/pool/main.go; also moving pool-sized values, and reporting an
# outcome per job); 1,000,000 no-op jobs on 2 workers in every one. Writes
# bench/results/pool.md: ns per job for each, and the ratios brigade/Go,
# brigade/rayon and brigade/threadpool; the ratios also go to pool.json and,
# drawn by bench/plot.py, to pool.svg.
#
# Usage (from anywhere): bench/pool.sh
# Takes about 3.5 minutes on a 2-core machine for its 5 rounds (ROUNDS=n to change; plus the first build); best run while nothing else is busy
# (the CPU time other processes used during the run is recorded in the results).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Go from Debian, only if missing.
if ! command -v go >/dev/null 2>&1; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y golang-go
fi

# The stable toolchain, through rustup where there is one.
cargo=(cargo)
rustc=(rustc)
if command -v rustup >/dev/null 2>&1; then
    cargo=(cargo +stable)
    rustc=(rustc +stable)
fi

target=${CARGO_TARGET_DIR:-$root/target}
work=$target/bench-pool
mkdir -p "$work" bench/results
touch "$work/started" # criterion results older than this are stale

# Noise check: CPU time the whole machine spent busy during the run, minus what
# this script and everything it ran (and waited for) spent.
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
own_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$$/stat"; }
busy_before=$(busy_ticks)
own_before=$(own_ticks)
wall_before=$(date +%s)

# Every contender in rounds (bench/rounds.sh); the table gives medians over them.
# Five here, not three: a round takes only half a minute, and a three-round run
# that straddled a slow spell of the host (Go 138, 137 and 70 ns per job) put
# the median ratio at 1.51x where five rounds minutes later gave 2.52x.
ROUNDS=${ROUNDS:-5}
source "$root/bench/rounds.sh"
run_rounds pool pool ./pool

busy=$(($(busy_ticks) - busy_before))
own=$(($(own_ticks) - own_before))
wall=$(($(date +%s) - wall_before))
others=$(awk -v t="$((busy - own))" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.0f", (t < 0 ? 0 : t) / hz}')
dirty=$(git status --porcelain -- core Cargo.lock | cut -c4- | paste -sd, - | sed 's/,/, /g')
if [ -n "$dirty" ]; then
    dirty=" with uncommitted changes to: $dirty"
fi

export BENCH_WORK="$work"
export BENCH_ROUNDS="$rounds"
export BENCH_STARTED="$work/started"
export BENCH_OUT="$root/bench/results/pool.md"
export BENCH_JSON="$root/bench/results/pool.json"
export BENCH_NPROC=$(nproc)
export BENCH_CPU=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export BENCH_RUSTC=$("${rustc[@]}" -V)
export BENCH_GO_VERSION=$(go version)
export BENCH_COMMIT="$(git rev-parse HEAD)$dirty"
export BENCH_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
export BENCH_NOISE="${others} s of CPU time used by other processes during the ${wall} s run (at most $(nproc) x ${wall} s)"

python3 - <<'PY'
"""Turns criterion's estimates and the Go program's line into one table."""
import json
import os
import statistics
import sys
from pathlib import Path

JOBS = 1_000_000  # as in core/benches/pool.rs and bench/go/pool/main.go
RUST = [
    ("brigade", "brigade `Pool`"),
    ("brigade-chan", "brigade channels, Go's pool by hand"),
    ("brigade-chan-sized", "the same, moving pool-sized values"),
    ("crossbeam-chan-sized", "the same on crossbeam-channel"),
    ("rayon", "`rayon::spawn` + counter"),
    ("threadpool", "`threadpool` execute + join"),
]
env = os.environ
work = Path(env["BENCH_WORK"])
rounds = int(env["BENCH_ROUNDS"])
started = Path(env["BENCH_STARTED"]).stat().st_mtime


def round_ns(r):
    """ns per job of every contender in round `r`."""
    out = {}
    for name, _ in RUST:
        est = work / f"round-{r}" / "criterion" / name / "new" / "estimates.json"
        if not est.exists() or est.stat().st_mtime < started:
            sys.exit(f"no fresh criterion result for pool/{name} in round {r} ({est})")
        out[name] = json.loads(est.read_text())["median"]["point_estimate"] / JOBS
    for line in (work / f"round-{r}" / "go.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split()
            out[name] = float(value)
    for name in ("go-pool", "go-pool-sized", "go-pool-outcome"):
        if name not in out:
            sys.exit(f"no {name} result in round {r}")
    return out


per_round = [round_ns(r) for r in range(1, rounds + 1)]
ns = {k: statistics.median(rr[k] for rr in per_round) for k in per_round[0]}

labels = dict(RUST) | {
    "go-pool": "Go: goroutines + buffered channel + WaitGroup",
    "go-pool-sized": "the same Go pool moving pool-sized values",
    "go-pool-outcome": "the same Go pool reporting an outcome per job",
}
order = [
    "brigade",
    "go-pool",
    "go-pool-sized",
    "go-pool-outcome",
    "rayon",
    "threadpool",
    "brigade-chan",
    "brigade-chan-sized",
    "crossbeam-chan-sized",
]
# brigade's time over each contender's: of the medians, and in each round.
vs = {k: ns["brigade"] / ns[k] for k in order}
each = {k: [rr["brigade"] / rr[k] for rr in per_round] for k in order}
rows = [
    f"| {labels[k]} | {ns[k]:.1f} | {' / '.join(f'{rr[k]:.0f}' for rr in per_round)} "
    f"| {vs[k]:.2f}x |"
    for k in order
]

vs_go = vs["go-pool"]
vs_rayon = vs["rayon"]
goals = [
    ("at or below Go's per-job overhead (brigade/Go <= 1.00x)", vs_go <= 1.0, vs_go),
    ("within 1.5x of rayon (brigade/rayon <= 1.50x)", vs_rayon <= 1.5, vs_rayon),
]
# The pool taken apart: the same three steps in Go and in brigade.
fastest = min(rr["go-pool-outcome"] for rr in per_round)
slowest = max(rr["go-pool-outcome"] for rr in per_round)
steps = [
    ("Go's pool program, one `u64` each way", "go-pool", "brigade-chan"),
    ("the same moving values as big as the pool's", "go-pool-sized", "brigade-chan-sized"),
    ("the same doing the per-job work of an `Outcome`", "go-pool-outcome", "brigade"),
]
ladder = "\n".join(
    f"| {text} | {ns[go]:.1f} | {ns[br]:.1f} | {ns[br] / ns[go]:.2f}x |" for text, go, br in steps
)
cb_sized, chan_sized = ns["crossbeam-chan-sized"], ns["brigade-chan-sized"]
where = f"""## Where the pool's time goes

The pool is Go's program plus two things: bigger values (a 4-word task in and
a 14-word `Outcome` out, where the program moves one `u64` each way) and the
work per job that fills the `Outcome`. Each step, in Go and in brigade
(medians of the rounds, ns per job; the Rust rows of the first two steps are
the program written with `brigade::chan`, the last is the `Pool`):

| step | Go | brigade | brigade / Go |
|---|---:|---:|---:|
{ladder}

- The Go pool reporting outcomes stamps each job with an id and
  `time.Now()`; a worker reads the clock at the start and the end, checks
  the pool's `context`, calls the handler through a `recover`, counts the
  outcome in its own counters and sends a struct with the job, value, error,
  attempts, both times and its index. It keeps no time distributions, which
  the `Pool` does (two histograms per job). Its rounds ran from
  {fastest:.0f} to {slowest:.0f} ns per job (`onceOutcome` in
  `bench/go/pool/main.go` on that spread); the `Pool` takes
  {ns["brigade"] / fastest:.2f}x the fastest of them.
- The sized program on crossbeam-channel: {cb_sized:.1f}, {cb_sized - chan_sized:+.1f} against
  brigade's channels. Both libraries move these values without a lock (a
  ring for the jobs, a list of blocks for the results): two implementations
  of one design.
"""

goal_lines = [
    f"- {text}: {'met' if ok else 'missed'} ({ratio:.2f}x)" for text, ok, ratio in goals
]

out = f"""# Worker pool per-job overhead: brigade vs Go, rayon and threadpool

Generated by `bench/pool.sh`; do not edit by hand.

- machine: {env['BENCH_NPROC']} cores, {env['BENCH_CPU']}
- other load: {env['BENCH_NOISE']}
- rustc: {env['BENCH_RUSTC']}
- go: {env['BENCH_GO_VERSION']}
- commit: {env['BENCH_COMMIT']}
- date: {env['BENCH_DATE']}

Nanoseconds per job ({JOBS} no-op jobs per iteration on 2 workers; lower is
better), in {rounds} rounds; each round runs every contender once, and the
table gives each one's median over the rounds with every round's figure. Within
a round, Rust: criterion's median of 10 samples (`core/benches/pool.rs`); Go:
median of at least 10 repetitions (`bench/go/pool/main.go`, GOMAXPROCS = cores).
The last column is brigade's `Pool` median divided by that row's: above 1 means
brigade's pool is slower. Workers are started before the clock; the clock stops when every
job is done and, where there are results, the last one is received.

- brigade `Pool`: `workers(2).queue(1024)`, handler `Ok(*n)`; the bench thread
  submits, a second thread drains `results()` (one `Outcome` per job); then
  `close()` and `join()`.
- Go: 2 worker goroutines ranging over a jobs channel buffered for 1024, sending
  to a results channel buffered for 1024, closed through a WaitGroup; one
  goroutine feeds the jobs, the main one drains the results.
- The two Go rows under it: the same program moving values as big as the
  pool's, and doing the work per job it takes to report an `Outcome` (below).
- `rayon::spawn`: the global pool with 2 threads; each job bumps a static
  counter, the one reaching {JOBS} wakes the waiting thread (a condvar). No
  results channel.
- `threadpool` 1.8: `ThreadPool::new(2)`, `execute` per job, then `join`. No
  results channel.
- brigade channels, Go's pool by hand: the Go program above written with
  `brigade::chan` and 2 threads; not one of the peers, it tells how much of the
  pool's cost is the channel underneath and how much is what the pool adds (ids,
  contexts, outcomes, metrics). The two rows under it are the same program
  moving values as big as the pool's, on brigade's channels and on
  crossbeam-channel's (below).

On 2 cores, every contender runs 3 or 4 busy threads (submitter, 2 workers and,
where there are results, a drainer), so each row is dominated by OS scheduling
and thread wake-ups and moves from run to run, more so when "other load" above is
high; the rounds' figures show how far, so read a ratio with them.

Goals (from the issue):
{chr(10).join(goal_lines)}

| contender | ns/job, median of rounds | each round | brigade `Pool` / this |
|---|---:|---:|---:|
""" + "\n".join(rows) + "\n\n" + where
Path(env["BENCH_OUT"]).write_text(out)
print(out)

# Row names that fit the chart's margin.
short = {
    "go-pool": "Go channel pool",
    "go-pool-sized": "Go pool, pool-sized values",
    "go-pool-outcome": "Go pool with outcomes",
    "rayon": "rayon::spawn",
    "threadpool": "threadpool",
    "brigade-chan": "Go's pool on brigade chan",
    "brigade-chan-sized": "same, pool-sized values",
    "crossbeam-chan-sized": "same, on crossbeam",
}
plot = {
    "title": "Worker pool: brigade's Pool, time per no-op job ÷ each contender's",
    "subtitle": f"{env['BENCH_NPROC']} cores, {env['BENCH_CPU']}; commit {env['BENCH_COMMIT'][:12]}; "
    f"{env['BENCH_DATE']}; medians of {rounds} rounds",
    "axis": "ratio, log scale: left of 1x brigade's Pool is faster, right of it slower",
    "series": ["brigade's Pool ÷ this row"],
    "rows": [
        {
            "label": short[k],
            "values": [round(vs[k], 4)],
            "rounds": [[round(x, 4) for x in each[k]]],
        }
        for k in order[1:]
    ],
    "goals": [
        {"value": 1.0, "label": "goal: at or below Go"},
        {"value": 1.5, "label": "goal: within 1.5x of rayon"},
    ],
}
Path(env["BENCH_JSON"]).write_text(json.dumps(plot, indent=1, ensure_ascii=False) + "\n")
PY
python3 bench/plot.py bench/results/pool.json bench/results/pool.svg
echo "wrote bench/results/pool.md, pool.json and pool.svg"
