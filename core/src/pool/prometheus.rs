//! A pool as a `prometheus-client` collector (feature `prometheus`).

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

use super::metrics::{Family, Metrics, Num, Value};

type Snapshot = Box<dyn Fn() -> Metrics + Send + Sync>;

/// Reads a pool's [`Metrics`] on each scrape of the `prometheus-client`
/// registry it is registered with; made by
/// [`Pool::collector`](super::Pool::collector).
///
/// It writes the families of [`Metrics::to_prometheus`], with histograms in
/// seconds, so a dashboard works with either. `rate(<prefix>_busy_seconds_total)
/// / rate(<prefix>_worker_seconds_total)` is the pool's saturation over any
/// window.
pub struct PoolCollector {
    prefix: String,
    snapshot: Snapshot,
}

impl PoolCollector {
    pub(crate) fn new(
        prefix: &str,
        snapshot: impl Fn() -> Metrics + Send + Sync + 'static,
    ) -> Self {
        PoolCollector {
            prefix: prefix.to_owned(),
            snapshot: Box::new(snapshot),
        }
    }
}

impl fmt::Debug for PoolCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolCollector")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Collector for PoolCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let m = (self.snapshot)();
        for Family { name, help, value } in m.families() {
            let name = format!("{}_{name}", self.prefix);
            let kind = match value {
                Value::Gauge(_) => MetricType::Gauge,
                Value::Counter(_) | Value::Outcomes(_) => MetricType::Counter,
                Value::Histogram(_) => MetricType::Histogram,
            };
            let mut metric = encoder.encode_descriptor(&name, help, None, kind)?;
            match value {
                Value::Gauge(Num::Int(n)) => ConstGauge::new(n as i64).encode(metric)?,
                Value::Gauge(Num::Real(x)) => ConstGauge::new(x).encode(metric)?,
                Value::Counter(Num::Int(n)) => ConstCounter::new(n).encode(metric)?,
                Value::Counter(Num::Real(x)) => ConstCounter::new(x).encode(metric)?,
                Value::Outcomes(counts) => {
                    for (outcome, n) in counts {
                        let labels = [("outcome", outcome)];
                        ConstCounter::new(n).encode(metric.encode_family(&labels)?)?;
                    }
                }
                Value::Histogram(d) => {
                    // prometheus-client takes per-bucket counts, the last one
                    // bounded by f64::MAX for +Inf; ours are cumulative.
                    let mut below = 0;
                    let mut buckets: Vec<(f64, u64)> = d
                        .buckets
                        .iter()
                        .map(|&(bound, n)| {
                            let here = n - below;
                            below = n;
                            (bound.as_secs_f64(), here)
                        })
                        .collect();
                    buckets.push((f64::MAX, d.count - below));
                    metric.encode_histogram::<NoLabelSet>(
                        d.sum.as_secs_f64(),
                        d.count,
                        &buckets,
                        None,
                    )?;
                }
            }
        }
        Ok(())
    }
}
