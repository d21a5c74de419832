"""Tests of bench/report.py on small made-up runs: python3 -m unittest discover -s bench -p 'test_*.py'

Each test writes a work directory as bench/run.sh leaves it (meta.json, a
`started` stamp, criterion's estimates.json per round, go.txt, or
bench/browser.mjs's raw.json) into a temporary directory and checks the
figures, verdicts and files the report makes of it.
"""

import json
import os
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import report  # noqa: E402
import summary  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def write_meta(work, **changes):
    meta = {
        "rounds": 3,
        "nproc": 2,
        "cpu": "Test CPU",
        "rustc": "rustc 1.0.0",
        "go": "go version go1.0 linux/amd64",
        "node": "v20.0.0",
        "commit": "0123456789abcdef0123456789abcdef01234567",
        "dirty": [],
        "date": "2026-01-02T03:04:05Z",
        "clk_tck": 100,
        "busy_ticks": 5000,
        "own_ticks": 4000,
        "wall_s": 30,
        "load_average": "0.50 0.40 0.30",
    } | changes
    (work / "meta.json").write_text(json.dumps(meta))
    return meta


def write_estimate(work, r, ns_per_iteration, *bench):
    est = work / f"round-{r}" / "criterion" / Path(*bench) / "new" / "estimates.json"
    est.parent.mkdir(parents=True, exist_ok=True)
    est.write_text(json.dumps({"median": {"point_estimate": ns_per_iteration}}))
    return est


def write_go(work, r, lines):
    path = work / f"round-{r}" / "go.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# go1.0 GOMAXPROCS=2\n# name ns (median)\n" + "\n".join(lines) + "\n")


def make_old(path):
    """Sets a file's times an hour before now, before any `started` stamp."""
    old = path.stat().st_mtime - 3600
    os.utime(path, (old, old))


def bars(svg_text):
    """The chart's bars: rects with a <title>, as plot.chart draws one per non-null value."""
    root = ET.fromstring(svg_text)
    return [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]


class WorkDir(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self._tmp.cleanup)
        self.work = Path(self._tmp.name) / "work"
        self.results = Path(self._tmp.name) / "results"
        self.work.mkdir()
        (self.work / "started").touch()


# --- pool ---------------------------------------------------------------------------

# ns per job in each of 3 rounds; medians: brigade 200, go-pool 100, rayon 160.
POOL_ROUNDS = {
    "brigade": [100, 300, 200],
    "brigade-chan": [60, 70, 80],
    "brigade-chan-sized": [90, 80, 70],
    "crossbeam-chan-sized": [100, 110, 120],
    "rayon": [160, 150, 170],
    "threadpool": [400, 400, 400],
    "tokio-blocking": [500, 400, 300],
    "go-pool": [50, 100, 400],
    "go-pool-sized": [120, 120, 120],
    "go-pool-outcome": [250, 220, 230],
}


class PoolTest(WorkDir):
    def write_pool(self, figures=POOL_ROUNDS, rounds=3):
        write_meta(self.work, rounds=rounds)
        for r in range(1, rounds + 1):
            for name, _ in report.POOL_RUST:
                write_estimate(self.work, r, figures[name][r - 1] * report.JOBS, "pool", name)
            write_go(self.work, r, [f"{name} {figures[name][r - 1]:.2f}" for name, _ in report.POOL_GO])

    def test_medians_ratios_and_rounds(self):
        self.write_pool()
        md, chart = report.pool_report(self.work, json.loads((self.work / "meta.json").read_text()))
        self.assertIn("| brigade `Pool` | 200.0 | 100 / 300 / 200 | 1.00x |", md)
        self.assertIn("| Go: goroutines + buffered channel + WaitGroup | 100.0 | 50 / 100 / 400 | 2.00x |", md)
        self.assertIn("| `rayon::spawn` + counter | 160.0 | 160 / 150 / 170 | 1.25x |", md)
        go = next(row for row in chart["rows"] if row["label"] == "Go channel pool")
        self.assertEqual(go["values"], [2.0])
        self.assertEqual(go["rounds"], [[2.0, 3.0, 0.5]])
        # Where the time goes: brigade-chan 70 against go-pool 100, and the spread of go-pool-outcome.
        self.assertIn("| Go's pool program, one `u64` each way | 100.0 | 70.0 | 0.70x |", md)
        self.assertIn("220 to 250 ns per job", md)
        self.assertIn("The sized program on crossbeam-channel: 110.0, +30.0 against", md)

    def test_goals_missed_and_met(self):
        self.write_pool()
        md, _ = report.pool_report(self.work, json.loads((self.work / "meta.json").read_text()))
        self.assertIn("- at or below Go's per-job overhead (brigade/Go <= 1.00x): missed (2.00x)", md)
        self.assertIn("- within 1.5x of rayon (brigade/rayon <= 1.50x): met (1.25x)", md)

    def test_goal_met_at_go_and_missed_at_rayon(self):
        figures = POOL_ROUNDS | {"brigade": [90, 90, 90], "rayon": [50, 50, 50]}
        self.write_pool(figures)
        md, _ = report.pool_report(self.work, json.loads((self.work / "meta.json").read_text()))
        self.assertIn("(brigade/Go <= 1.00x): met (0.90x)", md)
        self.assertIn("(brigade/rayon <= 1.50x): missed (1.80x)", md)

    def test_goal_boundaries(self):
        self.assertEqual([ok for _, ok, _ in report.pool_goals(1.0, 1.5)], [True, True])
        self.assertEqual([ok for _, ok, _ in report.pool_goals(1.0001, 1.5001)], [False, False])

    def test_stale_criterion_result_is_refused_by_name(self):
        self.write_pool()
        make_old(self.work / "round-2" / "criterion" / "pool" / "rayon" / "new" / "estimates.json")
        with self.assertRaisesRegex(report.ReportError, r"no fresh criterion result for pool/rayon in round 2"):
            report.pool_report(self.work, json.loads((self.work / "meta.json").read_text()))

    def test_missing_criterion_result_is_refused_by_name(self):
        self.write_pool()
        (self.work / "round-3" / "criterion" / "pool" / "threadpool" / "new" / "estimates.json").unlink()
        with self.assertRaisesRegex(report.ReportError, r"pool/threadpool in round 3"):
            report.pool_report(self.work, json.loads((self.work / "meta.json").read_text()))

    def test_missing_go_line_is_refused_by_name(self):
        self.write_pool()
        write_go(self.work, 2, ["go-pool 50", "go-pool-outcome 200"])
        with self.assertRaisesRegex(report.ReportError, r"no go-pool-sized result in round 2"):
            report.pool_report(self.work, json.loads((self.work / "meta.json").read_text()))

    def test_header(self):
        self.write_pool()
        meta = write_meta(self.work, dirty=["core/src/lib.rs", "Cargo.lock"])
        md, chart = report.pool_report(self.work, meta)
        self.assertIn("- machine: 2 cores, Test CPU\n", md)
        # 5000 busy ticks less 4000 of the run's own, at 100 a second.
        self.assertIn("- other load: 10 s of CPU time used by other processes during the 30 s run (at most 2 x 30 s)", md)
        self.assertIn("- rustc: rustc 1.0.0\n- go: go version go1.0 linux/amd64\n", md)
        self.assertIn(f"- commit: {meta['commit']} with uncommitted changes to: core/src/lib.rs, Cargo.lock", md)
        self.assertIn("- date: 2026-01-02T03:04:05Z", md)
        self.assertIn("commit 0123456789ab; 2026-01-02T03:04:05Z; medians of 3 rounds", chart["subtitle"])

    def test_files_and_svg(self):
        self.write_pool()
        report.write("pool", self.work, self.results)
        for ext in ("md", "json", "svg"):
            self.assertTrue((self.results / f"pool.{ext}").exists(), ext)
        chart = json.loads((self.results / "pool.json").read_text())
        self.assertEqual(len(bars((self.results / "pool.svg").read_text())), len(chart["rows"]))
        self.assertEqual(len(chart["rows"]), len(report.POOL_ORDER) - 1)

    def test_command_line_names_what_is_missing_and_writes_nothing(self):
        self.write_pool()
        (self.work / "round-1" / "go.txt").unlink()
        run = subprocess.run(
            [sys.executable, str(Path(report.__file__)), "pool", str(self.work), "--results", str(self.results)],
            capture_output=True,
            text=True,
        )
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("no Go results in round 1", run.stderr)
        self.assertFalse(self.results.exists())


