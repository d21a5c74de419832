#!/usr/bin/env python3
"""Writes a benchmark's results: bench/report.py channels|pool|scaling|browser|wasm|redis WORK_DIR

bench/run.sh measures, leaves what it measured in WORK_DIR, then calls this to
write bench/results/<name>.md (the tables), <name>.json (the ratios) and
<name>.svg (their chart, drawn by bench/plot.py). WORK_DIR holds:

- meta.json, from bench/run.sh: machine, toolchains, commit, uncommitted
  paths, date, and the CPU ticks the machine and the run used;
- channels and pool: `started`, a stamp touched before the first round, and
  per round round-<n>/criterion/<group>/<id>/new/estimates.json (criterion's
  files with their times) and round-<n>/go.txt (the Go program's lines);
- browser: raw.json, from bench/browser.mjs --raw: every run's figures, the
  options and the versions it knows;
- redis: `started` and per round results-<n>.jsonl (one JSON line per
  measurement, {engine, scenario, jobs, seconds, jobs_per_s}), and
  redis-version.txt.

Each area also writes <name>.rows.json: its rows of the summary (one per
comparison of brigade with a peer) and its run's record. `bench/report.py
summary` gathers them into summary.json and summary.md, and `bench/report.py
readme` writes README.md's performance section from them (bench/summary.py).

Standard library only. `--results DIR` writes there instead of bench/results.
"""

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plot  # noqa: E402  (bench/plot.py, beside this file)

RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent.parent / "README.md"  # bench/summary.py writes its section


class ReportError(Exception):
    """A result that is missing, stale or malformed; the report is not written."""


# --- inputs -----------------------------------------------------------------------


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ReportError(f"{path} is missing") from None
    except json.JSONDecodeError as e:
        raise ReportError(f"{path} is not JSON: {e}") from None


def started_at(work):
    """When the run began: criterion results older than this are stale."""
    stamp = Path(work) / "started"
    if not stamp.exists():
        raise ReportError(f"{stamp} is missing (bench/run.sh touches it before the first round)")
    return stamp.stat().st_mtime


def criterion_ns(work, r, started, per_iteration, *bench):
    """ns per message or job of criterion benchmark `bench` (group, id...) in round `r`.

    criterion keeps an old estimates.json when a benchmark fails or is skipped,
    so one written before the run began is refused rather than reported."""
    est = Path(work) / f"round-{r}" / "criterion" / Path(*bench) / "new" / "estimates.json"
    if not est.exists() or est.stat().st_mtime < started:
        raise ReportError(f"no fresh criterion result for {'/'.join(bench)} in round {r} ({est})")
    return load_json(est)["median"]["point_estimate"] / per_iteration


def go_results(work, r):
    """Round `r`'s Go lines, "<key words...> <ns>", as {(key words...): ns}; `#` lines are comments."""
    path = Path(work) / f"round-{r}" / "go.txt"
    if not path.exists():
        raise ReportError(f"no Go results in round {r} ({path})")
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        *key, value = line.split()
        try:
            out[tuple(key)] = float(value)
        except ValueError:
            raise ReportError(f"{path}:{n}: not '<name> <ns>': {line!r}") from None
    return out


def median(xs):
    return statistics.median(xs)


def four_digits(x):
    return float(f"{x:.4g}")


def figure(x):
    """A figure as the summary prints it: whole numbers with separators, else 3 significant digits."""
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


# --- a row of the summary ---------------------------------------------------------

# The floor under a threaded channel row: two threads passing a turn with
# park/unpark, no channel (`handoff` in core/benches/channels.rs).
FLOOR_PEER = "hand-off floor (thread park/unpark, no channel)"


def higher_is_better(unit):
    """Rates (jobs/s) and speed-ups (x) are better higher; times and sizes lower."""
    return unit.endswith("/s") or unit == "x"


def summary_row(scenario, metric, unit, ours, peer, peer_value):
    """One comparison: `ratio` is how many times better brigade is (peer ÷ ours
    for times and sizes, ours ÷ peer for rates), so above 1 brigade wins."""
    if ours <= 0 or peer_value <= 0:
        raise ReportError(f"{scenario}: {metric}: figures must be positive (ours {ours}, {peer} {peer_value})")
    ratio = ours / peer_value if higher_is_better(unit) else peer_value / ours
    return {
        "scenario": scenario,
        "metric": metric,
        "unit": unit,
        "ours": exact_or_four_digits(ours),
        "peer": peer,
        "peer_value": exact_or_four_digits(peer_value),
        "ratio": float(f"{ratio:.3g}"),
    }


def exact_or_four_digits(x):
    """Whole numbers (sizes in bytes) as they are; measurements to 4 significant digits."""
    return x if isinstance(x, int) else four_digits(x)


def run_record(area, meta, **more):
    """What the summary says about the run that measured `area`."""
    record = {
        "area": area,
        "machine": f"{meta['nproc']} cores, {meta['cpu']}",
        "load_average": meta["load_average"],
        "other_load": other_load(meta, more.pop("own_ticks", None)),
        "rustc": meta["rustc"],
        "go": meta.get("go"),
        "node": meta.get("node"),
        "commit": commit_line(meta),
        "date": meta["date"],
        "rounds": meta["rounds"],
        "quick": bool(meta.get("quick")),
    }
    for key in ("rustc_wasm", "wasm_opt"):
        if meta.get(key):
            record[key] = meta[key]
    return record | more


# --- the header every report starts with -------------------------------------------


def commit_line(meta):
    dirty = meta.get("dirty") or []
    return meta["commit"] + (f" with uncommitted changes to: {', '.join(dirty)}" if dirty else "")


def other_load(meta, own_ticks=None):
    """CPU time the machine spent busy during the run less the run's own.

    bench/run.sh counts its own as what it and everything it waited for used;
    `own_ticks` is a larger count where the run knows one (processes that
    outlived their parent and were never counted there)."""
    own = max(meta["own_ticks"], own_ticks or 0)
    others = max(0, meta["busy_ticks"] - own) / meta["clk_tck"]
    wall = meta["wall_s"]
    return (
        f"{others:.0f} s of CPU time used by other processes during the {wall:.0f} s run "
        f"(at most {meta['nproc']} x {wall:.0f} s)"
    )


def header(title, generated, meta, lines):
    """The title, how the file was made, and the run's machine, load and versions."""
    return "\n".join(
        [
            f"# {title}",
            "",
            generated,
            "",
            f"- machine: {meta['nproc']} cores, {meta['cpu']}",
            *lines,
            f"- date: {meta['date']}",
        ]
    )


def rust_go_lines(meta):
    return [
        f"- other load: {other_load(meta)}",
        f"- rustc: {meta['rustc']}",
        f"- go: {meta['go']}",
        f"- commit: {commit_line(meta)}",
    ]


def subtitle(meta, rounds):
    return (
        f"{meta['nproc']} cores, {meta['cpu']}; commit {commit_line(meta)[:12]}; "
        f"{meta['date']}; medians of {rounds} rounds"
    )


# --- channels -----------------------------------------------------------------------

MESSAGES = 20_000  # as in core/benches/channels.rs and bench/go/channels.go
CHANNEL_LIBS = ["brigade", "crossbeam", "flume", "std"]
CHANNEL_PEERS = ["crossbeam", "flume", "go"]
# std::sync::mpsc has one receiver and no select: it runs these scenarios only.
STD_SCENARIOS = ("seq", "spsc", "mpsc")
CHANNEL_PEER_NAMES = {
    "crossbeam": "crossbeam-channel",
    "flume": "flume",
    "std": "std::sync::mpsc",
    "go": "Go (goroutines)",
}


def channel_libs(scenario):
    """The Rust libraries criterion measured in `scenario`."""
    return [lib for lib in CHANNEL_LIBS if lib != "std" or scenario in STD_SCENARIOS]
SCENARIOS = [
    ("seq", ["1", "64", "unbounded"]),
    ("spsc", ["0", "1", "64", "unbounded"]),
    ("mpsc", ["0", "1", "64", "unbounded"]),
    ("mpmc", ["0", "1", "64", "unbounded"]),
    ("select", ["0", "1", "64", "unbounded"]),
]


