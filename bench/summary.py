"""The summary of every benchmark area, and README.md's performance section.

bench/report.py writes, for each area it reports (channels, pool, scaling,
browser, wasm, redis), bench/results/<area>.rows.json: the area's rows, each one comparison of
brigade with one peer measured in the same run ({scenario, metric, unit, ours,
peer, peer_value, ratio}, `ratio` above 1 where brigade wins), and the run's
record (machine, load, toolchains, commit). From those files this module
writes:

- `bench/report.py summary`: summary.json (every row, in one array),
  summary.runs.json (each area's run) and summary.md (the goals of issue 26,
  the rows and the runs);
- `bench/report.py readme`: README.md's performance section, one sentence of
  reading per row, replacing the section between its markers.

Standard library only.
"""

import json
from pathlib import Path

from report import (
    BROWSER_PEERS,
    FLOOR_PEER,
    README,
    RESULTS,
    WASM_PEER,
    NATIVE_PEER,
    REDIS_PEERS,
    AREAS,
    ReportError,
    figure,
    higher_is_better,
    load_json,
    memory_line,
)

# --- summary: every area's rows in one file ------------------------------------------


def load_areas(results):
    """{area: {"run": ..., "rows": [...]}} for each area that has results."""
    out = {}
    for area in AREAS:
        path = Path(results) / f"{area}.rows.json"
        if path.exists():
            out[area] = load_json(path)
    if not out:
        raise ReportError(f"no <area>.rows.json in {results}: run bench/run.sh first")
    return out


def goals(rows, runs=()):
    """Issue 26's goals, each met, missed or not measured, with its figures."""

    def pick(scenario_prefix, metric_prefix, peer):
        return [
            r
            for r in rows
            if r["scenario"].startswith(scenario_prefix) and r["metric"].startswith(metric_prefix) and r["peer"] == peer
        ]

    out = []

    def one(text, found, test, show):
        if not found:
            out.append(f"- {text}: not measured in these results")
        else:
            ok = all(test(r) for r in found)
            out.append(f"- {text}: {'met' if ok else 'missed'} ({show(found)})")

    tput = pick("browser", "throughput, trySubmit", "workerpool")
    one("browser tiny jobs >= 10x workerpool's throughput (trySubmit)", tput, lambda r: r["ratio"] >= 10,
        lambda f: f"{f[0]['ratio']}x")
    tput = pick("browser", "throughput, trySubmit", BROWSER_PEERS["postmessage"])
    one("browser tiny jobs >= 3x the postMessage echo's throughput (trySubmit)", tput, lambda r: r["ratio"] >= 3,
        lambda f: f"{f[0]['ratio']}x")
    p50 = pick("browser", "round trip p50", BROWSER_PEERS["postmessage"])
    one("round trip p50 <= the postMessage echo's", p50, lambda r: r["ratio"] >= 1,
        lambda f: f"{f[0]['ours']} µs vs {f[0]['peer_value']} µs")
    cb = pick("channels", "time per message", "crossbeam-channel")
    one("channels <= 1.0x crossbeam-channel on every row", cb, lambda r: r["ratio"] >= 1,
        lambda f: f"{sum(r['ratio'] >= 1 for r in f)} of {len(f)} rows; worst brigade ÷ crossbeam "
        f"{max(1 / r['ratio'] for r in f):.2f}x")
    floor = [
        r for r in pick("channels", "time per message", FLOOR_PEER)
        if r["scenario"].endswith("capacity 0") or r["scenario"].endswith("capacity 1")
    ]
    one("threaded channel rows at capacity 0 and 1 within 2x of the hand-off floor", floor,
        lambda r: r["ratio"] >= 0.5,
        lambda f: f"{sum(r['ratio'] >= 0.5 for r in f)} of {len(f)} rows; worst brigade ÷ floor "
        f"{max(1 / r['ratio'] for r in f):.2f}x")
    native = [r for r in rows if r["peer"] == NATIVE_PEER]
    one("wasm ÷ native <= 1.3 on each kernel", native, lambda r: r["ours"] / r["peer_value"] <= 1.3,
        lambda f: "; ".join(f"{r['metric'].removeprefix('kernel: ')} {r['ours'] / r['peer_value']:.2f}x" for r in f))
    warm4 = [r for r in rows if r["scenario"].startswith("browser Pool.create") and r["metric"] == "warm, 4 workers"]
    one("Pool.create -> first result <= 100 ms for 4 workers, warm", warm4, lambda r: r["ours"] <= 100,
        lambda f: f"{f[0]['ours']} ms; workerpool {f[0]['peer_value']} ms")
    long_tasks = [run["long_tasks"] for run in runs if run.get("long_tasks")]
    if long_tasks:
        n, jobs = long_tasks[0].get("brigade"), long_tasks[0].get("jobs", 0)
        out.append(
            f"- zero long tasks during a 100,000-job run: {'met' if n == 0 else 'missed'} "
            f"(brigade {n:g}; workerpool {long_tasks[0].get('workerpool', 'not measured')}; "
            f"a run of {jobs:,.0f} jobs)"
        )
    else:
        out.append("- zero long tasks during a 100,000-job run: not measured in these results")
    speedups = [r for r in rows if r["metric"].startswith("speed-up on ")]

    def workers(r):
        return int(r["metric"].split()[2])

    one("CPU scaling >= 0.9 x workers and within 10% of rayon", speedups,
        lambda r: r["ours"] >= 0.9 * workers(r) and r["ratio"] >= 0.9,
        lambda f: "; ".join(
            f"{r['scenario'].rsplit('(', 1)[-1].rstrip(')')}, {workers(r)} workers: {r['ours']:.2f}x, "
            f"rayon {r['peer_value']:.2f}x" for r in f
        ))
    bulk = pick("redis queue-add-bulk", "throughput", REDIS_PEERS["bullmq"])
    one("Redis queue-add-bulk >= 3.47x BullMQ's jobs/s", bulk, lambda r: r["ratio"] >= 3.47,
        lambda f: f"{f[0]['ratio']}x")
    conc = pick("redis worker-concurrent", "throughput", REDIS_PEERS["bullmq"])
    one("Redis worker-concurrent >= 8.78x BullMQ's jobs/s", conc, lambda r: r["ratio"] >= 8.78,
        lambda f: f"{f[0]['ratio']}x")
    bare = pick("redis", "throughput", REDIS_PEERS["bare"])
    one("Redis within 1.5x of the bare XADD/XREADGROUP/XACK loop on every scenario", bare,
        lambda r: r["ratio"] >= 1 / 1.5,
        lambda f: f"{sum(r['ratio'] >= 1 / 1.5 for r in f)} of {len(f)} rows; worst bare ÷ brigade "
        f"{max(1 / r['ratio'] for r in f):.2f}x")
    return out


