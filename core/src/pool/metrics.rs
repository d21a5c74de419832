//! Pool metrics: counters, gauges, wait/run-time distributions and saturation.
//!
//! Each worker keeps its own [`Record`]: how the jobs it ran ended, HDR
//! histograms of their wait and run times (hdrhistogram crate: 3 significant
//! figures, microsecond resolution) and its busy and alive time, in total and
//! per window of the pool's clock. The record sits behind a lock only that
//! worker and readers (`Pool::cancel`, `Pool::busy`, a snapshot) take, so
//! recording is uncontended and no counter is shared between workers; a
//! snapshot merges all records and adds the time of jobs still running. The
//! [`Counters`] shared by the whole pool count what no worker ran (submissions,
//! jobs canceled in the queue) and the rare events (retries, rate-limit
//! waits).
//!
//! Both exporters, [`Metrics::to_prometheus`] and (feature `prometheus`)
//! [`PoolCollector`](super::PoolCollector), render the one list of families
//! that [`Metrics::families`] builds, so they cannot drift apart.

use std::fmt::Write as _;

use hdrhistogram::Histogram;

use crate::loom::{AtomicU64, Ordering};
use crate::runtime::Duration;

/// How many windows [`Metrics::saturation_series`] covers.
pub const SATURATION_WINDOWS: usize = 60;

/// The upper bounds of the buckets of [`Distribution::buckets`].
pub const BUCKETS: [Duration; 16] = [
    Duration::from_micros(100),
    Duration::from_micros(250),
    Duration::from_micros(500),
    Duration::from_millis(1),
    Duration::from_micros(2_500),
    Duration::from_millis(5),
    Duration::from_millis(10),
    Duration::from_millis(25),
    Duration::from_millis(50),
    Duration::from_millis(100),
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_millis(2_500),
    Duration::from_secs(10),
    Duration::from_secs(60),
];

/// How a job ended, as the counters count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ended {
    Succeeded,
    Failed,
    Canceled,
    TimedOut,
    Panicked,
    Lost,
}

/// Jobs by how they ended, indexed by [`Ended`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally([u64; 6]);

impl Tally {
    pub(crate) fn get(&self, e: Ended) -> u64 {
        self.0[e as usize]
    }

    /// Every job counted, however it ended.
    pub(crate) fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    fn add(&mut self, other: &Tally) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) submitted: AtomicU64,
    /// Outcomes no worker delivered (a worker counts its own in its record).
    ended: [AtomicU64; 6],
    pub(crate) retried: AtomicU64,
    pub(crate) rate_limited_waits: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Release, and Acquire in [`Counters::tally`]: whoever reads the count
    /// also sees the job's `submitted` raise, which came before its end.
    pub(crate) fn ended(&self, e: Ended) {
        self.ended[e as usize].fetch_add(1, Ordering::Release);
    }

    pub(crate) fn tally(&self) -> Tally {
        Tally(std::array::from_fn(|i| {
            self.ended[i].load(Ordering::Acquire)
        }))
    }
}

/// Nanoseconds per window of the pool's clock (time since the pool started),
/// for the last [`SATURATION_WINDOWS`] windows. Each entry carries the window
/// it counts for, so a ring entry left from an older lap reads as zero.
#[derive(Clone)]
pub(crate) struct Windows {
    width: u64,
    /// (window + 1, nanoseconds); window 0 is the pool's first.
    ring: [(u64, u64); SATURATION_WINDOWS],
    /// The window `add` counted into last and its start: most jobs begin and
    /// end inside it, and then `add` needs no division.
    last: (u64, u64),
}

impl Windows {
    fn new(width: Duration) -> Self {
        Windows {
            width: nanos(width).max(1),
            ring: [(0, 0); SATURATION_WINDOWS],
            last: (0, 0),
        }
    }

    fn put(&mut self, window: u64, n: u64) {
        let e = &mut self.ring[(window % SATURATION_WINDOWS as u64) as usize];
        if e.0 < window + 1 {
            *e = (window + 1, 0);
        }
        if e.0 == window + 1 {
            e.1 += n;
        }
    }

