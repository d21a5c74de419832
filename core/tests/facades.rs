//! The optional `tracing` and `metrics` features: a span per job run, and
//! counters and histograms through the `metrics` facade. Run with
//! `cargo test --all-features` (`make test` does).
#![cfg(all(feature = "tracing", feature = "metrics"))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use brigade::{Context, Pool};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Counts the `brigade.job` spans created, on every thread.
struct SpanCounter(Arc<AtomicUsize>);

impl Subscriber for SpanCounter {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        if span.metadata().name() == "brigade.job" {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn each_job_makes_a_span_and_outcome_counters_and_a_run_histogram() {
    let spans = Arc::new(AtomicUsize::new(0));
    tracing::subscriber::set_global_default(SpanCounter(spans.clone())).unwrap();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let pool = Pool::builder()
        .workers(2)
        .build(|n: &u32, _: &Context| {
            if n.is_multiple_of(4) {
                Err("no")
            } else {
                Ok(*n)
            }
        })
        .unwrap();
    for n in 0..20 {
        pool.submit(n).unwrap();
    }
    pool.join().unwrap();

    assert_eq!(spans.load(Ordering::SeqCst), 20, "one span per job run");
    let mut succeeded = 0;
    let mut failed = 0;
    let mut run_samples = 0;
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let k = key.key();
        let outcome = k
            .labels()
            .find(|l| l.key() == "outcome")
            .map(|l| l.value().to_owned());
        match (k.name(), outcome.as_deref(), value) {
            ("brigade_jobs_total", Some("succeeded"), DebugValue::Counter(n)) => succeeded = n,
            ("brigade_jobs_total", Some("error"), DebugValue::Counter(n)) => failed = n,
            ("brigade_job_run_seconds", _, DebugValue::Histogram(v)) => run_samples = v.len(),
            _ => {}
        }
    }
    assert_eq!((succeeded, failed, run_samples), (15, 5, 20));
}