def summary_markdown(areas):
    rows = [r for a in areas.values() for r in a["rows"]]
    lines = [
        "# Benchmark summary",
        "",
        "Generated by `bench/run.sh` (`bench/report.py summary`) from the results of each",
        "area (bench/results/<area>.rows.json); do not edit by hand. Every row compares",
        "brigade with one peer measured in the same run. `ratio` is how many times better",
        "brigade is: the peer's figure ÷ brigade's for times and sizes, brigade's ÷ the",
        "peer's for rates; above 1 brigade wins. Each area's own file",
        "(bench/results/<area>.md) says how it was measured.",
        "",
        "## Goals (issue 26)",
        "",
        *goals(rows, [a["run"] for a in areas.values()]),
        "",
        "## Rows",
        "",
        "| scenario | metric | unit | brigade | peer | peer's | ratio |",
        "|---|---|---|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['scenario']} | {r['metric']} | {r['unit']} | {figure(r['ours'])} | {r['peer']} "
            f"| {figure(r['peer_value'])} | {r['ratio']} |"
        )
    for a in areas.values():
        if a["run"].get("memory"):
            lines += ["", "## Without a peer", "", f"- browser memory: {memory_line(a['run']['memory'])}."]
    lines += ["", "## Runs", ""]
    for a in areas.values():
        run = a["run"]
        lines.append(
            f"- {run['area']}: {run['date']}, {run['machine']}; load average at the start "
            f"{run['load_average']}; {run['other_load']}; {run['rustc']}"
            + (f"; {run['go']}" if run.get("go") else "")
            + (f"; node {run['node']}" if run.get("node") else "")
            + (f"; {run['rustc_wasm']} (wasm)" if run.get("rustc_wasm") else "")
            + (f"; {run['wasm_opt']}" if run.get("wasm_opt") else "")
            + (f"; {run['rounds']} rounds" if not run.get("quick") else "; QUICK=1 (one short round)")
            + f"; commit {run['commit']}"
        )
    return "\n".join(lines) + "\n"


def write_summary(results=RESULTS):
    """Writes results/summary.json (every row), summary.runs.json (each area's
    run: machine, load, toolchains, commit) and summary.md; returns the markdown."""
    results = Path(results)
    areas = load_areas(results)
    rows = [r for a in areas.values() for r in a["rows"]]
    md = summary_markdown(areas)
    (results / "summary.json").write_text(json.dumps(rows, indent=1, ensure_ascii=False) + "\n")
    runs = [a["run"] for a in areas.values()]
    (results / "summary.runs.json").write_text(json.dumps(runs, indent=1, ensure_ascii=False) + "\n")
    (results / "summary.md").write_text(md)
    return md