    /// Counts the interval `[from, to)` (nanoseconds on the pool's clock),
    /// split over the windows it spans.
    fn add(&mut self, from: u64, to: u64) {
        let (w, start) = self.last;
        if from >= start && to <= start + self.width {
            return self.put(w, to.saturating_sub(from));
        }
        let last = to / self.width;
        self.last = (last, last * self.width);
        let kept = last.saturating_sub(SATURATION_WINDOWS as u64 - 1) * self.width;
        let mut t = from.max(kept);
        while t < to {
            let w = t / self.width;
            let end = ((w + 1) * self.width).min(to);
            self.put(w, end - t);
            t = end;
        }
    }

    fn merge(&mut self, other: &Windows) {
        for &(tag, n) in &other.ring {
            if tag > 0 {
                self.put(tag - 1, n);
            }
        }
    }

    fn get(&self, window: u64) -> u64 {
        let e = self.ring[(window % SATURATION_WINDOWS as u64) as usize];
        if e.0 == window + 1 {
            e.1
        } else {
            0
        }
    }
}

/// The longest time the histograms tell apart, in microseconds (an hour);
/// longer ones count as an hour.
const HIGHEST_MICROS: u64 = 3_600_000_000;
/// Two significant figures (1% resolution, which p50/p90/p99 need no finer
/// than): about 26 KiB per histogram, where three took about 184 KiB, and a
/// pool keeps two per worker.
const SIGNIFICANT_FIGURES: u8 = 2;

/// What one worker measured (or, merged, a whole pool).
pub(crate) struct Record {
    ended: Tally,
    wait: Histogram<u64>,
    run: Histogram<u64>,
    busy: Windows,
    alive: Windows,
    busy_total: u64,
    alive_total: u64,
}

impl Record {
    pub(crate) fn new(window: Duration) -> Self {
        let h = || {
            Histogram::new_with_bounds(1, HIGHEST_MICROS, SIGNIFICANT_FIGURES)
                .expect("valid histogram bounds")
        };
        Record {
            ended: Tally::default(),
            wait: h(),
            run: h(),
            busy: Windows::new(window),
            alive: Windows::new(window),
            busy_total: 0,
            alive_total: 0,
        }
    }

    /// Frees the histograms' storage (they become empty ones of the
    /// smallest size): for the slot of a lost worker, which its dead thread
    /// keeps for ever after its figures moved to the pool's `exited` record.
    pub(crate) fn shrink(&mut self) {
        let h = || Histogram::new(1).expect("valid histogram precision");
        self.wait = h();
        self.run = h();
    }

    /// Records a job that waited `wait`, ran over `[start, end)` on the
    /// pool's clock and ended as `ended`.
    pub(crate) fn job(&mut self, wait: Duration, start: Duration, end: Duration, ended: Ended) {
        self.ended.0[ended as usize] += 1;
        let run = end.saturating_sub(start);
        self.wait.saturating_record(micros(wait));
        self.run.saturating_record(micros(run));
        self.busy_for(start, end);
    }

    /// Counts `[start, end)` as busy time (a job that ended or is running).
    pub(crate) fn busy_for(&mut self, start: Duration, end: Duration) {
        let (a, b) = (nanos(start), nanos(end));
        self.busy.add(a, b);
        self.busy_total += b.saturating_sub(a);
    }

    /// Counts `[born, end)` as a worker's lifetime.
    pub(crate) fn alive_for(&mut self, born: Duration, end: Duration) {
        let (a, b) = (nanos(born), nanos(end));
        self.alive.add(a, b);
        self.alive_total += b.saturating_sub(a);
    }

    /// Back to what [`Record::new`] makes, keeping the histograms' storage.
    pub(crate) fn clear(&mut self) {
        self.ended = Tally::default();
        self.wait.reset();
        self.run.reset();
        self.busy = Windows::new(Duration::from_nanos(self.busy.width));
        self.alive = Windows::new(Duration::from_nanos(self.alive.width));
        self.busy_total = 0;
        self.alive_total = 0;
    }

