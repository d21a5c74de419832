//! Accounting under stress: 1,000,000 jobs through 8 workers with random
//! failures, panics and cancellations and a resize mid-way. Every id must get
//! exactly one outcome, nothing may deadlock, and no worker thread may be left.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use brigade::pool::Failure;
use brigade::{Context, Pool};

const JOBS: u64 = 1_000_000;

fn worker_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .map(|tasks| {
            tasks
                .filter_map(Result::ok)
                .filter(|t| {
                    std::fs::read_to_string(t.path().join("comm"))
                        .is_ok_and(|c| c.starts_with("brigade-worke"))
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_million_jobs_each_get_exactly_one_outcome() {
    std::panic::set_hook(Box::new(|_| {})); // 10,000 expected panics: keep the log readable
    let (done_tx, done_rx) = mpsc::channel();
    let run = thread::spawn(move || {
        let pool = Pool::builder()
            .workers(8)
            .queue(1024)
            .build(|n: &u64, _: &Context| {
                // A cheap deterministic mix: 5% errors, 1% panics.
                let h = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
                match h % 100 {
                    0 => panic!("job {n} panicked"),
                    1..=5 => Err(*n),
                    _ => Ok(*n),
                }
            })
            .unwrap();
        let pool = std::sync::Arc::new(pool);
        let submitter = {
            let pool = pool.clone();
            thread::spawn(move || {
                let mut targeted = std::collections::HashSet::new();
                let mut rng = 0x2545_f491_4f6c_dd1du64;
                for i in 1..=JOBS {
                    let id = pool.submit(i).unwrap();
                    assert_eq!(id, i);
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    if rng.is_multiple_of(100) {
                        let target = id.saturating_sub(rng % 512).max(1);
                        targeted.insert(target);
                        pool.cancel(target);
                    }
                    if i == JOBS / 3 {
                        pool.resize(3).unwrap();
                    }
                    if i == 2 * JOBS / 3 {
                        pool.resize(8).unwrap();
                    }
                }
                pool.close();
                targeted
            })
        };
        let mut seen = vec![false; JOBS as usize + 1];
        let (mut ok, mut failed, mut panicked, mut canceled) = (0u64, 0u64, 0u64, 0u64);
        let mut canceled_ids = Vec::new();
        for o in pool.results() {
            assert!(!seen[o.id as usize], "job {} got two outcomes", o.id);
            seen[o.id as usize] = true;
            assert_eq!(o.job, o.id, "the outcome hands back its own job");
            match o.result {
                Ok(v) => {
                    assert_eq!(v, o.id);
                    ok += 1;
                }
                Err(Failure::Error(_)) => failed += 1,
                Err(Failure::Panicked(_)) => panicked += 1,
                Err(Failure::Canceled(_)) => {
                    canceled += 1;
                    canceled_ids.push(o.id);
                }
                Err(other) => panic!("unexpected outcome {other:?}"),
            }
        }
        let targeted = submitter.join().unwrap();
        // How many cancels land depends on how deep the queue is when they
        // are made (scheduling); which jobs end canceled does not.
        assert!(
            canceled_ids.iter().all(|id| targeted.contains(id)),
            "only the jobs canceled by id end Canceled"
        );
        assert!(seen[1..].iter().all(|&s| s), "every job got an outcome");
        let m = pool.metrics();
        assert_eq!((m.submitted, m.finished()), (JOBS, JOBS));
        assert_eq!(
            (m.succeeded, m.failed, m.panicked, m.canceled),
            (ok, failed, panicked, canceled)
        );
        assert!(panicked > 5_000 && failed > 30_000 && canceled > 0, "{m:?}");
        pool.join().unwrap();
        done_tx.send(()).unwrap();
    });
    done_rx
        .recv_timeout(Duration::from_secs(600))
        .expect("no deadlock: the run finished");
    run.join().unwrap();
    // Workers are gone once join returned; give the OS a moment to reap them.
    for _ in 0..100 {
        if worker_threads() == 0 {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(worker_threads(), 0, "no worker thread leaked");
}
