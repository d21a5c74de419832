//! What a consumer counts on top of its pool's metrics: the stream's lag,
//! the group's pending entries, reclaimed and dead-lettered entries.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

/// Counters the engine thread writes and [`ConsumerMetrics`] reads.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) read: AtomicU64,
    pub(crate) reclaimed: AtomicU64,
    pub(crate) acked: AtomicU64,
    pub(crate) succeeded: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) requeued: AtomicU64,
    pub(crate) skipped_done: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) held: AtomicU64,
    /// Refreshed from `XINFO GROUPS` about twice a second; `u64::MAX` while
    /// unknown.
    pub(crate) lag: AtomicU64,
    pub(crate) group_pending: AtomicU64,
    pub(crate) delayed: AtomicU64,
    pub(crate) dead_len: AtomicU64,
    pub(crate) refreshes: AtomicU64,
}

impl Counters {
    pub(crate) fn new() -> Arc<Self> {
        let c = Counters::default();
        c.lag.store(u64::MAX, Ordering::Relaxed);
        c.group_pending.store(u64::MAX, Ordering::Relaxed);
        Arc::new(c)
    }

    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> StreamMetrics {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let known = |a: &AtomicU64| Some(get(a)).filter(|&n| n != u64::MAX);
        StreamMetrics {
            read: get(&self.read),
            reclaimed: get(&self.reclaimed),
            acked: get(&self.acked),
            succeeded: get(&self.succeeded),
            dead_lettered: get(&self.dead_lettered),
            requeued: get(&self.requeued),
            skipped_done: get(&self.skipped_done),
            reconnects: get(&self.reconnects),
            held: get(&self.held),
            lag: known(&self.lag),
            group_pending: known(&self.group_pending),
            delayed: get(&self.delayed),
            dead_len: get(&self.dead_len),
        }
    }
}

/// The stream side of [`ConsumerMetrics`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamMetrics {
    /// Entries this consumer read fresh (`XREADGROUP`).
    pub read: u64,
    /// Entries it took over from dead or stuck consumers (`XAUTOCLAIM`).
    pub reclaimed: u64,
    /// Entries it acknowledged (every final outcome, dead letters included).
    pub acked: u64,
    /// Jobs that succeeded.
    pub succeeded: u64,
    /// Entries it moved to the dead-letter stream.
    pub dead_lettered: u64,
    /// Entries it gave back to the stream at shutdown (canceled unfinished).
    pub requeued: u64,
    /// Entries acknowledged without running: their idempotency marker was
    /// already set (a duplicate delivery of a job that had completed).
    pub skipped_done: u64,
    /// Times it reconnected to Redis.
    pub reconnects: u64,
    /// Entries it holds now: read or reclaimed, not yet acknowledged. Never
    /// more than the pool's `workers + queue`.
    pub held: u64,
    /// Entries in the stream not yet delivered to the group (`XINFO GROUPS`
    /// `lag`), as of the last refresh; `None` before the first.
    pub lag: Option<u64>,
    /// Entries delivered to the group's consumers and not yet acknowledged,
    /// all consumers together, as of the last refresh.
    pub group_pending: Option<u64>,
    /// Delayed jobs not yet due, as of the last refresh.
    pub delayed: u64,
    /// Entries in the dead-letter stream, as of the last refresh.
    pub dead_len: u64,
}

/// A snapshot of a consumer: its pool's [`Metrics`](brigade::pool::Metrics)
/// and the stream's figures.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ConsumerMetrics {
    /// The pool's own metrics.
    pub pool: brigade::pool::Metrics,
    /// Lag, pending, reclaimed, dead-lettered and the other stream figures.
    pub stream: StreamMetrics,
}

struct Family {
    name: &'static str,
    help: &'static str,
    counter: bool,
    value: u64,
}

fn families(s: &StreamMetrics) -> Vec<Family> {
    let f = |name, help, counter, value| Family {
        name,
        help,
        counter,
        value,
    };
    let mut out = vec![
        f(
            "stream_read",
            "Entries read fresh from the stream",
            true,
            s.read,
        ),
        f(
            "stream_reclaimed",
            "Entries taken over from dead consumers (XAUTOCLAIM)",
            true,
            s.reclaimed,
        ),
        f("stream_acked", "Entries acknowledged", true, s.acked),
        f(
            "stream_dead_lettered",
            "Entries moved to the dead-letter stream",
            true,
            s.dead_lettered,
        ),
        f(
            "stream_requeued",
            "Entries given back to the stream at shutdown",
            true,
            s.requeued,
        ),
        f(
            "stream_skipped_done",
            "Entries acknowledged without running: already done",
            true,
            s.skipped_done,
        ),
        f(
            "stream_reconnects",
            "Reconnections to Redis",
            true,
            s.reconnects,
        ),
        f(
            "stream_held",
            "Entries this consumer holds (read, not acknowledged)",
            false,
            s.held,
        ),
        f(
            "stream_delayed",
            "Delayed jobs not yet due",
            false,
            s.delayed,
        ),
        f(
            "stream_dead_length",
            "Entries in the dead-letter stream",
            false,
            s.dead_len,
        ),
    ];
    if let Some(lag) = s.lag {
        out.push(f(
            "stream_lag",
            "Entries not yet delivered to the group",
            false,
            lag,
        ));
    }
    if let Some(p) = s.group_pending {
        out.push(f(
            "stream_pending",
            "Entries delivered to the group and not acknowledged",
            false,
            p,
        ));
    }
    out
}

impl ConsumerMetrics {
    /// The pool's [`to_prometheus`](brigade::pool::Metrics::to_prometheus)
    /// text followed by the stream's families, every name starting with
    /// `prefix`: counters end in `_total`, e.g. `<prefix>_stream_reclaimed_total`,
    /// gauges do not, e.g. `<prefix>_stream_lag`.
    pub fn to_prometheus(&self, prefix: &str) -> String {
        let mut out = self.pool.to_prometheus(prefix);
        for f in families(&self.stream) {
            let (kind, name) = if f.counter {
                ("counter", format!("{prefix}_{}_total", f.name))
            } else {
                ("gauge", format!("{prefix}_{}", f.name))
            };
            let _ = writeln!(
                out,
                "# HELP {name} {}\n# TYPE {name} {kind}\n{name} {}",
                f.help, f.value
            );
        }
        out
    }
}

/// The stream's families as a `prometheus-client` collector; see
/// [`Consumer::register`](crate::Consumer::register).
pub(crate) struct StreamCollector {
    pub(crate) prefix: String,
    pub(crate) counters: Arc<Counters>,
}

impl std::fmt::Debug for StreamCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamCollector")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Collector for StreamCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        for f in families(&self.counters.snapshot()) {
            let name = format!("{}_{}", self.prefix, f.name);
            let kind = if f.counter {
                MetricType::Counter
            } else {
                MetricType::Gauge
            };
            let metric = encoder.encode_descriptor(&name, f.help, None, kind)?;
            if f.counter {
                ConstCounter::new(f.value).encode(metric)?;
            } else {
                ConstGauge::new(f.value as i64).encode(metric)?;
            }
        }
        Ok(())
    }
}