def channel_goal(scenario, cap, vs_crossbeam, vs_go):
    """"ok", or which goal a row misses: 1.3x crossbeam on bounded spsc/mpmc, Go everywhere."""
    missed = []
    if scenario in ("spsc", "mpmc") and cap != "unbounded" and vs_crossbeam > 1.3:
        missed.append("crossbeam")
    if vs_go > 1.0:
        missed.append("Go")
    return "ok" if not missed else "missed: " + ", ".join(missed)


def channels_report(work, meta, summary=None):
    """The channel tables (markdown) and their ratios for the chart; appends the
    summary's rows to `summary` where given."""
    rounds = range(1, int(meta["rounds"]) + 1)
    started = started_at(work)
    go_rounds = [go_results(work, r) for r in rounds]

    def ns(r, *bench):
        return criterion_ns(work, r, started, MESSAGES, *bench)

    def floor_ns(name):
        return median(ns(r, "handoff", name) for r in rounds)

    park, spin, yld = floor_ns("park"), floor_ns("spin"), floor_ns("yield")

    # Go's channels with each goroutine locked to an OS thread, beside brigade's.
    threads_rows = []
    go_threads = {}
    for scenario, caps in SCENARIOS[1:]:
        for cap in caps:
            key = (f"{scenario}-threads", cap)
            for r, go in zip(rounds, go_rounds):
                if key not in go or (scenario, cap) not in go:
                    raise ReportError(f"no Go result for {scenario}-threads {cap} in round {r}")
            on_threads = median(go[key] for go in go_rounds)
            on_goroutines = median(go[(scenario, cap)] for go in go_rounds)
            ours = median(ns(r, scenario, "brigade", cap) for r in rounds)
            go_threads[(scenario, cap)] = on_threads
            threads_rows.append(
                f"| {scenario} | {cap} | {on_goroutines:.1f} | {on_threads:.1f} "
                f"| {on_threads / on_goroutines:.1f}x | {ours:.1f} | {ours / on_threads:.2f}x |"
            )
    go_spsc1 = median(go[("spsc", "1")] for go in go_rounds)

    rows = []
    plot_rows = []
    misses = []
    for scenario, caps in SCENARIOS:
        for cap in caps:
            per_round = []
            for r, go in zip(rounds, go_rounds):
                if (scenario, cap) not in go:
                    raise ReportError(f"no Go result for {scenario} {cap} in round {r}")
                each_lib = {lib: ns(r, scenario, lib, cap) for lib in channel_libs(scenario)}
                per_round.append(each_lib | {"go": go[(scenario, cap)]})
            mid = {k: median(rr[k] for rr in per_round) for k in per_round[0]}
            # brigade's time over each peer's: of the medians, and in each round.
            vs = {p: mid["brigade"] / mid[p] for p in CHANNEL_PEERS}
            each = {p: [rr["brigade"] / rr[p] for rr in per_round] for p in CHANNEL_PEERS}
            plot_rows.append(
                {
                    "label": f"{scenario}/{cap}",
                    "values": [round(vs[p], 4) for p in CHANNEL_PEERS],
                    "rounds": [[round(x, 4) for x in each[p]] for p in CHANNEL_PEERS],
                }
            )
            each_cb = " / ".join(f"{x:.2f}" for x in each["crossbeam"])
            each_go = " / ".join(f"{x:.2f}" for x in each["go"])
            verdict = channel_goal(scenario, cap, vs["crossbeam"], vs["go"])
            if verdict != "ok":
                misses.append(f"{scenario}/{cap}")
            std = f"{mid['std']:.1f}" if "std" in mid else ""
            rows.append(
                f"| {scenario} | {cap} | {mid['brigade']:.1f} | {mid['crossbeam']:.1f} "
                f"| {mid['flume']:.1f} | {std} | {mid['go']:.1f} | {vs['crossbeam']:.2f}x ({each_cb}) "
                f"| {vs['go']:.2f}x ({each_go}) | {verdict} |"
            )
            if summary is not None:
                name = f"channels {scenario}, capacity {cap}"
                for peer in ("crossbeam", "flume", "std", "go"):
                    if peer in mid:
                        summary.append(
                            summary_row(name, "time per message", "ns", mid["brigade"], CHANNEL_PEER_NAMES[peer], mid[peer])
                        )
                if scenario != "seq":
                    summary.append(
                        summary_row(
                            name, "time per message", "ns", mid["brigade"], "Go (goroutines locked to OS threads)",
                            go_threads[(scenario, cap)],
                        )
                    )
                    summary.append(
                        summary_row(name, "time per message", "ns", mid["brigade"], FLOOR_PEER, park)
                    )

    nproc = int(meta["nproc"])
    top = header(
        "Channel benchmarks: brigade vs crossbeam-channel, flume, std::sync::mpsc and Go",
        "Generated by `bench/run.sh channels`; do not edit by hand.",
        meta,
        rust_go_lines(meta),
    )
    md = (
        top
        + f"""

Nanoseconds per message ({MESSAGES} `u64` values per iteration; lower is better),
in {len(rounds)} rounds; each round runs every scenario once, and each figure is
its median over the rounds. `std::sync::mpsc` runs only the scenarios with one
consumer (its receiver cannot be shared and it has no select). Within a round, Rust: criterion's median of 10
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

| scenario | cap | brigade | crossbeam | flume | std mpsc | Go | brigade/crossbeam | brigade/Go | goal |
|---|---|---:|---:|---:|---:|---:|---:|---:|---|
"""
        + "\n".join(rows)
        + f"""

Goal met in {len(rows) - len(misses)} of {len(rows)} rows; missed in: {", ".join(misses) or "none"}.

## This machine's floor for a message between OS threads

No channel involved (`handoff` in `core/benches/channels.rs`): threads pass a
turn around a ring {MESSAGES} times, each waiting for its turn; one pass is one
message.

| threads | how the one whose turn it is waits | ns per pass |
|---:|---|---:|
| 2 | `thread::park`, woken by `unpark` (a futex sleep and wake) | {park:.1f} |
| 2 | spinning on the flag (each thread has a core) | {spin:.1f} |
| {2 * nproc} | `yield_now` (twice as many threads as cores) | {yld:.1f} |

What the rows above can and cannot reach follows from these. A message that
has to wake a sleeping thread costs the first line. With more threads than cores
(`mpsc`, `mpmc` and `select` run 5 to 8 threads on {nproc} cores), a
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
"""
        + "\n".join(threads_rows)
        + "\n"
    )
    chart = {
        "title": "Channels: brigade's time per message ÷ each peer's",
        "subtitle": subtitle(meta, len(rounds)),
        "axis": "ratio, log scale: left of 1x brigade is faster, right of it slower",
        "series": ["÷ crossbeam-channel", "÷ flume", "÷ Go"],
        "rows": plot_rows,
        "goals": [
            {"value": 1.3, "series": 0, "label": "goal: 1.3x crossbeam-channel (bounded spsc, mpmc)"},
            {"value": 1.0, "series": 2, "label": "goal: not slower than Go (every row)"},
        ],
    }
    return md, chart


# --- pool ---------------------------------------------------------------------------

JOBS = 1_000_000  # as in core/benches/pool.rs and bench/go/pool/main.go
POOL_RUST = [
    ("brigade", "brigade `Pool`"),
    ("brigade-chan", "brigade channels, Go's pool by hand"),
    ("brigade-chan-sized", "the same, moving pool-sized values"),
    ("crossbeam-chan-sized", "the same on crossbeam-channel"),
    ("rayon", "`rayon::spawn` + counter"),
    ("threadpool", "`threadpool` execute + join"),
    ("tokio-blocking", "`tokio::task::spawn_blocking` + counter"),
]
POOL_GO = [
    ("go-pool", "Go: goroutines + buffered channel + WaitGroup"),
    ("go-pool-sized", "the same Go pool moving pool-sized values"),
    ("go-pool-outcome", "the same Go pool reporting an outcome per job"),
]
POOL_ORDER = [
    "brigade",
    "go-pool",
    "go-pool-sized",
    "go-pool-outcome",
    "rayon",
    "threadpool",
    "tokio-blocking",
    "brigade-chan",
    "brigade-chan-sized",
    "crossbeam-chan-sized",
]
# Row names that fit the chart's margin.
POOL_SHORT = {
    "go-pool": "Go channel pool",
    "go-pool-sized": "Go pool, pool-sized values",
    "go-pool-outcome": "Go pool with outcomes",
    "rayon": "rayon::spawn",
    "threadpool": "threadpool",
    "tokio-blocking": "tokio spawn_blocking",
    "brigade-chan": "Go's pool on brigade chan",
    "brigade-chan-sized": "same, pool-sized values",
    "crossbeam-chan-sized": "same, on crossbeam",
}