# --- channels -----------------------------------------------------------------------


class ChannelsTest(WorkDir):
    """Every row at brigade 100 ns, crossbeam 80 (1.25x), flume 200 and Go 120
    (0.83x), but for the rows `changes` sets: {(scenario, cap): {lib: ns}}."""

    def write_channels(self, changes=None, rounds=1):
        changes = changes or {}
        write_meta(self.work, rounds=rounds)
        for r in range(1, rounds + 1):
            go = []
            for scenario, caps in report.SCENARIOS:
                for cap in caps:
                    ns = {"brigade": 100, "crossbeam": 80, "flume": 200, "std": 150, "go": 120}
                    ns |= changes.get((scenario, cap), {})
                    for lib in report.channel_libs(scenario):
                        write_estimate(self.work, r, ns[lib] * report.MESSAGES, scenario, lib, cap)
                    go.append(f"{scenario} {cap} {ns['go']}")
                    if scenario != "seq":
                        go.append(f"{scenario}-threads {cap} {ns['go'] * 10}")
            for name, ns in (("park", 5000), ("spin", 50), ("yield", 300)):
                write_estimate(self.work, r, ns * report.MESSAGES, "handoff", name)
            write_go(self.work, r, go)
        return json.loads((self.work / "meta.json").read_text())

    def test_rows_ratios_and_verdicts(self):
        meta = self.write_channels(
            {
                ("spsc", "0"): {"brigade": 150, "crossbeam": 100},  # 1.5x crossbeam: missed
                ("spsc", "unbounded"): {"brigade": 150, "crossbeam": 100},  # unbounded: no crossbeam goal
                ("mpmc", "64"): {"brigade": 130, "crossbeam": 100},  # exactly 1.3x: met
                ("select", "1"): {"go": 50},  # 2x Go: missed
            }
        )
        md, chart = report.channels_report(self.work, meta)
        self.assertIn("| spsc | 0 | 150.0 | 100.0 | 200.0 | 150.0 | 120.0 | 1.50x (1.50) | 1.25x (1.25) | missed: crossbeam, Go |", md)
        self.assertIn("| spsc | unbounded | 150.0 | 100.0 | 200.0 | 150.0 | 120.0 | 1.50x (1.50) | 1.25x (1.25) | missed: Go |", md)
        self.assertIn("| mpmc | 64 | 130.0 | 100.0 | 200.0 |  | 120.0 | 1.30x (1.30) | 1.08x (1.08) | missed: Go |", md)
        self.assertIn("| select | 1 | 100.0 | 80.0 | 200.0 |  | 50.0 | 1.25x (1.25) | 2.00x (2.00) | missed: Go |", md)
        self.assertIn("| seq | 1 | 100.0 | 80.0 | 200.0 | 150.0 | 120.0 | 1.25x (1.25) | 0.83x (0.83) | ok |", md)
        self.assertIn("Goal met in 15 of 19 rows; missed in: spsc/0, spsc/unbounded, mpmc/64, select/1.", md)
        row = next(r for r in chart["rows"] if r["label"] == "select/1")
        self.assertEqual(row["values"], [1.25, 0.5, 2.0])

    def test_goal_rule(self):
        self.assertEqual(report.channel_goal("spsc", "1", 1.3, 1.0), "ok")
        self.assertEqual(report.channel_goal("mpmc", "0", 1.31, 0.5), "missed: crossbeam")
        self.assertEqual(report.channel_goal("mpsc", "0", 5.0, 0.5), "ok")
        self.assertEqual(report.channel_goal("seq", "64", 1.0, 1.01), "missed: Go")

    def test_medians_over_rounds(self):
        meta = self.write_channels(rounds=3)
        # Round 2's brigade spsc/1 slower, round 3's faster: the median is round 1's.
        write_estimate(self.work, 2, 400 * report.MESSAGES, "spsc", "brigade", "1")
        write_estimate(self.work, 3, 40 * report.MESSAGES, "spsc", "brigade", "1")
        md, chart = report.channels_report(self.work, meta)
        self.assertIn("| spsc | 1 | 100.0 | 80.0 | 200.0 | 150.0 | 120.0 | 1.25x (1.25 / 5.00 / 0.50) |", md)
        row = next(r for r in chart["rows"] if r["label"] == "spsc/1")
        self.assertEqual(row["rounds"][0], [1.25, 5.0, 0.5])

    def test_floor_and_threads_tables(self):
        meta = self.write_channels()
        md, _ = report.channels_report(self.work, meta)
        self.assertIn("| 2 | `thread::park`, woken by `unpark` (a futex sleep and wake) | 5000.0 |", md)
        self.assertIn("| 4 | `yield_now` (twice as many threads as cores) | 300.0 |", md)
        self.assertIn("pass a turn in 50 ns (the second line), less than Go's\n120 ns per message", md)
        self.assertIn("| mpsc | 0 | 120.0 | 1200.0 | 10.0x | 100.0 | 0.08x |", md)

    def test_stale_result_is_refused_by_name(self):
        meta = self.write_channels()
        make_old(self.work / "round-1" / "criterion" / "mpsc" / "flume" / "64" / "new" / "estimates.json")
        with self.assertRaisesRegex(report.ReportError, r"no fresh criterion result for mpsc/flume/64 in round 1"):
            report.channels_report(self.work, meta)

    def test_missing_started_stamp_is_refused(self):
        meta = self.write_channels()
        (self.work / "started").unlink()
        with self.assertRaisesRegex(report.ReportError, r"started is missing"):
            report.channels_report(self.work, meta)

    def test_missing_threads_line_is_refused(self):
        meta = self.write_channels()
        go = (self.work / "round-1" / "go.txt").read_text().replace("mpmc-threads 1 1200\n", "")
        (self.work / "round-1" / "go.txt").write_text(go)
        with self.assertRaisesRegex(report.ReportError, r"no Go result for mpmc-threads 1 in round 1"):
            report.channels_report(self.work, meta)

    def test_svg_is_xml_with_a_bar_per_value(self):
        self.write_channels()
        report.write("channels", self.work, self.results)
        chart = json.loads((self.results / "channels.json").read_text())
        self.assertEqual(len(bars((self.results / "channels.svg").read_text())), 3 * len(chart["rows"]))