# --- README.md's performance section, generated from the summary -------------------

README_START = "<!-- performance: generated by bench/report.py readme from bench/results/summary.json; do not edit -->"
README_END = "<!-- performance: end -->"

AREA_TITLES = {
    "channels": "Channels",
    "pool": "Worker pool",
    "browser": "Browser",
    "wasm": "The optimised wasm build",
    "scaling": "CPU scaling",
    "redis": "Redis",
}

# How each area's figures come about: the design behind them, no figures (those
# come from the results). Printed under the area's table.
AREA_NOTES = {
    "channels": """How: bounded buffers of 4 and more run on a lock-free ring and unbounded
channels on a lock-free list of blocks, crossbeam-channel's designs;
rendezvous and small buffers run on a locked engine after Go's `hchan`; a
channel wakes a claimed waiter after releasing its lock, and the claim takes
the waiter off its queue; `select!` keeps its cases on the caller's stack.
A blocking send or receive on the lock-free engines retries 4 times before
it registers as a waiter, and a registered wait watches its signal for
500 ns, then yields its CPU 10 times before it parks. `core/src/chan/README.md`
has the design and the measurements behind each choice. Go's goroutine rows
are reported beside them, not chased: Go switches goroutines in user space,
which OS threads cannot; `bench/results/channels.md` also runs Go's channels
with each goroutine locked to an OS thread.""",
    "pool": """How: the pool is Go's channel-pool program plus bigger values (a 4-word task
in, an `Outcome` of 14 words out) and the work per job that fills the
`Outcome` (an id, clock readings, a context check, panic containment,
counters, histograms); `bench/results/pool.md` takes those steps apart in Go
and in brigade. Per job, no cache line is written by more than one thread
besides the two channels' own, job times come from the CPU's time-stamp
counter, and a blocking handler with no retry or rate limit is called without
building a future. rayon, threadpool and tokio's `spawn_blocking` run a
closure and send nothing back.""",
    "scaling": """How: each worker takes the next tile from the pool's queue as it finishes one,
so the tiles spread over the workers as rayon's work stealing spreads them.""",
    "browser": """How: jobs and results live in the WebAssembly memory every worker shares, so
a job costs no `postMessage`; the page's results loop waits on a counter in
shared memory with one `Atomics.waitAsync`, and starts waiting only once a job
is out.""",
    "wasm": """How: `scripts/build-wasm.sh --release` (what `make demo`, `make site` and
`make package` ship) builds the wasm-release profile (LTO, one codegen unit)
with `+simd128`, then runs wasm-opt -O3 from the npm package binaryen with the
module's features enabled (threads, bulk memory, exception handling, SIMD,
reference types). `make test` builds without those, which saves minutes.""",
    "redis": """How: brigade-redis keeps one stream entry per job and acknowledges it, where
BullMQ keeps a hash per job, moves it between lists and sets with Lua scripts
and writes events. Against the bare `XADD`/`XREADGROUP`/`XACK` loop, the adds
pay for JSON encoding only; the worker scenarios also decode each job, hand it
to a pool worker and back (two threads), and acknowledge in a `MULTI` with dead
letters. `bench/results/redis.md` also has end to end figures with 1, 2 and 4
consumer processes.""",
}

# A `seq` row runs on one thread, so no wake-up decides it.
WHY_SEQ = "`seq` runs on one thread with no waiting, so this is each library's own code per send and receive"
# Start-up: what Pool.create does before the first job that workerpool does not.
WHY_STARTUP = (
    "each of brigade's Web Workers instantiates the wasm module on the shared memory before it takes a job "
    "(cold, the page also fetches and compiles the module first), where workerpool starts plain JavaScript workers"
)
# The adds against the bare loop: the same XADDs, and JSON encoding on top.
WHY_REDIS_ADD = "the bare loop sends the same XADDs, while brigade-redis also encodes each job as JSON"
# A threaded row below the park/unpark floor.
FLOOR_BELOW = (
    "brigade's waits spin briefly before they park, so many messages need no wake-up through the kernel at all"
)