def pool_round(work, r, started):
    """ns per job of every contender in round `r`."""
    out = {name: criterion_ns(work, r, started, JOBS, "pool", name) for name, _ in POOL_RUST}
    go = go_results(work, r)
    for name, _ in POOL_GO:
        if (name,) not in go:
            raise ReportError(f"no {name} result in round {r}")
        out[name] = go[(name,)]
    return out


def pool_goals(vs_go, vs_rayon):
    """(text, met, ratio) for each of the issue's goals."""
    return [
        ("at or below Go's per-job overhead (brigade/Go <= 1.00x)", vs_go <= 1.0, vs_go),
        ("within 1.5x of rayon (brigade/rayon <= 1.50x)", vs_rayon <= 1.5, vs_rayon),
    ]


# The pool's peers in the summary, by their names there.
POOL_PEERS = {
    "go-pool": "Go channel pool (goroutines)",
    "go-pool-outcome": "Go channel pool reporting outcomes",
    "rayon": "rayon::spawn",
    "threadpool": "threadpool",
    "tokio-blocking": "tokio::task::spawn_blocking",
}


def pool_report(work, meta, summary=None):
    """The pool table (markdown) and its ratios for the chart; appends the
    summary's rows to `summary` where given."""
    rounds = int(meta["rounds"])
    started = started_at(work)
    per_round = [pool_round(work, r, started) for r in range(1, rounds + 1)]
    ns = {k: median(rr[k] for rr in per_round) for k in POOL_ORDER}
    labels = dict(POOL_RUST) | dict(POOL_GO)
    # brigade's time over each contender's: of the medians, and in each round.
    vs = {k: ns["brigade"] / ns[k] for k in POOL_ORDER}
    each = {k: [rr["brigade"] / rr[k] for rr in per_round] for k in POOL_ORDER}
    rows = [
        f"| {labels[k]} | {ns[k]:.1f} | {' / '.join(f'{rr[k]:.0f}' for rr in per_round)} "
        f"| {vs[k]:.2f}x |"
        for k in POOL_ORDER
    ]
    if summary is not None:
        for k, peer in POOL_PEERS.items():
            summary.append(
                summary_row(
                    "pool, 1,000,000 no-op jobs on 2 workers", "time per job", "ns", ns["brigade"], peer, ns[k]
                )
            )
    goal_lines = [
        f"- {text}: {'met' if ok else 'missed'} ({ratio:.2f}x)"
        for text, ok, ratio in pool_goals(vs["go-pool"], vs["rayon"])
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

    top = header(
        "Worker pool per-job overhead: brigade vs Go, rayon, threadpool and tokio",
        "Generated by `bench/run.sh pool`; do not edit by hand.",
        meta,
        rust_go_lines(meta),
    )
    md = (
        top
        + f"""

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
- `tokio::task::spawn_blocking`: a runtime whose blocking pool has at most 2
  threads; each job bumps a counter, the one reaching {JOBS} wakes the waiting
  thread, as for rayon. No results channel.
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
"""
        + "\n".join(rows)
        + "\n\n"
        + where
    )
    chart = {
        "title": "Worker pool: brigade's Pool, time per no-op job ÷ each contender's",
        "subtitle": subtitle(meta, rounds),
        "axis": "ratio, log scale: left of 1x brigade's Pool is faster, right of it slower",
        "series": ["brigade's Pool ÷ this row"],
        "rows": [
            {
                "label": POOL_SHORT[k],
                "values": [round(vs[k], 4)],
                "rounds": [[round(x, 4) for x in each[k]]],
            }
            for k in POOL_ORDER[1:]
        ],
        "goals": [
            {"value": 1.0, "label": "goal: at or below Go"},
            {"value": 1.5, "label": "goal: within 1.5x of rayon"},
        ],
    }
    return md, chart


# --- browser ------------------------------------------------------------------------

BROWSER_ROWS = [
    ("brigade-submit", "brigade: awaited `submit` + `results()`"),
    ("brigade-trysubmit", "brigade: `trySubmit` (awaited `submit` when full) + `results()`"),
    ("brigade-run", "brigade: `Promise.all` of `run` (latency: awaited `run`)"),
    ("workerpool", "workerpool: `exec`"),
    ("comlink", "Comlink, round-robin over the workers"),
    ("postmessage", "bare `postMessage` echo, round-robin (not a pool)"),
    ("shared-async", "shared-memory echo, `Atomics.waitAsync` on both sides (not a pool)"),
    ("shared-blocking", "shared-memory echo, worker blocks in `Atomics.wait` (not a pool)"),
]
BROWSER_GOAL_LABELS = {
    "brigade-submit": "awaited `submit` + `results()`",
    "brigade-trysubmit": "`trySubmit` + `results()`",
    "brigade-run": "`Promise.all` of `run`",
}
NOTES = "## Reading the results"


def ratio_text(x):
    return f"{x:.1f}x" if x >= 10 else f"{x:.2f}x"


def whole(x):
    """Rounded half up with thousands separators, as JavaScript's en-US locale writes it."""
    return "" if x is None else f"{math.floor(x + 0.5):,}"


def micros(x):
    return "" if x is None else f"{x:.0f}"


def browser_table(r):
    """One run's (or the medians') table: throughput against workerpool, latency against postMessage."""
    wp = (r["throughput"].get("workerpool") or {}).get("perSecond")
    pm = r["latency"].get("postmessage")
    lines = [
        "| contender | jobs/s | / workerpool | p50 µs | p99 µs | p50 / postMessage | p99 / postMessage |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in BROWSER_ROWS:
        t = r["throughput"].get(key)
        lat = r["latency"].get(key)
        if not t and not lat:
            continue
        per_s = t["perSecond"] if t else None
        lines.append(
            f"| {label} | {whole(per_s)} | {ratio_text(per_s / wp) if t and wp else ''} "
            f"| {micros(lat and lat['p50'])} | {micros(lat and lat['p99'])} "
            f"| {ratio_text(lat['p50'] / pm['p50']) if lat and pm else ''} "
            f"| {ratio_text(lat['p99'] / pm['p99']) if lat and pm else ''} |"
        )
    return "\n".join(lines)


def browser_medians(runs):
    """Each metric's median over the runs, shaped like one run."""
    out = {"throughput": {}, "latency": {}}
    for part in out:
        for key, metrics in runs[0][part].items():
            for i, run in enumerate(runs, 1):
                if key not in run[part]:
                    raise ReportError(f"run {i} has no {part} result for {key}")
            out[part][key] = {m: median(run[part][key][m] for run in runs) for m in metrics}
    return out


def browser_goals(m):
    """The issue's goals on `m`, one markdown line each."""
    wp = (m["throughput"].get("workerpool") or {}).get("perSecond")
    pm = m["latency"].get("postmessage")
    lines = []
    if wp:
        for key in ("brigade-submit", "brigade-trysubmit", "brigade-run"):
            t = m["throughput"].get(key)
            if not t:
                continue
            x = t["perSecond"] / wp
            lines.append(
                f"- at least 10x workerpool's throughput, {BROWSER_GOAL_LABELS[key]}: "
                f"{'met' if x >= 10 else 'missed'} ({ratio_text(x)})"
            )
    b = m["latency"].get("brigade-run")
    if pm and b:
        x = b["p50"] / pm["p50"]
        lines.append(
            "- a single-job round trip no slower than a postMessage echo (p50 of awaited `run` <= "
            f"p50 of the echo): {'met' if x <= 1 else 'missed'} "
            f"({ratio_text(x)}; p99 {ratio_text(b['p99'] / pm['p99'])})"
        )
    return "\n".join(lines)


def kernel_table(kernels):
    """The built-in kernels' times, where the run measured them."""
    if not kernels:
        return ""
    rows = "\n".join(f"| {KERNEL_LABELS[k]} | {ms:.1f} |" for k, ms in kernels.items())
    return (
        "## Kernels\n\nThe built-in Rust kinds, one job at a time on a one-worker pool, input "
        "built before the clock starts (median ms of the timed jobs, median over the runs):\n\n"
        f"| kernel | ms |\n|---|---:|\n{rows}\n\n"
    )


def kept_notes(old_md):
    """The hand-written section at the end of the old results file, or a placeholder."""
    if old_md and NOTES in old_md:
        return old_md[old_md.index(NOTES) :]
    return f"{NOTES}\n\n(Write the notes here; bench/report.py keeps this section when it rewrites the file.)\n"


def browser_chart(raw, meta, runs, m):
    """The ratios as brigade's time per job ÷ each peer's (the other benchmarks'
    convention: below 1, brigade is faster): a throughput ratio is inverted, a
    latency ratio is one of times already."""
    peers = ["workerpool", "comlink", "postmessage"]

    def time(r, key, peer):
        b = (r["throughput"].get(key) or {}).get("perSecond")
        p = (r["throughput"].get(peer) or {}).get("perSecond")
        return four_digits(p / b) if b and p else None

    def trip(r, q):
        b = (r["latency"].get("brigade-run") or {}).get(q)
        p = (r["latency"].get("postmessage") or {}).get(q)
        return four_digits(b / p) if b and p else None

    rows = [
        {
            "label": label,
            "values": [time(m, key, p) for p in peers],
            "rounds": [[time(r, key, p) for r in runs] for p in peers],
        }
        for key, label in [
            ("brigade-trysubmit", "per job, trySubmit"),
            ("brigade-submit", "per job, submit"),
            ("brigade-run", "per job, run()"),
        ]
        if key in m["throughput"]
    ]
    for q in ("p50", "p99"):
        if trip(m, q) is None:
            continue
        rows.append(
            {
                "label": f"round trip {q}, run()",
                "values": [None, None, trip(m, q)],
                "rounds": [[], [], [trip(r, q) for r in runs]],
            }
        )
    o = raw["options"]
    return {
        "title": "Browser: brigade's time per job ÷ each peer's",
        "subtitle": f"{meta['nproc']} cores; Chromium {runs[0]['browserVersion']}; {o['workers']} workers; "
        f"{o['jobs']} echo jobs; medians of {len(runs)} runs; {meta['date'][:10]}",
        "axis": "ratio, log scale: left of 1x brigade is faster, right of it slower",
        "series": ["÷ workerpool", "÷ Comlink pool", "÷ bare postMessage"],
        "rows": rows,
        "goals": [
            {"value": 0.1, "series": 0, "label": "goal: 10x the throughput of workerpool"},
            {"value": 1.0, "series": 2, "label": "goal: round trip no slower than postMessage"},
        ],
    }


BROWSER_PEERS = {
    "workerpool": "workerpool",
    "comlink": "Comlink pool",
    "postmessage": "bare postMessage echo",
    "shared-async": "shared-memory echo (Atomics.waitAsync)",
}


def browser_rows(m):
    """The summary's rows from the medians `m` of the browser runs."""
    rows = []
    scenario = "browser tiny jobs (echo)"
    for key, metric in (
        ("brigade-trysubmit", "throughput, trySubmit + results()"),
        ("brigade-run", "throughput, Promise.all of run()"),
    ):
        ours = (m["throughput"].get(key) or {}).get("perSecond")
        for peer in ("workerpool", "comlink", "postmessage"):
            theirs = (m["throughput"].get(peer) or {}).get("perSecond")
            if ours and theirs:
                rows.append(summary_row(scenario, metric, "jobs/s", ours, BROWSER_PEERS[peer], theirs))
    ours = m["latency"].get("brigade-run")
    for q in ("p50", "p99"):
        for peer in ("postmessage", "workerpool", "comlink", "shared-async"):
            theirs = m["latency"].get(peer)
            if ours and theirs:
                rows.append(summary_row(scenario, f"round trip {q}, awaited run()", "µs", ours[q], BROWSER_PEERS[peer], theirs[q]))
    return rows


KERNEL_LABELS = {
    "kernel-sha256": "sha256 of 4 MiB",
    "kernel-mandelbrot": "mandelbrot 512x512, 256 iterations",
    "kernel-thumbnail": "thumbnail 1024x1024 to 256x256",
}


def startup_medians(runs):
    """{who: {"cold": (workers, ms), "warm": {workers: ms}}}: medians over the runs that measured it."""
    out = {}
    for key, who in (("startup-brigade", "brigade"), ("startup-workerpool", "workerpool")):
        got = [r["startup"][key] for r in runs if key in (r.get("startup") or {})]
        if not got:
            continue
        counts = list(got[0]["warm"])
        out[who] = {
            "cold": (got[0]["cold"]["workers"], median(g["cold"]["ms"] for g in got)),
            "warm": {n: median(g["warm"][n] for g in got) for n in counts},
        }
    return out


def main_thread_medians(runs):
    """{who: {metric: median}} of the main-thread scenario over the runs that measured it."""
    out = {}
    for key, who in (("page-brigade", "brigade"), ("page-workerpool", "workerpool")):
        got = [r["mainThread"][key] for r in runs if key in (r.get("mainThread") or {})]
        if got:
            out[who] = {m: median(g[m] for g in got) for m in got[0]}
    return out


PAYLOAD_PEERS = {
    "payload-workerpool": "workerpool",
    "payload-postmessage": "bare postMessage echo (structured clone)",
    "payload-transfer": "bare postMessage echo (buffer transferred)",
}


def size_label(size):
    """16 B, 1 KiB, 64 KiB, 1 MiB."""
    for unit, div in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= div and size % div == 0:
            return f"{size // div} {unit}"
    return f"{size} B"


def payload_medians(runs):
    """{key: {size: µs}}: each contender's median round trip per payload size over the runs."""
    out = {}
    keys = {k for r in runs for k in (r.get("payload") or {})}
    for key in sorted(keys):
        got = [r["payload"][key] for r in runs if key in (r.get("payload") or {})]
        out[key] = {int(size): median(g[size] for g in got) for size in got[0]}
    return out


def payload_rows(pay):
    """The summary's rows of the payload sweep: brigade against each peer, per size."""
    rows = []
    ours = pay.get("payload-brigade")
    if not ours:
        return rows
    for size, us in ours.items():
        for key, peer in PAYLOAD_PEERS.items():
            theirs = (pay.get(key) or {}).get(size)
            if theirs:
                rows.append(
                    summary_row(
                        "browser payload echo (Uint8Array, one at a time)",
                        f"round trip p50, {size_label(size)}",
                        "µs",
                        us,
                        peer,
                        theirs,
                    )
                )
    return rows


BROWSER_SCALING_SCENARIO = "CPU scaling, 64 Mandelbrot tiles of 1024x1024 (browser)"
BROWSER_RAYON_PEER = "wasm-bindgen-rayon par_chunks_mut (the image as one job)"


def browser_scaling(runs):
    """{"brigade": {n: ms}, "rayon": {n: ms}}: medians over the runs that measured both."""
    got = [r for r in runs if r.get("scaling") and r.get("scalingRayon")]
    if not got:
        return None
    counts = sorted(int(n) for n in got[0]["scaling"])
    return {
        "brigade": {n: median(r["scaling"][str(n)] for r in got) for n in counts},
        "rayon": {n: median(r["scalingRayon"][str(n)] for r in got) for n in counts},
    }


def browser_scaling_rows(sc):
    rows = []
    if not sc or 1 not in sc["brigade"]:
        return rows
    b, r = sc["brigade"], sc["rayon"]
    for n in b:
        rows.append(summary_row(BROWSER_SCALING_SCENARIO, f"time on {n} workers", "ms", b[n], BROWSER_RAYON_PEER, r[n]))
        if n > 1:
            rows.append(
                summary_row(
                    BROWSER_SCALING_SCENARIO, f"speed-up on {n} workers over 1", "x", b[1] / b[n], BROWSER_RAYON_PEER,
                    r[1] / r[n],
                )
            )
    return rows


def browser_scaling_table(sc):
    if not sc:
        return ""
    lines = ["| workers | brigade ms | speed-up | rayon ms | speed-up |", "|---:|---:|---:|---:|---:|"]
    b, r = sc["brigade"], sc["rayon"]
    for n in b:
        lines.append(f"| {n} | {b[n]:.1f} | {b[1] / b[n]:.2f}x | {r[n]:.1f} | {r[1] / r[n]:.2f}x |")
    return (
        "## CPU scaling: Mandelbrot tiles on 1 to n Web Workers\n\n"
        "A 1024x1024 Mandelbrot image (256 iterations) as 64 tiles of 16 rows, each one `mandelbrot` "
        "job, on a pool of n Web Workers; against wasm-bindgen-rayon, the image as one `mandelbrot` job "
        "with `parallel: true` (its rows on `par_chunks_mut`) on a rayon pool of n threads, a page per n "
        "(ms, the median of the timed images, then of the runs; the speed-up is against 1). The page's "
        "own thread shares the cores with the workers.\n\n" + "\n".join(lines) + "\n\n"
    )


def memory_medians(runs):
    """The memory figures' medians over the runs that measured them, or None."""
    got = [r["memory"] for r in runs if r.get("memory")]
    if not got:
        return None
    return {k: median(g[k] for g in got) for k in ("workers", "perWorker", "jobs", "perJob")}


def memory_line(mem):
    """One sentence of the memory figures (they have no peer: nothing else shares a wasm memory)."""
    return (
        f"shared memory grown per Web Worker {mem['perWorker'] / 1024:,.0f} KiB (a pool of "
        f"{mem['workers']:.0f}), per queued job {mem['perJob']:.0f} B ({mem['jobs']:,.0f} queued numbers)"
    )


def memory_table(mem):
    if not mem:
        return ""
    return (
        "## Memory\n\n"
        "The shared memory's growth (it only grows, in 64 KiB pages, and the allocator reuses what is "
        "freed, so this is what it had to add), measured first on a fresh page through the package's "
        "test hook: a pool of more workers started beside a running one-worker pool, its growth ÷ its "
        "workers; and the growth as a one-worker pool whose worker sleeps takes that many echo jobs "
        f"into its queue, ÷ the jobs (medians over the runs): {memory_line(mem)}.\n\n"
    )


def payload_table(pay):
    if not pay:
        return ""
    sizes = list(next(iter(pay.values())))
    names = {"payload-brigade": "brigade `run`"} | {k: v for k, v in PAYLOAD_PEERS.items()}
    lines = ["| contender | " + " | ".join(size_label(n) for n in sizes) + " |", "|---|" + "---:|" * len(sizes)]
    for key, by in pay.items():
        lines.append(f"| {names.get(key, key)} | " + " | ".join(f"{by[n]:.0f}" for n in sizes) + " |")
    return (
        "## Payloads: one echo of a Uint8Array at a time\n\n"
        "Round trip p50 in µs per payload size (medians over the runs). brigade copies the bytes into "
        "the shared memory and back out; workerpool and the bare echo structure-clone them each way; "
        "the transfer echo copies the page's bytes once (`slice()`, as a caller that keeps its data "
        "must) and transfers the buffer both ways.\n\n" + "\n".join(lines) + "\n\n"
    )


def startup_rows(start, page):
    """The summary's rows of start-up and the main thread (brigade against workerpool)."""
    rows = []
    b, w = start.get("brigade"), start.get("workerpool")
    if b and w:
        scenario = "browser Pool.create to the first result"
        rows.append(summary_row(scenario, f"cold, {b['cold'][0]} workers", "ms", b["cold"][1], "workerpool", w["cold"][1]))
        for n, ms in b["warm"].items():
            if n in w["warm"]:
                rows.append(summary_row(scenario, f"warm, {n} workers", "ms", ms, "workerpool", w["warm"][n]))
    b, w = page.get("brigade"), page.get("workerpool")
    if b and w:
        rows.append(
            summary_row(
                f"browser page during a {b['jobs']:,.0f}-job run",
                "worst gap between animation frames",
                "ms",
                b["worstFrameGapMs"],
                "workerpool",
                w["worstFrameGapMs"],
            )
        )
    return rows


def startup_tables(start, page):
    """Markdown for the start-up and main-thread scenarios, where the run measured them."""
    out = ""
    if start:
        counts = list(next(iter(start.values()))["warm"])
        head = " | ".join(f"warm, {n} workers" for n in counts)
        lines = [f"| pool | cold (workers) | {head} |", "|---|---:|" + "---:|" * len(counts)]
        for who, t in start.items():
            warm = " | ".join(f"{t['warm'][n]:.1f}" for n in counts)
            lines.append(f"| {who} | {t['cold'][1]:.1f} ({t['cold'][0]}) | {warm} |")
        out += (
            "## Start-up: asking for a pool to its first result\n\n"
            "ms, medians over the runs. Cold: the page's first pool (brigade: from before the package's "
            "import, so the module is fetched, compiled and instantiated); warm: later pools, the median of "
            "several per worker count. workerpool starts its workers on the first `exec`.\n\n"
            + "\n".join(lines)
            + "\n\n"
        )
    if page:
        lines = [
            "| pool | jobs | ms | long tasks (> 50 ms) | longest task ms | worst frame gap ms | frames |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for who, t in page.items():
            lines.append(
                f"| {who} | {t['jobs']:,.0f} | {t['ms']:.0f} | {t['longTasks']:g} | {t['longestTaskMs']:.0f} "
                f"| {t['worstFrameGapMs']:.1f} | {t['frames']:g} |"
            )
        out += (
            "## The page's main thread during a long run\n\n"
            "Echo jobs while the page writes a counter of the results as they arrive; a "
            "`PerformanceObserver` counts the main thread's long tasks and a `requestAnimationFrame` loop "
            "records the worst gap between frames (medians over the runs).\n\n" + "\n".join(lines) + "\n\n"
        )
    return out


def kernel_medians(runs):
    """Each kernel's median time (ms) over the runs that measured it."""
    out = {}
    for key in KERNEL_LABELS:
        times = [r["kernel"][key]["median"] for r in runs if key in (r.get("kernel") or {})]
        if times:
            out[key] = median(times)
    return out


def browser_report(work, meta, old_md=None, summary=None):
    """The browser tables (markdown, with the notes of `old_md` kept) and the
    chart's ratios; appends the summary's rows to `summary` where given."""
    path = Path(work) / "raw.json"
    if path.exists() and path.stat().st_mtime < started_at(work):
        raise ReportError(f"{path} is older than the run (a stale result of an earlier one)")
    raw = load_json(path)
    runs = raw.get("runs") or []
    if not runs:
        raise ReportError(f"{path} has no runs")
    m = browser_medians(runs)
    start, page = startup_medians(runs), main_thread_medians(runs)
    pay = payload_medians(runs)
    scal = browser_scaling(runs)
    if summary is not None:
        summary.extend(browser_scaling_rows(scal))
        summary.extend(browser_rows(m))
        summary.extend(payload_rows(pay))
        summary.extend(startup_rows(start, page))
    kernels = kernel_medians(runs)
    o = raw["options"]
    v = raw["versions"]
    first = runs[0]
    n = len(runs)
    lines = [
        f"- other load: {other_load(meta, raw.get('treeTicks'))}; "
        f"load average at the start: {', '.join(meta['load_average'].split())}",
        f"- browser: {first['browserVersion']} (`{first['page']['userAgent']}`), headless, "
        f"cross-origin isolated: {json.dumps(first['page']['crossOriginIsolated'])}",
        f"- node {v['node']}; workerpool {v['workerpool']}; comlink {v['comlink']}",
        f"- brigade: commit {commit_line(meta)}; wasm package built: {raw.get('pkgBuilt') or 'not built'}",
    ]
    top = header(
        "Tiny jobs in the browser: brigade vs workerpool vs a Comlink pool",
        "Generated by `bench/run.sh browser` (measured by `bench/browser.mjs`, written by\n"
        f'`bench/report.py`); do not edit by hand, except the section "{NOTES[3:]}"\n'
        "at the end, which bench/report.py keeps.",
        meta,
        lines,
    )
    top += f"\n- command: `bench/run.sh browser` = `{raw['command']}`"
    if n == 1:
        tables = f"## Results\n\n{browser_table(m)}\n"
    else:
        each = "\n".join(f"## Run {i}\n\n{browser_table(r)}\n" for i, r in enumerate(runs, 1))
        tables = f"## Medians of {n} runs\n\n{browser_table(m)}\n\n{each}"
    md = (
        top
        + f"""

Every contender has {o['workers']} workers and does the same job, `echo`: the
output is the input, a number. Each case gets a fresh pool, {o['warmupJobs']} untimed
warm-up jobs, then:

- throughput: {o['jobs']} jobs from the page to the pool and back, all in flight
  at once; the clock runs from the first call to the last output; jobs/s, and
  the ratio to workerpool (above 1: faster than workerpool). brigade's pool has a
  queue of {o['queue']}; the `submit` rows stream the outputs out of `results()`
  while a loop queues the jobs; workerpool's and Comlink's queues are unbounded.
- latency: {o['latencyJobs']} round trips of one job at a time, each awaited
  before the next starts (after {o['latencyWarmup']} untimed); p50 and p99 in µs,
  and the ratio to the bare `postMessage` echo (below 1: faster than the echo).
  `performance.now()` has 5 µs resolution in a cross-origin isolated page.
- bare `postMessage`: plain Web Workers that post each message back, with a FIFO
  of waiting callers on the page; no ids, errors or queue, so the floor under any
  pool that sends a message per job.
- shared-memory echo (latency only): one worker and one job at a time through a
  SharedArrayBuffer; the page writes the input, notifies and awaits
  `Atomics.waitAsync`; the worker either awaits `Atomics.waitAsync` too (as
  brigade's idle workers do in a pool with JavaScript handlers) or blocks in
  `Atomics.wait` (as they do otherwise, and in this benchmark). Not a pool: the
  floor under brigade's round trip, a write into shared memory and a wake on
  each side.

Every output is checked against its input after the clock stops (brigade's
`results()` by job id); a wrong, missing or duplicate one fails the run.

Goals (from the issue){'' if n == 1 else f', on the medians of the {n} runs'}:
{browser_goals(m)}

{tables}
{kernel_table(kernels)}{browser_scaling_table(scal)}{memory_table(memory_medians(runs))}{payload_table(pay)}{startup_tables(start, page)}{kept_notes(old_md)}"""
    )
    return md, browser_chart(raw, meta, runs, m)


# --- wasm: the optimised build against the fast one ---------------------------------

WASM_BUILDS = {
    "release": "optimised (`scripts/build-wasm.sh --release`: LTO, one codegen unit, +simd128, wasm-opt -O3)",
    "fast": "fast (`scripts/build-wasm.sh`, what `make test` builds: no LTO, no SIMD, no wasm-opt)",
}
WASM_PEER = "the fast build (no LTO, no SIMD, no wasm-opt)"
NATIVE_PEER = "native (the same Rust code, x86-64, release)"


def native_kernels(work, r, name="native", what="native kernel times"):
    """Round `r`'s lines of bench/kernels, `<key> <ms>`, as {key: ms}."""
    path = Path(work) / f"{name}-{r}.txt"
    if not path.exists():
        raise ReportError(f"no {what} in round {r} ({path})")
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            key, ms = line.split()
            out[key] = float(ms)
        except ValueError:
            raise ReportError(f"{path}:{n}: not '<kernel> <ms>': {line!r}") from None
    return out


def wasm_report(work, meta, summary=None):
    """The optimised wasm build against the fast one, measured in the same run:
    module size, kernel times, tiny-job throughput and round trip."""
    work = Path(work)
    started = started_at(work)
    sizes = load_json(work / "sizes.json")
    per_build = {}
    for build in WASM_BUILDS:
        runs = []
        for r in range(1, int(meta["rounds"]) + 1):
            path = work / f"{build}-{r}.json"
            if path.exists() and path.stat().st_mtime < started:
                raise ReportError(f"{path} is older than the run (a stale result of an earlier one)")
            raw = load_json(path)
            if not raw.get("runs"):
                raise ReportError(f"{path} has no runs")
            runs.extend(raw["runs"])
        m = browser_medians(runs)
        per_build[build] = {
            "size": sizes[build],
            "kernels": kernel_medians(runs),
            "trysubmit": (m["throughput"].get("brigade-trysubmit") or {}).get("perSecond"),
            "run": (m["throughput"].get("brigade-run") or {}).get("perSecond"),
            "p50": (m["latency"].get("brigade-run") or {}).get("p50"),
            "browser": runs[0]["browserVersion"],
        }
    natives = [native_kernels(work, r) for r in range(1, int(meta["rounds"]) + 1)]
    native = {k: median(n[k] for n in natives if k in n) for k in KERNEL_LABELS if any(k in n for n in natives)}
    ours, peer = per_build["release"], per_build["fast"]
    metrics = [("module size (brigade_wasm_bg.wasm)", "bytes", ours["size"], peer["size"])]
    for key, label in KERNEL_LABELS.items():
        if key in ours["kernels"] and key in peer["kernels"]:
            metrics.append((f"kernel: {label}", "ms", ours["kernels"][key], peer["kernels"][key]))
    for key, label, unit in (
        ("trysubmit", "tiny jobs: throughput, trySubmit + results()", "jobs/s"),
        ("run", "tiny jobs: throughput, Promise.all of run()", "jobs/s"),
        ("p50", "tiny jobs: round trip p50, awaited run()", "µs"),
    ):
        if ours[key] and peer[key]:
            metrics.append((label, unit, ours[key], peer[key]))
    rows = [summary_row("wasm build", metric, unit, a, WASM_PEER, b) for metric, unit, a, b in metrics]
    native_rows = [
        summary_row("wasm vs native", f"kernel: {label}", "ms", ours["kernels"][key], NATIVE_PEER, native[key])
        for key, label in KERNEL_LABELS.items()
        if key in ours["kernels"] and key in native
    ]
    rows += native_rows
    if summary is not None:
        summary.extend(rows)
    lines = [
        f"- other load: {other_load(meta)}; load average at the start: {', '.join(meta['load_average'].split())}",
        f"- browser: {ours['browser']}, headless; node {meta.get('node')}",
        f"- rustc (wasm): {meta.get('rustc_wasm') or meta['rustc']}",
        f"- commit: {commit_line(meta)}",
    ]
    top = header(
        "The optimised wasm build against the fast one",
        "Generated by `bench/run.sh wasm`; do not edit by hand.",
        meta,
        lines,
    )
    table = "\n".join(
        f"| {r['metric']}{' (native)' if r['peer'] == NATIVE_PEER else ''} | {r['unit']} | {figure(r['ours'])} "
        f"| {figure(r['peer_value'])} | {r['ratio']}x |"
        for r in rows
    )
    md = (
        top
        + f"""

Both builds come from this checkout, into target/bench-wasm/; each of the
{meta['rounds']} rounds runs `bench/browser.mjs --only kernel,brigade-trysubmit,brigade-run`
once per build, the fast one first; figures are medians over the rounds (a
kernel's figure in a round is the median of its timed jobs).

- {WASM_BUILDS['release']}
- {WASM_BUILDS['fast']}
- native: `bench/kernels/` runs the same kernels (wasm/src/kinds.rs, included
  by path) on the same inputs natively, with LTO and one codegen unit,
  once per round after the two builds; each figure is the median of as many
  timed runs as the browser's. The browser's figure also counts the job's trip
  from the page to a worker and back and the copies of its input and output
  between JavaScript and the wasm memory; the native one calls the kernel.

A run's round-trip p50 falls into one of two modes far apart, in both
builds, so with few rounds its median can land in either; the kernels' times move with the host's
load. More rounds (`ROUNDS=9 bench/run.sh wasm`) narrow both.

The last column is how many times better the optimised build is (fast ÷
optimised for sizes and times, optimised ÷ fast for rates): above 1 it wins;
against native, native ÷ wasm (the goal, wasm ÷ native <= 1.3, is a ratio
of at least 0.77).

| metric | unit | optimised | fast or native | ratio |
|---|---|---:|---:|---:|
{table}
"""
    )
    chart = {
        "title": "wasm: the optimised build's figure ÷ the fast build's",
        "subtitle": subtitle(meta, meta["rounds"]),
        "axis": "ratio, log scale: left of 1x the optimised build is better",
        "series": ["optimised ÷ fast build (or ÷ native)"],
        "rows": [
            {
                "label": (r["metric"][:32] + (" ÷ native" if r["peer"] == NATIVE_PEER else "")),
                "values": [four_digits(1 / r["ratio"])],
                "rounds": [[]],
            }
            for r in rows
        ],
        "goals": [{"value": 1.0, "label": "no change"}],
    }
    return md, chart


# --- scaling: CPU-bound tiles on 1..N workers, brigade's Pool against rayon --------

SCALING_SCENARIO = "CPU scaling, 64 Mandelbrot tiles of 1024x1024 (native)"
RAYON_PEER = "rayon par_iter"


def scaling_report(work, meta, summary=None):
    """Time and speed-up per worker count, brigade's Pool against rayon's par_iter."""
    rounds = int(meta["rounds"])
    started = started_at(work)
    per_round = []
    for r in range(1, rounds + 1):
        path = Path(work) / f"scaling-{r}.txt"
        if path.exists() and path.stat().st_mtime < started:
            raise ReportError(f"{path} is older than the run (a stale result of an earlier one)")
        per_round.append(native_kernels(work, r, "scaling", "scaling times"))
    ms = {k: median(rr[k] for rr in per_round) for k in per_round[0]}
    counts = sorted(int(k.rsplit("-", 1)[1]) for k in ms if k.startswith("scaling-brigade-"))
    for n in counts:
        if f"scaling-rayon-{n}" not in ms:
            raise ReportError(f"no rayon time for {n} workers")
    if not counts or counts[0] != 1:
        raise ReportError("no time on 1 worker, which the speed-ups divide")
    rows, lines = [], []
    for n in counts:
        b, r = ms[f"scaling-brigade-{n}"], ms[f"scaling-rayon-{n}"]
        sb, sr = ms["scaling-brigade-1"] / b, ms["scaling-rayon-1"] / r
        rows.append(summary_row(SCALING_SCENARIO, f"time on {n} workers", "ms", b, RAYON_PEER, r))
        if n > 1:
            rows.append(summary_row(SCALING_SCENARIO, f"speed-up on {n} workers over 1", "x", sb, RAYON_PEER, sr))
        lines.append(f"| {n} | {b:.1f} | {sb:.2f}x | {sb / n:.2f} | {r:.1f} | {sr:.2f}x | {b / r:.2f}x |")
    if summary is not None:
        summary.extend(rows)
    top = header(
        "CPU scaling: brigade's Pool against rayon's par_iter on Mandelbrot tiles",
        "Generated by `bench/run.sh scaling`; do not edit by hand.",
        meta,
        rust_go_lines(meta)[:2] + [f"- commit: {commit_line(meta)}"],
    )
    md = (
        top
        + f"""

A 1024x1024 Mandelbrot image (256 iterations) in 64 tiles of 16 rows, each
tile one job of the built-in `mandelbrot` kernel (wasm/src/kinds.rs, compiled
natively by `bench/kernels/`), on 1 to {counts[-1]} workers: through brigade's
`Pool` (every tile submitted, every outcome read; workers started before the
clock) and through rayon's `par_iter` on a pool of as many threads. ms per
image, the median of 5 images per round, then of the {rounds} rounds; a
speed-up is the time on 1 worker ÷ the time on n; efficiency is speed-up ÷ n.
The browser's side (Web Workers, wasm-bindgen-rayon) is not measured yet.

Goal: a speed-up of at least 0.9 x workers up to the core count, within 10%
of rayon's.

| workers | brigade ms | speed-up | efficiency | rayon ms | speed-up | brigade ÷ rayon time |
|---:|---:|---:|---:|---:|---:|---:|
"""
        + "\n".join(lines)
        + "\n"
    )
    chart = {
        "title": "CPU scaling: brigade's time per image ÷ rayon par_iter's",
        "subtitle": subtitle(meta, rounds),
        "axis": "ratio, log scale: left of 1x brigade is faster",
        "series": ["÷ rayon par_iter"],
        "rows": [
            {"label": f"{n} workers", "values": [four_digits(ms[f"scaling-brigade-{n}"] / ms[f"scaling-rayon-{n}"])],
             "rounds": [[four_digits(rr[f"scaling-brigade-{n}"] / rr[f"scaling-rayon-{n}"]) for rr in per_round]]}
            for n in counts
        ],
        "goals": [{"value": 1.1, "label": "goal: within 10% of rayon"}],
    }
    return md, chart


# --- redis --------------------------------------------------------------------------

REDIS_SCENARIOS = ["queue-add", "queue-add-bulk", "worker-generic", "worker-concurrent"]
REDIS_E2E = [1, 2, 4]
REDIS_PEERS = {
    "bullmq": "BullMQ 6.7.6 (Node, ioredis)",
    "bare": "bare redis-crate XADD/XREADGROUP/XACK loop (the floor)",
}
REDIS_WHAT = {
    "queue-add": "single adds of a 10x10 nested payload",
    "queue-add-bulk": "bulks of 50 tiny jobs",
    "worker-generic": "one no-op job in flight",
    "worker-concurrent": "100 no-op jobs in flight",
}
# From bench/redis/README.md: what bounds the ratios, without figures.
REDIS_NOTES = """What bounds the ratios, on a 2-core machine where Redis, the client and
whatever else runs share the cores (the load average is in the header;
figures move by tens of percent between runs):

- Against BullMQ, brigade-redis does less per job in Redis: one stream entry
  and an acknowledgement, where BullMQ keeps a hash per job, moves it
  between lists and sets with Lua scripts and writes events.
- Against the bare loop, the adds pay for JSON encoding only, and stay close
  to it. The worker scenarios pay for what the bare loop skips: each job is
  decoded and crosses two threads (the consumer's loop hands it to a pool
  worker and gets its outcome back), and acknowledgements go in a `MULTI`
  with dead letters. With one job in flight that is two thread wake-ups per
  job on top of the two round trips both pay; with 100 in flight it is the
  hand-off and the decoding, per job.
- End to end, more consumer processes add throughput only while one leaves
  Redis waiting between its round trips; once Redis is busy they share the
  same 2 cores with it, and add none.
"""


def redis_round(work, r, started):
    """Round `r`'s JSON lines, {engine, scenario, jobs, seconds, jobs_per_s}, as
    {(scenario, engine): line}; refused when missing or older than the run."""
    path = Path(work) / f"results-{r}.jsonl"
    if not path.exists():
        raise ReportError(f"no Redis results in round {r} ({path})")
    if path.stat().st_mtime < started:
        raise ReportError(f"{path} is older than the run (a stale result of an earlier one)")
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out[(d["scenario"], d["engine"])] = d
            float(d["jobs_per_s"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise ReportError(f"{path}:{n}: not a result line {{engine, scenario, jobs, jobs_per_s}}: {line!r}") from None
    return out


def redis_report(work, meta, summary=None):
    """Jobs/s per scenario: brigade-redis against BullMQ and the bare loop; end to end on 1, 2 and 4 consumers."""
    rounds = int(meta["rounds"])
    started = started_at(work)
    per_round = [redis_round(work, r, started) for r in range(1, rounds + 1)]
    e2e = [f"e2e-{n}" for n in REDIS_E2E]
    wanted = [(s, e) for s in REDIS_SCENARIOS for e in ["brigade", *REDIS_PEERS]] + [(s, "brigade") for s in e2e]
    for r, lines in enumerate(per_round, 1):
        for s, e in wanted:
            if (s, e) not in lines:
                raise ReportError(f"no {e} result for {s} in round {r}")
    ms = {k: median(float(rr[k]["jobs_per_s"]) for rr in per_round) for k in wanted}
    jobs = {s: per_round[0][(s, "brigade")]["jobs"] for s in [*REDIS_SCENARIOS, *e2e]}
    rows, lines = [], []
    for s in REDIS_SCENARIOS:
        b, q, f = ms[(s, "brigade")], ms[(s, "bullmq")], ms[(s, "bare")]
        scenario = f"redis {s} ({REDIS_WHAT[s]})"
        rows.append(summary_row(scenario, "throughput", "jobs/s", b, REDIS_PEERS["bullmq"], q))
        rows.append(summary_row(scenario, "throughput", "jobs/s", b, REDIS_PEERS["bare"], f))
        lines.append(f"| {s} | {jobs[s]:,} | {q:,.0f} | {b:,.0f} | {f:,.0f} | {b / q:.2f}x | {f / b:.2f}x |")
    if summary is not None:
        summary.extend(rows)
    e2e_lines = [
        f"| {n} | {ms[(f'e2e-{n}', 'brigade')]:,.0f} | {ms[(f'e2e-{n}', 'brigade')] / ms[('e2e-1', 'brigade')]:.2f}x |"
        for n in REDIS_E2E
    ]
    versions = Path(work) / "redis-version.txt"
    redis_version = versions.read_text().strip() if versions.exists() else "not recorded"
    top = header(
        "Redis: brigade-redis against BullMQ and a bare redis-crate loop",
        "Generated by `bench/run.sh redis`; do not edit by hand.",
        meta,
        [
            f"- load average at the start: {meta['load_average']}",
            f"- other load: {other_load(meta)}",
            f"- rustc: {meta['rustc']}",
            f"- node: {meta.get('node')}",
            f"- redis-server: {redis_version}",
            f"- commit: {commit_line(meta)}",
        ],
    )
    md = (
        top
        + f"""

One local redis-server (no persistence) for the run; in each round (of
{rounds}), per scenario, BullMQ 6.7.6 with ioredis on Node
(`bench/redis/bullmq.mjs`, jobs removed on completion), brigade-redis
(`redis/examples/redis_bench.rs`) and the bare loop (same file, `--engine
bare`: `XADD`, `XREADGROUP` and `XACK` and nothing else), one after the
other. Scenarios after BullMQ's own benchmark suite, the same job count for
every engine: `queue-add` (single adds of a 10×10 nested payload),
`queue-add-bulk` (bulks of 50 tiny jobs), `worker-generic` (one no-op job in
flight), `worker-concurrent` (100 in flight: BullMQ's concurrency 100,
brigade's pool of 2 workers and queue 98, the bare loop's `COUNT 100`).
Median jobs/s over the rounds.

Goal (issue 27): at least 3.47x BullMQ's jobs/s on queue-add-bulk and 8.78x
on worker-concurrent, and within 1.5x of the bare loop.

| scenario | jobs | BullMQ jobs/s | brigade-redis jobs/s | bare loop jobs/s | brigade ÷ BullMQ | bare ÷ brigade |
|---|---:|---:|---:|---:|---:|---:|
"""
        + "\n".join(lines)
        + f"""

End to end, {jobs['e2e-1']:,} no-op jobs, brigade consumer processes of 2
workers and queue 32 each, from their start to the last acknowledgement:

| processes | jobs/s | ÷ 1 process |
|---:|---:|---:|
"""
        + "\n".join(e2e_lines)
        + "\n\n"
        + REDIS_NOTES
    )

    def ratio(rr, s, peer):
        # brigade's time per job ÷ the peer's = the peer's jobs/s ÷ brigade's
        return four_digits(float(rr[(s, peer)]["jobs_per_s"]) / float(rr[(s, "brigade")]["jobs_per_s"]))

    chart = {
        "title": "Redis: brigade-redis's time per job ÷ each peer's",
        "subtitle": subtitle(meta, rounds),
        "axis": "ratio, log scale: left of 1x brigade is faster",
        "series": ["÷ BullMQ", "÷ bare redis loop"],
        "rows": [
            {
                "label": s,
                "values": [four_digits(ms[(s, p)] / ms[(s, "brigade")]) for p in REDIS_PEERS],
                "rounds": [[ratio(rr, s, p) for rr in per_round] for p in REDIS_PEERS],
            }
            for s in REDIS_SCENARIOS
        ],
        "goals": [{"value": 1.5, "label": "goal: within 1.5x of the bare loop", "series": 1}],
    }
    return md, chart


# --- main ---------------------------------------------------------------------------

REPORTS = {
    "channels": channels_report,
    "pool": pool_report,
    "browser": browser_report,
    "wasm": wasm_report,
    "scaling": scaling_report,
    "redis": redis_report,
}
# The order of the summary.
AREAS = ["channels", "pool", "scaling", "browser", "wasm", "redis"]


def write(name, work, results=RESULTS):
    """Writes results/<name>.md, .json and .svg from WORK_DIR, and <name>.rows.json
    (its rows of the summary and the run's record); returns the markdown."""
    work, results = Path(work), Path(results)
    meta = load_json(work / "meta.json")
    md_path = results / f"{name}.md"
    rows = []
    if name == "browser":
        old = md_path.read_text() if md_path.exists() else None
        md, chart = browser_report(work, meta, old, rows)
        raw = load_json(work / "raw.json")
        page = main_thread_medians(raw.get("runs") or [])
        more = {}
        mem = memory_medians(raw.get("runs") or [])
        if mem:
            more["memory"] = mem
        if page:
            jobs = next(iter(page.values()))["jobs"]
            more["long_tasks"] = {who: t["longTasks"] for who, t in page.items()} | {"jobs": jobs}
        record = run_record(name, meta, own_ticks=raw.get("treeTicks"), **more)
    else:
        md, chart = REPORTS[name](work, meta, rows)
        record = run_record(name, meta)
    try:
        plot.check(chart)
    except ValueError as e:
        raise ReportError(f"{name}: {e}") from None
    svg = plot.chart(chart)  # drawn before anything is written: a failure leaves the old files
    results.mkdir(parents=True, exist_ok=True)
    md_path.write_text(md)
    (results / f"{name}.json").write_text(json.dumps(chart, indent=1, ensure_ascii=False) + "\n")
    (results / f"{name}.svg").write_text(svg)
    rows_json = {"run": record, "rows": rows}
    (results / f"{name}.rows.json").write_text(json.dumps(rows_json, indent=1, ensure_ascii=False) + "\n")
    return md


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["summary"], ["readme"]):
        parser = argparse.ArgumentParser(description="Writes bench/results/summary.* or README.md's performance section.")
        parser.add_argument("what", choices=["summary", "readme"])
        parser.add_argument("--results", default=RESULTS, help="where the results are (default: bench/results)")
        parser.add_argument("--readme", default=README, help="the README to update (default: README.md)")
        args = parser.parse_args(argv)
        import summary  # bench/summary.py, beside this file

        try:
            if args.what == "summary":
                md = summary.write_summary(args.results)
                print(md)
                print(f"wrote {Path(args.results) / 'summary.json'}, summary.runs.json and summary.md")
            else:
                summary.write_readme(args.readme, args.results)
                print(f"wrote the performance section of {args.readme}")
        except ReportError as e:
            sys.exit(f"bench/report.py: {e}")
        return
    parser = argparse.ArgumentParser(description="Writes bench/results/<name>.md, .json and .svg.")
    parser.add_argument("name", choices=sorted(REPORTS))
    parser.add_argument("work", help="the run's work directory (bench/run.sh's target/bench-<name>)")
    parser.add_argument("--results", default=RESULTS, help="where to write (default: bench/results)")
    args = parser.parse_args(argv)
    try:
        md = write(args.name, args.work, args.results)
    except ReportError as e:
        sys.exit(f"bench/report.py: {e}")
    print(md)
    out = Path(args.results) / args.name
    print(f"wrote {out}.md, {args.name}.json and {args.name}.svg")


if __name__ == "__main__":
    main()