# --- browser ------------------------------------------------------------------------


def browser_run(scale=1.0, brigade_p50=70.0):
    """One run's figures as bench/browser/bench.js returns them; throughput scaled by `scale`."""

    def rate(per_second):
        return {"jobs": 1000, "ms": 1000 * 1000 / per_second, "perSecond": per_second}

    def trip(p50, p99):
        return {"n": 100, "p50": p50, "p99": p99, "max": p99 * 2, "mean": p50}

    return {
        "throughput": {
            "brigade-submit": rate(150_000 * scale),
            "brigade-trysubmit": rate(400_000 * scale),
            "brigade-run": rate(90_000 * scale),
            "workerpool": rate(10_000 * scale),
            "comlink": rate(40_000 * scale),
            "postmessage": rate(80_000 * scale),
        },
        "latency": {
            "brigade-run": trip(brigade_p50, 150),
            "workerpool": trip(130, 300),
            "postmessage": trip(100, 200),
            "shared-blocking": trip(55, 120),
        },
        "page": {"userAgent": "HeadlessChrome/1.0", "hardwareConcurrency": 2, "crossOriginIsolated": True},
        "browserVersion": "1.0.0.0",
    }


class BrowserTest(WorkDir):
    def write_raw(self, runs, tree_ticks=0):
        raw = {
            "command": "node bench/browser.mjs --runs 3 --workers 2 --jobs 1000",
            "options": {
                "runs": len(runs),
                "workers": 2,
                "queue": 1024,
                "jobs": 1000,
                "warmupJobs": 50,
                "latencyJobs": 100,
                "latencyWarmup": 10,
            },
            "versions": {"node": "v20.0.0", "workerpool": "10.0.3", "comlink": "4.4.2"},
            "pkgBuilt": "2026-01-02T03:00:00Z",
            "treeTicks": tree_ticks,
            "runs": runs,
        }
        (self.work / "raw.json").write_text(json.dumps(raw))
        return write_meta(self.work, rounds=len(runs))

    def test_medians_and_ratios(self):
        meta = self.write_raw([browser_run(1.0), browser_run(2.0, 90), browser_run(0.5, 60)])
        md, chart = report.browser_report(self.work, meta)
        self.assertIn("## Medians of 3 runs", md)
        self.assertIn("## Run 3", md)
        self.assertIn("| brigade: `trySubmit` (awaited `submit` when full) + `results()` | 400,000 | 40.0x |", md)
        self.assertIn("| brigade: `Promise.all` of `run` (latency: awaited `run`) | 90,000 | 9.00x | 70 | 150 | 0.70x | 0.75x |", md)
        self.assertIn("| shared-memory echo, worker blocks in `Atomics.wait` (not a pool) |  |  | 55 | 120 | 0.55x | 0.60x |", md)
        self.assertNotIn("Comlink pool", "".join(r["label"] for r in chart["rows"]))
        trysubmit = chart["rows"][0]
        self.assertEqual(trysubmit["label"], "per job, trySubmit")
        self.assertEqual(trysubmit["values"], [0.025, 0.1, 0.2])
        p50 = next(r for r in chart["rows"] if r["label"] == "round trip p50, run()")
        self.assertEqual(p50["values"], [None, None, 0.7])
        self.assertEqual(p50["rounds"], [[], [], [0.7, 0.9, 0.6]])

    def test_goals(self):
        meta = self.write_raw([browser_run(), browser_run(), browser_run()])
        md, _ = report.browser_report(self.work, meta)
        self.assertIn("Goals (from the issue), on the medians of the 3 runs:", md)
        self.assertIn("- at least 10x workerpool's throughput, awaited `submit` + `results()`: met (15.0x)", md)
        self.assertIn("- at least 10x workerpool's throughput, `Promise.all` of `run`: missed (9.00x)", md)
        self.assertIn("(p50 of awaited `run` <= p50 of the echo): met (0.70x; p99 0.75x)", md)

    def test_round_trip_goal_missed(self):
        meta = self.write_raw([browser_run(brigade_p50=101)])
        md, _ = report.browser_report(self.work, meta)
        self.assertIn("Goals (from the issue):\n", md)
        self.assertIn("## Results\n", md)
        self.assertNotIn("## Run 1", md)
        self.assertIn("p50 of the echo): missed (1.01x; p99 0.75x)", md)

    def test_header(self):
        meta = self.write_raw([browser_run()], tree_ticks=4900)
        md, chart = report.browser_report(self.work, meta)
        # The process tree's 4900 ticks are more than the 4000 the script counted.
        self.assertIn("- other load: 1 s of CPU time used by other processes during the 30 s run (at most 2 x 30 s); "
                      "load average at the start: 0.50, 0.40, 0.30", md)
        self.assertIn("- browser: 1.0.0.0 (`HeadlessChrome/1.0`), headless, cross-origin isolated: true", md)
        self.assertIn("- node v20.0.0; workerpool 10.0.3; comlink 4.4.2", md)
        self.assertIn("wasm package built: 2026-01-02T03:00:00Z", md)
        self.assertIn("- command: `bench/run.sh browser` = `node bench/browser.mjs --runs 3 --workers 2 --jobs 1000`", md)
        self.assertEqual(chart["subtitle"], "2 cores; Chromium 1.0.0.0; 2 workers; 1000 echo jobs; medians of 1 runs; 2026-01-02")

    def test_notes_are_kept(self):
        self.write_raw([browser_run()])
        self.results.mkdir()
        notes = "## Reading the results\n\n- hand-written: keep me.\n  Second line.\n"
        (self.results / "browser.md").write_text("# old\n\n| stale | table |\n\n" + notes)
        md = report.write("browser", self.work, self.results)
        self.assertTrue(md.endswith("\n\n" + notes), md[-300:])
        self.assertNotIn("stale", md)
        self.assertEqual(md.count("## Reading the results"), 1)

    def test_placeholder_notes_without_an_old_file(self):
        meta = self.write_raw([browser_run()])
        md, _ = report.browser_report(self.work, meta)
        self.assertTrue(md.endswith("## Reading the results\n\n(Write the notes here; bench/report.py keeps "
                                    "this section when it rewrites the file.)\n"))

    def test_a_run_missing_a_contender_is_refused(self):
        second = browser_run()
        del second["latency"]["postmessage"]
        meta = self.write_raw([browser_run(), second])
        with self.assertRaisesRegex(report.ReportError, r"run 2 has no latency result for postmessage"):
            report.browser_report(self.work, meta)

    def test_stale_raw_is_refused(self):
        meta = self.write_raw([browser_run()])
        make_old(self.work / "raw.json")
        with self.assertRaisesRegex(report.ReportError, r"raw.json is older than the run"):
            report.browser_report(self.work, meta)

    def test_svg_is_xml_with_a_bar_per_value(self):
        self.write_raw([browser_run(), browser_run(1.5)])
        report.write("browser", self.work, self.results)
        chart = json.loads((self.results / "browser.json").read_text())
        values = [v for row in chart["rows"] for v in row["values"] if v is not None]
        self.assertEqual(len(values), 3 * 3 + 2)
        svg = bars((self.results / "browser.svg").read_text())
        self.assertEqual(len(svg), len(values))
        self.assertEqual(svg[0].find(f"{SVG}title").text, "per job, trySubmit ÷ workerpool: 0.03x")


