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
                    ns = {"brigade": 100, "crossbeam": 80, "flume": 200, "go": 120}
                    ns |= changes.get((scenario, cap), {})
                    for lib in report.CHANNEL_LIBS:
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
        self.assertIn("| spsc | 0 | 150.0 | 100.0 | 200.0 | 120.0 | 1.50x (1.50) | 1.25x (1.25) | missed: crossbeam, Go |", md)
        self.assertIn("| spsc | unbounded | 150.0 | 100.0 | 200.0 | 120.0 | 1.50x (1.50) | 1.25x (1.25) | missed: Go |", md)
        self.assertIn("| mpmc | 64 | 130.0 | 100.0 | 200.0 | 120.0 | 1.30x (1.30) | 1.08x (1.08) | missed: Go |", md)
        self.assertIn("| select | 1 | 100.0 | 80.0 | 200.0 | 50.0 | 1.25x (1.25) | 2.00x (2.00) | missed: Go |", md)
        self.assertIn("| seq | 1 | 100.0 | 80.0 | 200.0 | 120.0 | 1.25x (1.25) | 0.83x (0.83) | ok |", md)
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
        self.assertIn("| spsc | 1 | 100.0 | 80.0 | 200.0 | 120.0 | 1.25x (1.25 / 5.00 / 0.50) |", md)
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
        self.assertIn("web/pkg built: 2026-01-02T03:00:00Z", md)
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


if __name__ == "__main__":
    unittest.main()