    pub(crate) fn merge(&mut self, other: &Record) {
        self.ended.add(&other.ended);
        // Same bounds on both sides: adding cannot fail.
        let _ = self.wait.add(&other.wait);
        let _ = self.run.add(&other.run);
        self.busy.merge(&other.busy);
        self.alive.merge(&other.alive);
        self.busy_total += other.busy_total;
        self.alive_total += other.alive_total;
    }

    pub(crate) fn ended(&self) -> Tally {
        self.ended
    }

    pub(crate) fn wait(&self) -> &Histogram<u64> {
        &self.wait
    }

    pub(crate) fn run(&self) -> &Histogram<u64> {
        &self.run
    }

    /// Busy and alive time in total.
    pub(crate) fn totals(&self) -> (Duration, Duration) {
        (
            Duration::from_nanos(self.busy_total),
            Duration::from_nanos(self.alive_total),
        )
    }

    /// Saturation (busy ÷ alive time) of each window up to the one holding
    /// `now`, oldest first, and in total.
    pub(crate) fn saturation(&self, now: Duration) -> (Vec<f64>, f64) {
        let ratio = |busy: u64, alive: u64| {
            if alive == 0 {
                0.0
            } else {
                (busy as f64 / alive as f64).min(1.0)
            }
        };
        let last = nanos(now) / self.busy.width;
        let first = last.saturating_sub(SATURATION_WINDOWS as u64 - 1);
        let series = (first..=last)
            .map(|w| ratio(self.busy.get(w), self.alive.get(w)))
            .collect();
        (series, ratio(self.busy_total, self.alive_total))
    }
}

fn micros(d: Duration) -> u64 {
    (d.as_micros().min(u128::from(u64::MAX)) as u64).max(1)
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos().min(u128::from(u64::MAX)) as u64
}

/// A time distribution: percentiles, and counts per bucket for exporters.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Distribution {
    /// How many samples.
    pub count: u64,
    /// The samples added up (to the histogram's precision, 2 digits).
    pub sum: Duration,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
    /// For each bound of [`BUCKETS`], the samples at or below it (cumulative,
    /// as Prometheus counts them); `count` is the `+Inf` bucket.
    pub buckets: Vec<(Duration, u64)>,
}

impl Distribution {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        let at = |q: f64| Duration::from_micros(h.value_at_quantile(q));
        let sum = (h.mean() * h.len() as f64).round();
        Distribution {
            count: h.len(),
            sum: Duration::from_micros(sum as u64),
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: Duration::from_micros(h.max()),
            buckets: BUCKETS
                .iter()
                .map(|&b| (b, h.count_between(0, micros(b))))
                .collect(),
        }
    }
}

/// A snapshot of a pool's state; see [`Pool::metrics`](crate::Pool::metrics).
///
/// At quiescence, `submitted == succeeded + failed + canceled + timed_out + panicked + lost`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Metrics {
    /// Workers running now.
    pub workers: usize,
    /// Workers running a job now.
    pub busy: usize,
    /// Workers waiting for a job now.
    pub idle: usize,
    /// Jobs waiting in the queue.
    pub queued: usize,
    /// The queue's capacity.
    pub capacity: usize,
    /// Jobs accepted.
    pub submitted: u64,
    /// Jobs that produced a value.
    pub succeeded: u64,
    /// Jobs whose handler returned an error (after retries).
    pub failed: u64,
    /// Jobs canceled before or while running.
    pub canceled: u64,
    /// Jobs that ran out of time, queued or running.
    pub timed_out: u64,
    /// Jobs whose handler panicked.
    pub panicked: u64,
    /// Jobs whose worker was lost while running them (its thread died; see
    /// [`Pool::lose_worker`](crate::Pool::lose_worker)). A worker killed for
    /// running past a hard limit counts its job in `timed_out`.
    pub lost: u64,
    /// Retries made (attempts beyond the first).
    pub retried: u64,
    /// Job starts that had to wait for the rate limit.
    pub rate_limited_waits: u64,
    /// Time from submission to start.
    pub wait: Distribution,
    /// Time from start to end.
    pub run: Distribution,
    /// Worker time spent running jobs since the pool started, jobs still
    /// running included.
    pub busy_time: Duration,
    /// Worker time since the pool started: each worker's lifetime, added up.
    pub worker_time: Duration,
    /// `busy_time / worker_time` (0..=1).
    pub saturation: f64,
    /// Saturation per window of [`saturation_window`](Self::saturation_window)
    /// on the pool's clock, oldest first, at most [`SATURATION_WINDOWS`]; the
    /// last entry is the window in progress.
    pub saturation_series: Vec<f64>,
    /// The width of a window of `saturation_series`.
    pub saturation_window: Duration,
}

