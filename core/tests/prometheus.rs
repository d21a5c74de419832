//! The `prometheus` feature: a pool registered in a `prometheus-client`
//! registry. Run with `cargo test --all-features` (`make test` does).
#![cfg(feature = "prometheus")]

use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

use brigade::{Context, Pool};
use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

fn scrape(registry: &Registry) -> String {
    let mut out = String::new();
    encode(&mut out, registry).unwrap();
    out
}

/// The metric names of a text exposition's samples (labels dropped).
fn sample_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split(['{', ' ']).next().unwrap().to_owned())
        .collect()
}

#[test]
fn the_collector_reports_the_pool_at_each_scrape() {
    let pool = Pool::builder()
        .workers(2)
        .build(|n: &u32, _: &Context| {
            if n.is_multiple_of(2) {
                Ok(*n)
            } else {
                Err("odd")
            }
        })
        .unwrap();
    let mut registry = Registry::default();
    registry.register_collector(Box::new(pool.collector("brigade_pool")));
    let before = scrape(&registry);
    assert!(
        before.contains("brigade_pool_jobs_total{outcome=\"submitted\"} 0\n"),
        "{before}"
    );

    for n in 0..10 {
        pool.submit(n).unwrap();
    }
    pool.close();
    pool.join().unwrap();
    let after = scrape(&registry);
    for line in [
        "# TYPE brigade_pool_jobs counter",
        "brigade_pool_jobs_total{outcome=\"submitted\"} 10\n",
        "brigade_pool_jobs_total{outcome=\"succeeded\"} 5\n",
        "brigade_pool_jobs_total{outcome=\"failed\"} 5\n",
        "# TYPE brigade_pool_run_seconds histogram",
        "brigade_pool_run_seconds_count 10\n",
        "brigade_pool_run_seconds_bucket{le=\"+Inf\"} 10\n",
        "brigade_pool_wait_seconds_bucket{le=\"+Inf\"} 10\n",
        "# TYPE brigade_pool_busy_seconds counter",
        "# TYPE brigade_pool_worker_seconds counter",
        "# TYPE brigade_pool_saturation gauge",
        "# EOF",
    ] {
        assert!(after.contains(line), "no {line:?} in\n{after}");
    }
    // Both exporters write the same samples.
    assert_eq!(
        sample_names(&after),
        sample_names(&pool.metrics().to_prometheus("brigade_pool")),
    );

    // The collector does not keep the pool open: dropped, its workers leave
    // and the next scrape says so.
    drop(pool);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !scrape(&registry).contains("brigade_pool_workers 0\n") {
        assert!(Instant::now() < deadline, "workers still running");
        thread::sleep(Duration::from_millis(1));
    }
}