# --- summary rows, the wasm area, summary.json and the README section ---------------


class SummaryRowTest(unittest.TestCase):
    def test_ratio_is_how_many_times_better_brigade_is(self):
        t = report.summary_row("s", "time per job", "ns", 100, "peer", 250)
        self.assertEqual(t["ratio"], 2.5)  # peer's time ÷ ours
        r = report.summary_row("s", "throughput", "jobs/s", 400_000, "peer", 10_000)
        self.assertEqual(r["ratio"], 40.0)  # our rate ÷ the peer's
        b = report.summary_row("s", "size", "bytes", 2000, "peer", 1000)
        self.assertEqual(b["ratio"], 0.5)
        self.assertEqual(
            set(t), {"scenario", "metric", "unit", "ours", "peer", "peer_value", "ratio"}
        )

    def test_a_figure_that_is_not_positive_is_refused(self):
        with self.assertRaisesRegex(report.ReportError, "must be positive"):
            report.summary_row("s", "m", "ns", 0, "peer", 1)

    def test_reading_says_who_wins_and_why_a_loss(self):
        win = report.summary_row("s", "m", "ns", 100, "crossbeam-channel", 200)
        self.assertEqual(summary.reading(win), "brigade is 2.00x faster than crossbeam-channel (0.50x its time).")
        loss = report.summary_row("s", "m", "ns", 150, "Go (goroutines)", 100)
        self.assertTrue(summary.reading(loss).startswith("brigade takes 1.50x the time of Go (goroutines) (50% more): Go switches"))
        far = report.summary_row("s", "m", "ns", 4200, "Go (goroutines)", 100)
        self.assertTrue(summary.reading(far).startswith("brigade takes 42.0x the time of Go (goroutines): Go switches"))
        seq = report.summary_row("channels seq, capacity 1", "m", "ns", 150, "flume", 100)
        self.assertIn(": `seq` runs on one thread", summary.reading(seq))
        start = report.summary_row("browser Pool.create to the first result", "warm", "ms", 60, "workerpool", 20)
        self.assertIn(": each of brigade's Web Workers instantiates the wasm module", summary.reading(start))
        rate = report.summary_row("s", "m", "jobs/s", 50, "workerpool", 100)
        self.assertIn("(50% fewer)", summary.reading(rate))
        floor = report.summary_row("s", "m", "ns", 300, report.FLOOR_PEER, 100)
        self.assertIn("3.00x the time of a bare park/unpark hand-off (beyond the 2x goal): the floor is", summary.reading(floor))
        below = report.summary_row("s", "m", "ns", 50, report.FLOOR_PEER, 100)
        self.assertIn("0.50x the time of a bare park/unpark hand-off (within the 2x goal): brigade's waits spin", summary.reading(below))


