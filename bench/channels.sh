#!/usr/bin/env bash
# Channel benchmarks side by side: brigade, crossbeam-channel and flume (criterion,
# core/benches/channels.rs) and Go's own channels (bench/go/channels.go, on
# goroutines and again locked to OS threads), the same scenarios at the same
# message count. Writes bench/results/channels.md: ns per
# message for each, and the ratios brigade/crossbeam and brigade/Go; the ratios
# also go to channels.json and, drawn by bench/plot.py, to channels.svg.
#
# Usage (from anywhere): bench/channels.sh
# Takes about 15 minutes on a 2-core machine for its 3 rounds (ROUNDS=n to change); best run while nothing else is busy
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
work=$target/bench-channels
mkdir -p "$work" bench/results
touch "$work/started" # criterion results older than this are stale

# Noise check: CPU time the whole machine spent busy during the run, minus what
# this script and everything it ran (and waited for) spent.
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
own_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$$/stat"; }
busy_before=$(busy_ticks)
own_before=$(own_ticks)
wall_before=$(date +%s)

# Every scenario in rounds (bench/rounds.sh); the table gives medians over them.
source "$root/bench/rounds.sh"
run_rounds channels . .

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
export BENCH_OUT="$root/bench/results/channels.md"
export BENCH_JSON="$root/bench/results/channels.json"
export BENCH_NPROC=$(nproc)
export BENCH_CPU=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
export BENCH_RUSTC=$("${rustc[@]}" -V)
export BENCH_GO_VERSION=$(go version)
export BENCH_COMMIT="$(git rev-parse HEAD)$dirty"
export BENCH_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
export BENCH_NOISE="${others} s of CPU time used by other processes during the ${wall} s run (at most $(nproc) x ${wall} s)"

python3 - <<'PY'
"""Turns criterion's estimates and the Go program's lines into one table."""
import json
import os
import statistics
import sys
from pathlib import Path

MESSAGES = 20_000  # as in core/benches/channels.rs and bench/go/channels.go
LIBS = ["brigade", "crossbeam", "flume"]
SCENARIOS = [
    ("seq", ["1", "64", "unbounded"]),
    ("spsc", ["0", "1", "64", "unbounded"]),
    ("mpsc", ["0", "1", "64", "unbounded"]),
    ("mpmc", ["0", "1", "64", "unbounded"]),
    ("select", ["0", "1", "64", "unbounded"]),
]
env = os.environ
work = Path(env["BENCH_WORK"])
ROUNDS = range(1, int(env["BENCH_ROUNDS"]) + 1)
started = Path(env["BENCH_STARTED"]).stat().st_mtime


def criterion_ns(r, *bench):
    """ns per message of one criterion benchmark in round `r`."""
    est = work / f"round-{r}" / "criterion" / Path(*bench) / "new" / "estimates.json"
    if not est.exists() or est.stat().st_mtime < started:
        sys.exit(f"no fresh criterion result for {'/'.join(bench)} in round {r} ({est})")
    return json.loads(est.read_text())["median"]["point_estimate"] / MESSAGES


