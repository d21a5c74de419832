//! Pool metrics: counters, gauges and wait/run-time distributions.
//!
//! Counters are atomics bumped where outcomes are delivered. Each worker records
//! wait and run times into its own HDR histogram (hdrhistogram crate: 3
//! significant figures, microsecond resolution), behind a lock only that worker
//! and `Pool::metrics` take, so recording is uncontended; a snapshot merges them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use hdrhistogram::Histogram;

use crate::runtime::Duration;

#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) submitted: AtomicU64,
    pub(crate) succeeded: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) canceled: AtomicU64,
    pub(crate) timed_out: AtomicU64,
    pub(crate) panicked: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) rate_limited_waits: AtomicU64,
    pub(crate) busy: AtomicUsize,
    pub(crate) busy_nanos: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// Wait- and run-time histograms of one worker.
pub(crate) struct Histograms {
    pub(crate) wait: Histogram<u64>,
    pub(crate) run: Histogram<u64>,
}

impl Histograms {
    pub(crate) fn new() -> Self {
        let h = || Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid histogram bounds");
        Histograms {
            wait: h(),
            run: h(),
        }
    }

    pub(crate) fn record(&mut self, wait: Duration, run: Duration) {
        self.wait.saturating_record(micros(wait));
        self.run.saturating_record(micros(run));
    }

    pub(crate) fn merge(&mut self, other: &Histograms) {
        // Same bounds on both sides: adding cannot fail.
        let _ = self.wait.add(&other.wait);
        let _ = self.run.add(&other.run);
    }
}

fn micros(d: Duration) -> u64 {
    (d.as_micros().min(u128::from(u64::MAX)) as u64).max(1)
}

/// Percentiles of a time distribution.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Quantiles {
    /// How many samples.
    pub count: u64,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

impl Quantiles {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        let at = |q: f64| Duration::from_micros(h.value_at_quantile(q));
        Quantiles {
            count: h.len(),
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            max: Duration::from_micros(h.max()),
        }
    }
}

/// A snapshot of a pool's state; see [`Pool::metrics`](crate::Pool::metrics).
///
/// At quiescence, `submitted == succeeded + failed + canceled + timed_out + panicked`.
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
    /// Jobs cancelled before or while running.
    pub canceled: u64,
    /// Jobs that ran out of time, queued or running.
    pub timed_out: u64,
    /// Jobs whose handler panicked.
    pub panicked: u64,
    /// Retries made (attempts beyond the first).
    pub retried: u64,
    /// Job starts that had to wait for the rate limit.
    pub rate_limited_waits: u64,
    /// Time from submission to start.
    pub wait: Quantiles,
    /// Time from start to end.
    pub run: Quantiles,
    /// Share of worker time spent running jobs since the pool started (0..=1).
    pub saturation: f64,
}

impl Metrics {
    /// The jobs that have ended, whatever the outcome.
    pub fn finished(&self) -> u64 {
        self.succeeded + self.failed + self.canceled + self.timed_out + self.panicked
    }

    /// Renders the snapshot in Prometheus' text exposition format (version
    /// 0.0.4), every name starting with `prefix` (e.g. `brigade_pool`).
    pub fn to_prometheus(&self, prefix: &str) -> String {
        let mut out = String::new();
        let mut gauge = |name: &str, help: &str, v: f64| {
            let _ = writeln!(
                out,
                "# HELP {prefix}_{name} {help}\n# TYPE {prefix}_{name} gauge\n{prefix}_{name} {v}"
            );
        };
        gauge("workers", "Workers running now.", self.workers as f64);
        gauge(
            "busy_workers",
            "Workers running a job now.",
            self.busy as f64,
        );
        gauge(
            "queued_jobs",
            "Jobs waiting in the queue.",
            self.queued as f64,
        );
        gauge(
            "queue_capacity",
            "Capacity of the job queue.",
            self.capacity as f64,
        );
        gauge(
            "saturation",
            "Share of worker time spent running jobs.",
            self.saturation,
        );
        let _ = writeln!(
            out,
            "# HELP {prefix}_jobs_total Jobs by outcome.\n# TYPE {prefix}_jobs_total counter"
        );
        for (outcome, v) in [
            ("submitted", self.submitted),
            ("succeeded", self.succeeded),
            ("failed", self.failed),
            ("canceled", self.canceled),
            ("timed_out", self.timed_out),
            ("panicked", self.panicked),
        ] {
            let _ = writeln!(out, "{prefix}_jobs_total{{outcome=\"{outcome}\"}} {v}");
        }
        for (name, help, v) in [
            ("retries_total", "Retries made.", self.retried),
            (
                "rate_limited_waits_total",
                "Job starts that waited for the rate limit.",
                self.rate_limited_waits,
            ),
        ] {
            let _ = writeln!(out, "# HELP {prefix}_{name} {help}\n# TYPE {prefix}_{name} counter\n{prefix}_{name} {v}");
        }
        for (name, help, q) in [
            ("wait_seconds", "Time from submission to start.", &self.wait),
            ("run_seconds", "Time from start to end.", &self.run),
        ] {
            let _ = writeln!(
                out,
                "# HELP {prefix}_{name} {help}\n# TYPE {prefix}_{name} summary"
            );
            for (quantile, d) in [("0.5", q.p50), ("0.9", q.p90), ("0.99", q.p99)] {
                let _ = writeln!(
                    out,
                    "{prefix}_{name}{{quantile=\"{quantile}\"}} {}",
                    d.as_secs_f64()
                );
            }
            let _ = writeln!(out, "{prefix}_{name}_count {}", q.count);
        }
        out
    }
}