class AreaRowsTest(WorkDir):
    def test_pool_rows(self):
        PoolTest.write_pool(self)
        rows = []
        report.pool_report(self.work, json.loads((self.work / "meta.json").read_text()), rows)
        by_peer = {r["peer"]: r for r in rows}
        self.assertEqual(set(by_peer), set(report.POOL_PEERS.values()))
        self.assertEqual(by_peer["rayon::spawn"]["ratio"], 0.8)  # rayon 160 ÷ brigade 200
        self.assertEqual(by_peer["tokio::task::spawn_blocking"]["peer_value"], 400)
        self.assertEqual(by_peer["tokio::task::spawn_blocking"]["ratio"], 2.0)

    def test_channel_rows_have_std_where_it_runs_and_the_floor_on_threaded_rows(self):
        meta = ChannelsTest.write_channels(self)
        rows = []
        report.channels_report(self.work, meta, rows)
        peers = lambda name: [r["peer"] for r in rows if r["scenario"] == name]  # noqa: E731
        self.assertEqual(
            peers("channels seq, capacity 1"), ["crossbeam-channel", "flume", "std::sync::mpsc", "Go (goroutines)"]
        )
        self.assertNotIn("std::sync::mpsc", peers("channels mpmc, capacity 0"))
        self.assertIn(report.FLOOR_PEER, peers("channels spsc, capacity 0"))
        floor = next(r for r in rows if r["scenario"] == "channels spsc, capacity 0" and r["peer"] == report.FLOOR_PEER)
        self.assertEqual((floor["ours"], floor["peer_value"], floor["ratio"]), (100, 5000, 50.0))
        threads = next(r for r in rows if r["scenario"] == "channels mpsc, capacity 0" and "locked" in r["peer"])
        self.assertEqual(threads["peer_value"], 1200)

    def test_browser_rows(self):
        meta = BrowserTest.write_raw(self, [browser_run()])
        rows = []
        report.browser_report(self.work, meta, None, rows)
        tput = next(r for r in rows if r["metric"].startswith("throughput, trySubmit") and r["peer"] == "workerpool")
        self.assertEqual(tput["ratio"], 40.0)
        p50 = next(r for r in rows if r["metric"].startswith("round trip p50") and r["peer"] == "bare postMessage echo")
        self.assertEqual((p50["ours"], p50["peer_value"]), (70, 100))
        self.assertFalse([r for r in rows if r["peer"] == "Comlink pool" and "round trip" in r["metric"]])


def wasm_raw(kernel_ms, per_second, p50):
    run = browser_run()
    run["throughput"] = {"brigade-trysubmit": {"jobs": 10, "ms": 1, "perSecond": per_second}}
    run["latency"] = {"brigade-run": {"n": 10, "p50": p50, "p99": p50 * 2, "max": p50 * 3, "mean": p50}}
    run["kernel"] = {k: {"n": 3, "median": kernel_ms, "min": kernel_ms} for k in report.KERNEL_LABELS}
    return {"runs": [run]}


class WasmTest(WorkDir):
    def write_wasm(self, rounds=2):
        meta = write_meta(self.work, rounds=rounds, rustc_wasm="rustc 1.0.0-nightly", wasm_opt="wasm-opt version 132")
        (self.work / "sizes.json").write_text(json.dumps({"fast": 1_200_000, "release": 600_000}))
        for r in range(1, rounds + 1):
            (self.work / f"fast-{r}.json").write_text(json.dumps(wasm_raw(10 + r, 100_000, 80)))
            (self.work / f"release-{r}.json").write_text(json.dumps(wasm_raw(5 + r, 200_000, 80)))
            (self.work / f"native-{r}.txt").write_text(
                "kernel-sha256 5\nkernel-mandelbrot 6.5\nkernel-thumbnail 2\n" if r == 1 else
                "kernel-sha256 5\nkernel-mandelbrot 6.5\nkernel-thumbnail 4\n"
            )
        return meta

    def test_rows_and_table(self):
        meta = self.write_wasm()
        rows = []
        md, chart = report.wasm_report(self.work, meta, rows)
        size = rows[0]
        self.assertEqual((size["metric"], size["unit"], size["ratio"]), ("module size (brigade_wasm_bg.wasm)", "bytes", 2.0))
        sha = next(r for r in rows if "sha256" in r["metric"])
        self.assertEqual((sha["ours"], sha["peer_value"]), (6.5, 11.5))  # medians over the two rounds
        tput = next(r for r in rows if "trySubmit" in r["metric"])
        self.assertEqual(tput["ratio"], 2.0)
        self.assertIn("| module size (brigade_wasm_bg.wasm) | bytes | 600,000 | 1,200,000 | 2.0x |", md)
        self.assertIn("- rustc (wasm): rustc 1.0.0-nightly", md)
        self.assertEqual(chart["rows"][0]["values"], [0.5])
        native = [r for r in rows if r["scenario"] == "wasm vs native"]
        self.assertEqual([r["peer_value"] for r in native], [5, 6.5, 3])  # medians of the rounds
        self.assertEqual(native[0]["ratio"], 0.769)  # native 5 ÷ wasm 6.5
        self.assertIn("| kernel: sha256 of 4 MiB (native) | ms | 6.5 | 5 | 0.769x |", md)
        text = "\n".join(summary.goals(rows))
        self.assertIn("- wasm ÷ native <= 1.3 on each kernel: missed (sha256 of 4 MiB 1.30x; "
                      "mandelbrot 512x512, 256 iterations 1.00x; thumbnail 1024x1024 to 256x256 2.17x)", text)

    def test_missing_native_times_are_refused(self):
        meta = self.write_wasm()
        (self.work / "native-2.txt").unlink()
        with self.assertRaisesRegex(report.ReportError, "no native kernel times in round 2"):
            report.wasm_report(self.work, meta)

    def test_a_missing_round_is_refused(self):
        meta = self.write_wasm()
        (self.work / "release-2.json").unlink()
        with self.assertRaisesRegex(report.ReportError, "release-2.json is missing"):
            report.wasm_report(self.work, meta)

    def test_stale_round_is_refused(self):
        meta = self.write_wasm()
        make_old(self.work / "fast-1.json")
        with self.assertRaisesRegex(report.ReportError, "fast-1.json is older than the run"):
            report.wasm_report(self.work, meta)