def go_round(r):
    out = {}
    for line in (work / f"round-{r}" / "go.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            scenario, cap, ns = line.split()
            out[(scenario, cap)] = float(ns)
    return out


go_rounds = [go_round(r) for r in ROUNDS]


def goal(scenario, cap, vs_crossbeam, vs_go):
    missed = []
    if scenario in ("spsc", "mpmc") and cap != "unbounded" and vs_crossbeam > 1.3:
        missed.append("crossbeam")
    if vs_go > 1.0:
        missed.append("Go")
    return "ok" if not missed else "missed: " + ", ".join(missed)


def floor_ns(name):
    return statistics.median(criterion_ns(r, "handoff", name) for r in ROUNDS)


park, spin, yld = floor_ns("park"), floor_ns("spin"), floor_ns("yield")

# Go's channels with each goroutine locked to an OS thread, beside brigade's.
threads_rows = []
for scenario, caps in SCENARIOS[1:]:
    for cap in caps:
        key = (f"{scenario}-threads", cap)
        if any(key not in go for go in go_rounds):
            sys.exit(f"no Go result for {scenario}-threads {cap} in some round")
        on_threads = statistics.median(go[key] for go in go_rounds)
        on_goroutines = statistics.median(go[(scenario, cap)] for go in go_rounds)
        ours = statistics.median(criterion_ns(r, scenario, "brigade", cap) for r in ROUNDS)
        threads_rows.append(
            f"| {scenario} | {cap} | {on_goroutines:.1f} | {on_threads:.1f} "
            f"| {on_threads / on_goroutines:.1f}x | {ours:.1f} | {ours / on_threads:.2f}x |"
        )
go_spsc1 = statistics.median(go[("spsc", "1")] for go in go_rounds)

PEERS = ["crossbeam", "flume", "go"]
rows = []
plot_rows = []
misses = []
for scenario, caps in SCENARIOS:
    for cap in caps:
        per_round = []
        for r, go in zip(ROUNDS, go_rounds):
            if (scenario, cap) not in go:
                sys.exit(f"no Go result for {scenario} {cap} in round {r}")
            ns = {lib: criterion_ns(r, scenario, lib, cap) for lib in LIBS}
            per_round.append(ns | {"go": go[(scenario, cap)]})
        ns = {k: statistics.median(rr[k] for rr in per_round) for k in per_round[0]}
        # brigade's time over each peer's: of the medians, and in each round.
        vs = {p: ns["brigade"] / ns[p] for p in PEERS}
        each = {p: [rr["brigade"] / rr[p] for rr in per_round] for p in PEERS}
        plot_rows.append({
            "label": f"{scenario}/{cap}",
            "values": [round(vs[p], 4) for p in PEERS],
            "rounds": [[round(x, 4) for x in each[p]] for p in PEERS],
        })
        vs_cb, vs_go = vs["crossbeam"], vs["go"]
        each_cb = " / ".join(f"{x:.2f}" for x in each["crossbeam"])
        each_go = " / ".join(f"{x:.2f}" for x in each["go"])
        verdict = goal(scenario, cap, vs_cb, vs_go)
        if verdict != "ok":
            misses.append(f"{scenario}/{cap}")
        rows.append(
            f"| {scenario} | {cap} | {ns['brigade']:.1f} | {ns['crossbeam']:.1f} "
            f"| {ns['flume']:.1f} | {ns['go']:.1f} | {vs_cb:.2f}x ({each_cb}) "
            f"| {vs_go:.2f}x ({each_go}) | {verdict} |"
        )

out = f"""# Channel benchmarks: brigade vs crossbeam-channel, flume and Go

Generated by `bench/channels.sh`; do not edit by hand.

- machine: {env['BENCH_NPROC']} cores, {env['BENCH_CPU']}
- other load: {env['BENCH_NOISE']}
- rustc: {env['BENCH_RUSTC']}
- go: {env['BENCH_GO_VERSION']}
- commit: {env['BENCH_COMMIT']}
- date: {env['BENCH_DATE']}

Nanoseconds per message ({MESSAGES} `u64` values per iteration; lower is better),
in {len(ROUNDS)} rounds; each round runs every scenario once, and each figure is
its median over the rounds. Within a round, Rust: criterion's median of 10
samples (`core/benches/channels.rs`); Go: median of at least 10 repetitions
(`bench/go/channels.go`, GOMAXPROCS = cores). Ratios are of the medians, with each
round's own ratio in brackets; above 1 means brigade is slower. Producers and consumers are OS threads in Rust and
goroutines in Go; in both, the clock runs from their release until the last one is
done, so start-up is not counted.

Scenarios: `seq` one thread sends a batch (the buffer's size; all values when
unbounded) then receives it; `spsc` 1 producer, 1 consumer; `mpsc` 4 producers,
1 consumer; `mpmc` 4 producers, 4 consumers; `select` 4 producers each feeding its
own channel, 1 consumer receiving through a select over the 4. Capacity 0 is a
rendezvous. Go has no unbounded channel: there "unbounded" is a channel buffered
for all {MESSAGES} values, so its senders never wait either.

On 2 cores, the threaded rows at capacity 0 and 1 are dominated by OS thread
wake-ups and move a lot from run to run (two runs here differed several-fold for
some of them, e.g. crossbeam's `mpmc`/1); the rounds' ratios in brackets show how
far.

Goal: brigade within 1.3x of crossbeam-channel on bounded `spsc`/`mpmc`
(capacity 0, 1, 64), and not slower than Go anywhere.

| scenario | cap | brigade | crossbeam | flume | Go | brigade/crossbeam | brigade/Go | goal |
|---|---|---:|---:|---:|---:|---:|---:|---|
""" + "\n".join(rows) + f"""

Goal met in {len(rows) - len(misses)} of {len(rows)} rows; missed in: {", ".join(misses) or "none"}.

## This machine's floor for a message between OS threads

No channel involved (`handoff` in `core/benches/channels.rs`): threads pass a
turn around a ring {MESSAGES} times, each waiting for its turn; one pass is one
message.

| threads | how the one whose turn it is waits | ns per pass |
|---:|---|---:|
| 2 | `thread::park`, woken by `unpark` (a futex sleep and wake) | {park:.1f} |
| 2 | spinning on the flag (each thread has a core) | {spin:.1f} |
| {2 * int(env['BENCH_NPROC'])} | `yield_now` (twice as many threads as cores) | {yld:.1f} |

What the rows above can and cannot reach follows from these. A message that
has to wake a sleeping thread costs the first line. With more threads than cores
(`mpsc`, `mpmc` and `select` run 5 to 8 threads on {env['BENCH_NPROC']} cores), a
message that needs a particular thread to run costs a switch between threads
sharing a core, the third line: several times Go's time per message in those
rows, because Go switches between goroutines without entering the kernel, on
one OS thread, with the value still in that core's cache. In those rows the
time goes to such switches, for every channel built on OS threads
(crossbeam-channel and flume included): a channel's code decides how often a
message needs one, not what one costs.

With no more threads than cores (`spsc`), two threads that each wait by spinning
pass a turn in {spin:.0f} ns (the second line), {"less" if spin < go_spsc1 else "more"} than Go's
{go_spsc1:.0f} ns per message at `spsc`/1 (a rendezvous takes two passes).
brigade's waits spin only briefly: a plain send or receive on a buffer of 4
or more (64 here) or an unbounded channel yields and tries again 4 times
before it registers as a waiter; a registered wait watches its signal for
500 ns, about what an idle yield costs, then yields 10 times before it
parks. Where a thread has its core to itself a yield returns at once, so
this is a short spin that still hands the core over where another thread
wants it. Longer spins, tried four ways, made threaded rows slower on this
machine kind and the Go select stress tests up to 30 times slower, because
a spinning thread holds the core its peer needs (`core/src/chan/README.md`,
"Waiting: half a microsecond of spin, then yield"); a channel cannot tell
how many threads compete for the cores.

## Go's channels on OS threads

The same Go program with each producer and consumer locked to an OS thread of
its own (`runtime.LockOSThread`): a goroutine that waits then puts its thread
to sleep, and waking it means waking that thread, as with brigade's threads.
Go's channel code is unchanged; only the switches between goroutines in user
space are gone. (Go's runtime also hands its scheduler's slot from the sleeping
thread to the woken one, so this is not the best a channel can do on threads:
it is Go's channels without goroutines.)

| scenario | cap | Go, goroutines | Go, locked to threads | threads ÷ goroutines | brigade | brigade ÷ Go on threads |
|---|---|---:|---:|---:|---:|---:|
""" + "\n".join(threads_rows) + """
"""
Path(env["BENCH_OUT"]).write_text(out)
print(out)

plot = {
    "title": "Channels: brigade's time per message ÷ each peer's",
    "subtitle": f"{env['BENCH_NPROC']} cores, {env['BENCH_CPU']}; commit {env['BENCH_COMMIT'][:12]}; "
    f"{env['BENCH_DATE']}; medians of {len(ROUNDS)} rounds",
    "axis": "ratio, log scale: left of 1x brigade is faster, right of it slower",
    "series": ["÷ crossbeam-channel", "÷ flume", "÷ Go"],
    "rows": plot_rows,
    "goals": [
        {"value": 1.3, "series": 0, "label": "goal: 1.3x crossbeam-channel (bounded spsc, mpmc)"},
        {"value": 1.0, "series": 2, "label": "goal: not slower than Go (every row)"},
    ],
}
Path(env["BENCH_JSON"]).write_text(json.dumps(plot, indent=1, ensure_ascii=False) + "\n")
PY
python3 bench/plot.py bench/results/channels.json bench/results/channels.svg
echo "wrote bench/results/channels.md, channels.json and channels.svg"