/// A number as an exporter writes it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    Int(u64),
    Real(f64),
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Int(n) => write!(f, "{n}"),
            Num::Real(x) => write!(f, "{x}"),
        }
    }
}

/// The value of one metric family.
pub(crate) enum Value<'a> {
    Gauge(Num),
    /// Rendered with the `_total` suffix.
    Counter(Num),
    /// A counter per outcome, labelled `outcome`, rendered as `jobs_total`.
    Outcomes([(&'static str, u64); 7]),
    /// In seconds.
    Histogram(&'a Distribution),
}

/// One metric family: its name (after the exporter's prefix, before any
/// suffix), help text and value.
pub(crate) struct Family<'a> {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) value: Value<'a>,
}

impl Metrics {
    /// The jobs that have ended, whatever the outcome.
    pub fn finished(&self) -> u64 {
        self.succeeded + self.failed + self.canceled + self.timed_out + self.panicked + self.lost
    }

    /// The families both exporters render. Saturation over any window is
    /// `rate(busy_seconds_total) / rate(worker_seconds_total)`, which is why
    /// those two are counters and the series is not exported.
    pub(crate) fn families(&self) -> Vec<Family<'_>> {
        let int = |n: usize| Num::Int(n as u64);
        let family = |name, help, value| Family { name, help, value };
        vec![
            family(
                "workers",
                "Workers running now.",
                Value::Gauge(int(self.workers)),
            ),
            family(
                "busy_workers",
                "Workers running a job now.",
                Value::Gauge(int(self.busy)),
            ),
            family(
                "queued_jobs",
                "Jobs waiting in the queue.",
                Value::Gauge(int(self.queued)),
            ),
            family(
                "queue_capacity",
                "Capacity of the job queue.",
                Value::Gauge(int(self.capacity)),
            ),
            family(
                "saturation",
                "Share of worker time spent running jobs since the pool started.",
                Value::Gauge(Num::Real(self.saturation)),
            ),
            family(
                "jobs",
                "Jobs by outcome; submitted counts every accepted job.",
                Value::Outcomes([
                    ("submitted", self.submitted),
                    ("succeeded", self.succeeded),
                    ("failed", self.failed),
                    ("canceled", self.canceled),
                    ("timed_out", self.timed_out),
                    ("panicked", self.panicked),
                    ("lost", self.lost),
                ]),
            ),
            family(
                "retries",
                "Retries made.",
                Value::Counter(Num::Int(self.retried)),
            ),
            family(
                "rate_limited_waits",
                "Job starts that waited for the rate limit.",
                Value::Counter(Num::Int(self.rate_limited_waits)),
            ),
            family(
                "busy_seconds",
                "Worker time spent running jobs.",
                Value::Counter(Num::Real(self.busy_time.as_secs_f64())),
            ),
            family(
                "worker_seconds",
                "Worker time, each worker's lifetime added up.",
                Value::Counter(Num::Real(self.worker_time.as_secs_f64())),
            ),
            family(
                "wait_seconds",
                "Time from submission to start.",
                Value::Histogram(&self.wait),
            ),
            family(
                "run_seconds",
                "Time from start to end.",
                Value::Histogram(&self.run),
            ),
        ]
    }

    /// Renders the snapshot in Prometheus' text exposition format (version
    /// 0.0.4), every name starting with `prefix` (e.g. `brigade_pool`). Needs
    /// no feature; to serve a pool from a `prometheus-client` registry, see
    /// [`PoolCollector`](super::PoolCollector) (feature `prometheus`).
    pub fn to_prometheus(&self, prefix: &str) -> String {
        let mut out = String::new();
        for f in self.families() {
            let (kind, name) = match f.value {
                Value::Gauge(_) => ("gauge", format!("{prefix}_{}", f.name)),
                Value::Counter(_) | Value::Outcomes(_) => {
                    ("counter", format!("{prefix}_{}_total", f.name))
                }
                Value::Histogram(_) => ("histogram", format!("{prefix}_{}", f.name)),
            };
            let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} {kind}", f.help);
            match f.value {
                Value::Gauge(v) | Value::Counter(v) => {
                    let _ = writeln!(out, "{name} {v}");
                }
                Value::Outcomes(counts) => {
                    for (outcome, n) in counts {
                        let _ = writeln!(out, "{name}{{outcome=\"{outcome}\"}} {n}");
                    }
                }
                Value::Histogram(d) => {
                    for (bound, n) in &d.buckets {
                        let _ =
                            writeln!(out, "{name}_bucket{{le=\"{}\"}} {n}", bound.as_secs_f64());
                    }
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{le=\"+Inf\"}} {}\n{name}_sum {}\n{name}_count {}",
                        d.count,
                        d.sum.as_secs_f64(),
                        d.count
                    );
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: u64 = SATURATION_WINDOWS as u64;

    #[test]
    fn an_interval_is_split_over_the_windows_it_spans() {
        let mut w = Windows::new(Duration::from_nanos(10));
        w.add(5, 32);
        assert_eq!((w.get(0), w.get(1), w.get(2), w.get(3)), (5, 10, 10, 2));
        assert_eq!(w.get(4), 0);
    }

    #[test]
    fn back_to_back_intervals_count_each_nanosecond_in_its_window() {
        // Intervals in and across windows, as a worker's jobs come: the
        // division-free path for one window must agree with the split.
        let mut w = Windows::new(Duration::from_nanos(10));
        let mut want = [0u64; 8];
        let mut t = 0;
        for len in [3, 4, 2, 1, 9, 0, 5, 11, 3, 2, 7, 6, 4, 1] {
            w.add(t, t + len);
            for ns in t..t + len {
                want[(ns / 10) as usize] += 1;
            }
            t += len + (len % 3);
        }
        let got: Vec<u64> = (0..8).map(|i| w.get(i)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_window_a_lap_old_reads_zero_and_is_replaced() {
        let mut w = Windows::new(Duration::from_nanos(10));
        w.add(0, 10);
        w.add(10 * N, 10 * N + 3); // same ring entry, next lap
        assert_eq!((w.get(0), w.get(N)), (0, 3));
        w.add(0, 10); // older than the entry now there: dropped
        assert_eq!((w.get(0), w.get(N)), (0, 3));
    }

    #[test]
    fn a_long_interval_keeps_only_the_last_windows() {
        let mut w = Windows::new(Duration::from_nanos(10));
        w.add(0, 10 * (2 * N) + 4);
        assert_eq!(w.get(2 * N), 4);
        assert_eq!(w.get(N + 1), 10, "the oldest window kept");
        assert_eq!(w.get(N), 0, "a window too old to keep");
    }

    #[test]
    fn merged_windows_add_up_and_saturation_divides_them() {
        let width = Duration::from_nanos(10);
        let mut a = Record::new(width);
        a.alive_for(Duration::ZERO, Duration::from_nanos(30));
        a.busy_for(Duration::from_nanos(10), Duration::from_nanos(20));
        let mut b = Record::new(width);
        b.alive_for(Duration::from_nanos(10), Duration::from_nanos(30));
        b.busy_for(Duration::from_nanos(10), Duration::from_nanos(25));
        a.merge(&b);
        let (series, total) = a.saturation(Duration::from_nanos(29));
        assert_eq!(series, vec![0.0, 1.0, 0.25]);
        assert_eq!(total, 25.0 / 50.0);
    }
}