class SummaryTest(WorkDir):
    def write_areas(self):
        PoolTest.write_pool(self)
        report.write("pool", self.work, self.results)
        WasmTest.write_wasm(self, rounds=1)
        report.write("wasm", self.work, self.results)

    def test_summary_json_md_and_runs(self):
        self.write_areas()
        md = summary.write_summary(self.results)
        rows = json.loads((self.results / "summary.json").read_text())
        self.assertIsInstance(rows, list)
        self.assertEqual([r["scenario"] for r in rows[:1]], ["pool, 1,000,000 no-op jobs on 2 workers"])
        self.assertTrue(any(r["scenario"] == "wasm build" for r in rows))
        for r in rows:
            self.assertEqual(set(r), {"scenario", "metric", "unit", "ours", "peer", "peer_value", "ratio"})
        runs = json.loads((self.results / "summary.runs.json").read_text())
        self.assertEqual([r["area"] for r in runs], ["pool", "wasm"])
        self.assertEqual(runs[0]["machine"], "2 cores, Test CPU")
        self.assertEqual(runs[0]["load_average"], "0.50 0.40 0.30")
        self.assertEqual(runs[1]["wasm_opt"], "wasm-opt version 132")
        self.assertIn("| pool, 1,000,000 no-op jobs on 2 workers | time per job | ns | 200 | rayon::spawn | 160 | 0.8 |", md)
        self.assertIn("- pool: 2026-01-02T03:04:05Z, 2 cores, Test CPU; load average at the start 0.50 0.40 0.30", md)
        self.assertIn("commit 0123456789abcdef0123456789abcdef01234567", md)
        self.assertIn("- channels <= 1.0x crossbeam-channel on every row: not measured in these results", md)
        self.assertEqual(md, (self.results / "summary.md").read_text())

    def test_goals_from_rows(self):
        rows = [
            report.summary_row("channels spsc, capacity 0", "time per message", "ns", 100, "crossbeam-channel", 80),
            report.summary_row("channels spsc, capacity 1", "time per message", "ns", 100, "crossbeam-channel", 120),
            report.summary_row("channels spsc, capacity 0", "time per message", "ns", 150, report.FLOOR_PEER, 100),
            report.summary_row("channels spsc, capacity 64", "time per message", "ns", 900, report.FLOOR_PEER, 100),
            report.summary_row("browser tiny jobs (echo)", "throughput, trySubmit + results()", "jobs/s", 400, "workerpool", 10),
        ]
        text = "\n".join(summary.goals(rows))
        self.assertIn("- channels <= 1.0x crossbeam-channel on every row: missed (1 of 2 rows; worst brigade ÷ crossbeam 1.25x)", text)
        self.assertIn("within 2x of the hand-off floor: met (1 of 1 rows; worst brigade ÷ floor 1.50x)", text)
        self.assertIn("- browser tiny jobs >= 10x workerpool's throughput (trySubmit): met (40.0x)", text)
        self.assertIn("- round trip p50 <= the postMessage echo's: not measured in these results", text)

    def test_no_results_is_an_error(self):
        with self.assertRaisesRegex(report.ReportError, "no <area>.rows.json"):
            summary.write_summary(self.results)

    def test_readme_section_replaced_between_markers_and_kept_around(self):
        self.write_areas()
        readme = self.work / "README.md"
        readme.write_text("# x\n\nintro\n\n## Performance\n\nold figures 123\n\n## Next\n\nkept\n")
        summary.write_readme(readme, self.results)
        first = readme.read_text()
        self.assertNotIn("old figures", first)
        self.assertTrue(first.startswith("# x\n\nintro\n\n" + summary.README_START + "\n## Performance\n"))
        self.assertTrue(first.endswith(summary.README_END + "\n\n## Next\n\nkept\n"), first[-200:])
        self.assertIn("### Worker pool", first)
        self.assertIn("| pool, 1,000,000 no-op jobs on 2 workers | time per job (ns) | 200 | rayon::spawn | 160 | 0.8 "
                      "| brigade takes 1.25x the time of rayon::spawn (25% more): a rayon job", first)
        self.assertIn("### The optimised wasm build", first)
        # A second run replaces its own section and nothing else.
        summary.write_readme(readme, self.results)
        self.assertEqual(readme.read_text(), first)