# Why brigade can lose to a peer, by the peer: the sentence a losing row ends with.
WHY = {
    "Go (goroutines)": "Go switches goroutines in user space, while a brigade thread that waits sleeps in the "
    "kernel and must be woken through it (Go's own channels on OS threads are the row with that name)",
    "Go (goroutines locked to OS threads)": "on 2 cores shared by up to 8 threads a row is decided by how often "
    "a thread has to be switched in, which moves from run to run",
    FLOOR_PEER: "the floor is the wake-up alone; a channel adds its buffer and waiter bookkeeping, and with "
    "more threads than cores each message can also need a thread switched in",
    "crossbeam-channel": "on 2 shared cores the threaded rows are decided by thread wake-ups and move between "
    "runs (bench/results/channels.md has each round's ratio)",
    "flume": "on 2 shared cores the threaded rows are decided by thread wake-ups and move between runs",
    "std::sync::mpsc": "on 2 shared cores the threaded rows are decided by thread wake-ups and move between runs",
    "Go channel pool (goroutines)": "Go's program moves one word each way on goroutines, while the Pool fills an "
    "Outcome per job (id, clock readings, context check, panic containment, metrics); "
    "bench/results/pool.md takes the difference apart",
    "Go channel pool reporting outcomes": "the two do the same work per job on different threads: goroutines "
    "switch in user space, brigade's workers are OS threads",
    "wasm-bindgen-rayon par_chunks_mut (the image as one job)": "rayon splits the one image across its "
    "threads by work stealing, while the pool hands out whole tiles through its queue",
    "rayon par_iter": "rayon's threads steal work from each other's deques without a shared queue or an "
    "outcome per tile",
    "rayon::spawn": "a rayon job is a closure on a work-stealing deque with nothing sent back, while the Pool "
    "queues through a bounded channel and sends an Outcome per job",
    "threadpool": "threadpool runs a closure and sends nothing back, while the Pool sends an Outcome per job",
    "tokio::task::spawn_blocking": "spawn_blocking runs a closure and sends nothing back, while the Pool sends "
    "an Outcome per job",
    "workerpool": "workerpool sends one postMessage per job each way",
    "bare postMessage echo (buffer transferred)": "a transferred buffer moves without a copy, while brigade copies "
    "the bytes into the shared memory and back out",
    "bare postMessage echo (structured clone)": "the echo is one structured clone each way with nothing else, "
    "while a brigade job also gets an id, a queue slot and a result record in shared memory",
    "Comlink pool": "Comlink sends one postMessage per call each way",
    "bare postMessage echo": "the echo is one postMessage each way with nothing else, while a brigade job also "
    "gets an id, a queue slot and a result record in shared memory",
    "shared-memory echo (Atomics.waitAsync)": "the echo is one write and one wake on each side, the floor under "
    "brigade's round trip, which adds its queue, job id and result record",
    NATIVE_PEER: "the browser figure also counts the job's trip to a worker and back and the copies of its "
    "input and output between JavaScript and the wasm memory, and native code may use CPU instructions wasm "
    "does not have (sha2 picks the SHA extensions at run time where the CPU has them)",
    REDIS_PEERS["bullmq"]: "BullMQ's Lua scripts keep a hash per job and move it between lists and sets, "
    "more work in Redis per job than a stream entry and its acknowledgement",
    REDIS_PEERS["bare"]: "the bare loop does nothing but the Redis commands, while brigade-redis encodes and "
    "decodes each job, hands it to a pool worker and back, and acknowledges in a MULTI with dead letters",
    WASM_PEER: "LTO, SIMD and wasm-opt did not help this figure in this run; on a shared host a rerun tells a "
    "real loss from noise",
}


def times(x):
    """A multiple as the readings write it: two decimals below 10, one above."""
    return f"{x:.2f}x" if x < 10 else f"{x:.1f}x"


def more(x, word):
    """How much more than 1, as a percentage below 2x (where a multiple reads worse)."""
    return f" ({(x - 1) * 100:.0f}% {word})" if x < 2 else ""


def why(row):
    """The reason a row loses, by its peer (seq runs on one thread: no wake-ups)."""
    if row["scenario"].startswith("channels seq"):
        return WHY_SEQ
    if row["scenario"].startswith("browser Pool.create"):
        return WHY_STARTUP
    if row["scenario"].startswith("redis queue-add") and row["peer"] == REDIS_PEERS["bare"]:
        return WHY_REDIS_ADD
    return WHY.get(row["peer"], "")