class StartupAndPageTest(WorkDir):
    def run_with(self, brigade_warm4, longtasks):
        run = browser_run()
        run["startup"] = {
            "startup-brigade": {"cold": {"workers": 4, "ms": 300}, "warm": {"1": 20, "4": brigade_warm4}},
            "startup-workerpool": {"cold": {"workers": 4, "ms": 150}, "warm": {"1": 30, "4": 60}},
        }
        page = {"jobs": 100000, "ms": 900, "longestTaskMs": 0, "frames": 50}
        run["mainThread"] = {
            "page-brigade": page | {"longTasks": longtasks, "worstFrameGapMs": 20},
            "page-workerpool": page | {"longTasks": 3, "longestTaskMs": 120, "worstFrameGapMs": 130},
        }
        return run

    def test_rows_tables_and_goals(self):
        meta = BrowserTest.write_raw(self, [self.run_with(50, 0), self.run_with(70, 0), self.run_with(200, 1)])
        rows = []
        md, _ = report.browser_report(self.work, meta, None, rows)
        cold = next(r for r in rows if r["metric"] == "cold, 4 workers")
        self.assertEqual((cold["ours"], cold["peer_value"], cold["ratio"]), (300, 150, 0.5))
        warm4 = next(r for r in rows if r["metric"] == "warm, 4 workers")
        self.assertEqual((warm4["ours"], warm4["ratio"]), (70, 0.857))
        gap = next(r for r in rows if r["metric"] == "worst gap between animation frames")
        self.assertEqual((gap["scenario"], gap["ratio"]), ("browser page during a 100,000-job run", 6.5))
        self.assertIn("| brigade | 300.0 (4) | 20.0 | 70.0 |", md)
        self.assertIn("| workerpool | 100,000 | 900 | 3 | 120 | 130.0 | 50 |", md)
        report.write("browser", self.work, self.results)
        text = summary.write_summary(self.results)
        self.assertIn("- Pool.create -> first result <= 100 ms for 4 workers, warm: met (70 ms; workerpool 60 ms)", text)
        self.assertIn("- zero long tasks during a 100,000-job run: met (brigade 0; workerpool 3; a run of 100,000 jobs)", text)


class ScalingTest(WorkDir):
    def write_scaling(self, figures):
        meta = write_meta(self.work, rounds=len(figures))
        for r, lines in enumerate(figures, 1):
            (self.work / f"scaling-{r}.txt").write_text(lines)
        return meta

    def test_times_speed_ups_and_goal(self):
        meta = self.write_scaling(
            [
                "scaling-brigade-1 160\nscaling-rayon-1 160\nscaling-brigade-2 84\nscaling-rayon-2 80\n",
                "scaling-brigade-1 170\nscaling-rayon-1 150\nscaling-brigade-2 90\nscaling-rayon-2 75\n",
                "scaling-brigade-1 150\nscaling-rayon-1 170\nscaling-brigade-2 80\nscaling-rayon-2 85\n",
            ]
        )
        rows = []
        md, chart = report.scaling_report(self.work, meta, rows)
        speed = next(r for r in rows if r["metric"] == "speed-up on 2 workers over 1")
        self.assertEqual((speed["unit"], speed["ours"], speed["peer_value"]), ("x", 1.905, 2.0))
        self.assertEqual(speed["ratio"], 0.952)  # a speed-up is better higher: ours ÷ rayon's
        self.assertIn("| 2 | 84.0 | 1.90x | 0.95 | 80.0 | 2.00x | 1.05x |", md)
        self.assertEqual(chart["rows"][1]["rounds"], [[1.05, 1.2, 0.9412]])
        text = "\n".join(summary.goals(rows))
        self.assertIn("- CPU scaling >= 0.9 x workers and within 10% of rayon: met "
                      "(native, 2 workers: 1.91x, rayon 2.00x)", text)

    def test_browser_scaling_rows(self):
        run = browser_run()
        run["scaling"] = {"1": 200, "2": 110}
        run["scalingRayon"] = {"1": 190, "2": 100}
        meta = BrowserTest.write_raw(self, [run])
        rows = []
        md, _ = report.browser_report(self.work, meta, None, rows)
        speed = next(r for r in rows if r["metric"] == "speed-up on 2 workers over 1")
        self.assertEqual((speed["ours"], speed["peer_value"], speed["ratio"]), (1.818, 1.9, 0.957))
        self.assertIn("| 2 | 110.0 | 1.82x | 100.0 | 1.90x |", md)
        self.assertIn("browser, 2 workers: 1.82x, rayon 1.90x", "\n".join(summary.goals(rows)))

    def test_a_missing_round_is_refused(self):
        meta = self.write_scaling(["scaling-brigade-1 1\nscaling-rayon-1 1\n"])
        (self.work / "scaling-1.txt").unlink()
        with self.assertRaisesRegex(report.ReportError, "no scaling times in round 1"):
            report.scaling_report(self.work, meta)


class PayloadTest(WorkDir):
    def test_rows_and_table(self):
        run = browser_run()
        run["payload"] = {
            "payload-brigade": {"16": 40, "1048576": 700},
            "payload-workerpool": {"16": 60, "1048576": 2100},
            "payload-postmessage": {"16": 80, "1048576": 2300},
            "payload-transfer": {"16": 90, "1048576": 560},
        }
        meta = BrowserTest.write_raw(self, [run])
        rows = []
        md, _ = report.browser_report(self.work, meta, None, rows)
        mib = [r for r in rows if r["metric"] == "round trip p50, 1 MiB"]
        self.assertEqual([r["peer"] for r in mib], list(report.PAYLOAD_PEERS.values()))
        self.assertEqual([r["ratio"] for r in mib], [3.0, 3.29, 0.8])
        self.assertIn("| brigade `run` | 40 | 700 |", md)
        self.assertIn("| contender | 16 B | 1 MiB |", md)
        self.assertIn("a transferred buffer moves without a copy", summary.reading(mib[2]))


class MemoryTest(WorkDir):
    def test_table_record_and_summary(self):
        runs = []
        for per_worker in (1_400_000, 1_500_000, 1_300_000):
            run = browser_run()
            run["memory"] = {"workers": 8, "perWorker": per_worker, "jobs": 100000, "perJob": 170, "total": 1}
            runs.append(run)
        meta = BrowserTest.write_raw(self, runs)
        md, _ = report.browser_report(self.work, meta)
        self.assertIn("shared memory grown per Web Worker 1,367 KiB (a pool of 8), per queued job 170 B "
                      "(100,000 queued numbers).", md)
        report.write("browser", self.work, self.results)
        record = json.loads((self.results / "browser.rows.json").read_text())["run"]
        self.assertEqual(record["memory"]["perWorker"], 1_400_000)
        self.assertIn("- browser memory: shared memory grown per Web Worker 1,367 KiB", summary.write_summary(self.results))


# --- redis --------------------------------------------------------------------------

# jobs/s per (scenario, engine) in each of 3 rounds; medians: queue-add-bulk
# brigade 400,000, BullMQ 10,000, bare 500,000.
REDIS_ROUNDS = {
    ("queue-add", "bullmq"): [5000, 6000, 7000],
    ("queue-add", "brigade"): [60000, 70000, 50000],
    ("queue-add", "bare"): [55000, 60000, 65000],
    ("queue-add-bulk", "bullmq"): [10000, 9000, 20000],
    ("queue-add-bulk", "brigade"): [400000, 300000, 450000],
    ("queue-add-bulk", "bare"): [500000, 600000, 400000],
    ("worker-generic", "bullmq"): [3000, 3000, 3000],
    ("worker-generic", "brigade"): [12000, 12000, 12000],
    ("worker-generic", "bare"): [36000, 36000, 36000],
    ("worker-concurrent", "bullmq"): [7000, 7000, 7000],
    ("worker-concurrent", "brigade"): [140000, 130000, 120000],
    ("worker-concurrent", "bare"): [300000, 300000, 300000],
    ("e2e-1", "brigade"): [150000, 150000, 150000],
    ("e2e-2", "brigade"): [140000, 145000, 150000],
    ("e2e-4", "brigade"): [120000, 120000, 120000],
}


class RedisTest(WorkDir):
    def write_redis(self, figures=REDIS_ROUNDS, rounds=3):
        meta = write_meta(self.work, rounds=rounds)
        (self.work / "redis-version.txt").write_text("v=7.0.15\n")
        for r in range(1, rounds + 1):
            lines = [
                json.dumps({"engine": e, "scenario": s, "jobs": 50000, "seconds": 50000 / v[r - 1],
                            "jobs_per_s": v[r - 1]})
                for (s, e), v in figures.items()
            ]
            (self.work / f"results-{r}.jsonl").write_text("\n".join(lines) + "\n")
        return meta

    def test_medians_ratios_rows_and_tables(self):
        meta = self.write_redis()
        rows = []
        md, chart = report.redis_report(self.work, meta, rows)
        self.assertEqual(len(rows), 8)
        bulk = [r for r in rows if r["scenario"].startswith("redis queue-add-bulk")]
        self.assertEqual([(r["peer"], r["ours"], r["peer_value"], r["ratio"]) for r in bulk], [
            (report.REDIS_PEERS["bullmq"], 400000, 10000, 40.0),
            (report.REDIS_PEERS["bare"], 400000, 500000, 0.8),
        ])
        self.assertTrue(all(r["unit"] == "jobs/s" and r["metric"] == "throughput" for r in rows))
        self.assertIn("| queue-add-bulk | 50,000 | 10,000 | 400,000 | 500,000 | 40.00x | 1.25x |", md)
        self.assertIn("| 2 | 145,000 | 0.97x |", md)
        self.assertIn("- redis-server: v=7.0.15", md)
        self.assertIn("What bounds the ratios", md)
        row = chart["rows"][1]
        self.assertEqual(row["label"], "queue-add-bulk")
        self.assertEqual(row["values"], [0.025, 1.25])
        self.assertEqual(row["rounds"][1], [1.25, 2.0, 0.8889])
        report.plot.check(chart)

    def test_files_summary_and_goals(self):
        self.write_redis()
        report.write("redis", self.work, self.results)
        for ext in ("md", "json", "svg", "rows.json"):
            self.assertTrue((self.results / f"redis.{ext}").exists(), ext)
        self.assertEqual(len(bars((self.results / "redis.svg").read_text())), 8)
        md = summary.write_summary(self.results)
        self.assertIn("- Redis queue-add-bulk >= 3.47x BullMQ's jobs/s: met (40.0x)", md)
        self.assertIn("- Redis worker-concurrent >= 8.78x BullMQ's jobs/s: met (18.6x)", md)
        self.assertIn("- Redis within 1.5x of the bare XADD/XREADGROUP/XACK loop on every scenario: missed "
                      "(2 of 4 rows; worst bare ÷ brigade 3.00x)", md)
        rows = json.loads((self.results / "redis.rows.json").read_text())["rows"]
        add, worker = rows[3], rows[5]
        self.assertIn("(20% fewer): the bare loop sends the same XADDs, while brigade-redis also encodes",
                      summary.reading(add))
        self.assertIn("hands it to a pool worker and back", summary.reading(worker))

    def test_a_missing_engine_is_refused_by_name(self):
        figures = {k: v for k, v in REDIS_ROUNDS.items() if k != ("worker-generic", "bare")}
        meta = self.write_redis(figures)
        with self.assertRaisesRegex(report.ReportError, "no bare result for worker-generic in round 1"):
            report.redis_report(self.work, meta)

    def test_a_missing_round_is_refused(self):
        meta = self.write_redis()
        (self.work / "results-3.jsonl").unlink()
        with self.assertRaisesRegex(report.ReportError, "no Redis results in round 3"):
            report.redis_report(self.work, meta)

    def test_stale_round_is_refused(self):
        meta = self.write_redis()
        make_old(self.work / "results-2.jsonl")
        with self.assertRaisesRegex(report.ReportError, "results-2.jsonl is older than the run"):
            report.redis_report(self.work, meta)

    def test_a_line_that_is_not_json_is_refused(self):
        meta = self.write_redis()
        with open(self.work / "results-1.jsonl", "a") as f:
            f.write("thread 'main' panicked\n")
        with self.assertRaisesRegex(report.ReportError, "results-1.jsonl:16: not a result line"):
            report.redis_report(self.work, meta)


if __name__ == "__main__":
    unittest.main()