def reading(row):
    """One sentence on what a row means: who wins and by how much, and why where brigade loses."""
    r, peer, unit = row["ratio"], row["peer"], row["unit"]
    # In the wasm area brigade is compared with itself: the subject is the build.
    who = "the optimised build" if row["scenario"] == "wasm build" else "brigade"
    if peer == FLOOR_PEER:
        x = 1 / r
        goal = "within" if x <= 2 else "beyond"
        return (
            f"brigade takes {times(x)} the time of a bare park/unpark hand-off ({goal} the 2x goal): "
            + (FLOOR_BELOW if x <= 1 else WHY[peer])
            + "."
        )
    if round(r, 2) == 1:
        return f"{who} and {peer} are level (ratio {r})."
    if higher_is_better(unit):
        if r >= 1:
            return f"{who} moves {times(r)} the jobs per second of {peer}."
        return f"{who} moves {times(r)} the jobs per second of {peer} ({(1 - r) * 100:.0f}% fewer): {why(row)}."
    if unit == "bytes":
        if r >= 1:
            return f"{who} is {times(r)} smaller than {peer} ({times(1 / r)} its size)."
        return f"{who} is {times(1 / r)} the size of {peer}{more(1 / r, 'more')}: {why(row)}."
    if r >= 1:
        return f"{who} is {times(r)} faster than {peer} ({times(1 / r)} its time)."
    return f"{who} takes {times(1 / r)} the time of {peer}{more(1 / r, 'more')}: {why(row)}."


def readme_section(areas):
    """The performance section: how to rerun, the goals, then each area's rows with a reading each."""
    rows = [r for a in areas.values() for r in a["rows"]]
    out = [
        README_START,
        "## Performance",
        "",
        "`make bench` installs what the benchmarks need (Go, Chromium, the npm peers) and runs",
        "every scenario against its peers in the same run (`QUICK=1 make bench` for a short",
        "run); `bench/run.sh [channels|pool|scaling|browser|wasm|redis]` runs some of them. Each area",
        "writes `bench/results/<area>.md` (how it was measured, with every round) and a",
        "chart; `bench/results/summary.json` holds every row below and `summary.md` the same",
        "table with the runs' machine, load, toolchains and commit. This section is written",
        "from them by `bench/report.py readme`. A ratio is how many times better brigade is",
        "(the peer's time ÷ brigade's, or brigade's rate ÷ the peer's): above 1 brigade wins.",
        "The host has 2 cores shared with other work, so threaded figures move between runs.",
        "",
        "Goals (from the project's performance issue), on these results:",
        "",
        *goals(rows, [a["run"] for a in areas.values()]),
    ]
    for area, data in areas.items():
        run = data["run"]
        rows = data["rows"]
        wins = sum(r["ratio"] >= 1 for r in rows)
        out += [
            "",
            f"### {AREA_TITLES[area]}",
            "",
            f"![{AREA_TITLES[area]}: brigade against each peer](bench/results/{area}.svg)",
            "",
            f"Measured {run['date'][:10]} on {run['machine']} (load average {run['load_average']} at the "
            f"start{', a QUICK=1 run' if run.get('quick') else ''}); `bench/results/{area}.md` has how, and "
            f"every round. brigade is ahead in {wins} of {len(rows)} rows.",
            "",
        ]
        table = [
            "| scenario | metric | brigade | peer | peer's | ratio | reading |",
            "|---|---|---:|---|---:|---:|---|",
        ]
        for r in rows:
            table.append(
                f"| {r['scenario']} | {r['metric']} ({r['unit']}) | {figure(r['ours'])} | {r['peer']} "
                f"| {figure(r['peer_value'])} | {r['ratio']} | {reading(r)} |"
            )
        if len(rows) > 20:
            out += ["<details><summary>All " + str(len(rows)) + " rows</summary>", "", *table, "", "</details>"]
        else:
            out += table
        if run.get("memory"):
            out += ["", f"Memory, which no peer shares: {memory_line(run['memory'])}."]
        if area in AREA_NOTES:
            out += ["", AREA_NOTES[area]]
    out.append(README_END)
    return "\n".join(out)


def write_readme(readme=README, results=RESULTS):
    """Replaces README.md's performance section (between the markers, or the
    `## Performance` section up to the next `## ` heading) with one generated
    from the summary."""
    readme = Path(readme)
    text = readme.read_text()
    section = readme_section(load_areas(results))
    if README_START in text and README_END in text:
        before = text[: text.index(README_START)]
        after = text[text.index(README_END) + len(README_END) :]
    elif "\n## Performance\n" in text:
        i = text.index("\n## Performance\n") + 1
        nxt = text.find("\n## ", i)
        before, after = text[:i], ("\n\n" + text[nxt + 1 :] if nxt != -1 else "\n")
    else:
        before, after = text.rstrip("\n") + "\n\n", "\n"
    readme.write_text(before + section + (after if after.startswith("\n") else "\n" + after))


