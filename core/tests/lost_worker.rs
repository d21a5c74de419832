//! `Pool::lose_worker`: a worker whose thread ended from outside is retired,
//! its job ends `Lost` exactly once, and a new worker takes its place.
//! Native threads cannot be killed, so each test abandons a thread that is
//! stuck in its handler, which is what the pool sees when a Web Worker is
//! terminated there.

use std::collections::HashMap;
use std::time::Duration;

use brigade::chan::{self, Receiver, Sender};
use brigade::pool::{Failure, LoseError, Loss};
use brigade::{Context, Pool};

/// A pool whose job `0` tells `started` it runs, then blocks until `release`
/// closes; other jobs return their input.
fn pool_with_stuck_job(workers: usize) -> (Pool<u32, u32, String>, Receiver<()>, Sender<()>) {
    let (started_tx, started) = chan::unbounded();
    let (release, released) = chan::bounded::<()>(0);
    let pool = Pool::builder()
        .workers(workers)
        .recover_lost_workers::<u32>()
        .build(move |&n: &u32, _: &Context| {
            if n == 0 {
                started_tx.send(()).unwrap();
                let _ = released.recv();
            }
            Ok::<_, String>(n)
        })
        .unwrap();
    (pool, started, release)
}

#[test]
fn the_lost_job_ends_once_and_the_pool_keeps_its_size() {
    let (pool, started, release) = pool_with_stuck_job(2);
    let stuck = pool.submit(0).unwrap();
    started.recv().unwrap();
    let worker = pool.running()[0].worker;
    assert_eq!(pool.lose_worker(worker, Loss::Died), Ok(Some(stuck)));
    // The pool still has two workers: 100 jobs run while the lost thread
    // is still stuck in its handler.
    for n in 1..=100 {
        pool.submit(n).unwrap();
    }
    let mut seen = HashMap::new();
    for _ in 0..101 {
        let o = pool.results().recv().unwrap();
        assert!(
            seen.insert(o.id, o.result.clone()).is_none(),
            "job {} twice",
            o.id
        );
    }
    assert_eq!(seen[&stuck], Err(Failure::Lost(Loss::Died)));
    assert_eq!(pool.workers(), 2);
    assert_eq!(pool.metrics().workers, 2);
    // The abandoned thread returns from its handler: its outcome is dropped,
    // and it leaves without counting itself out a second time.
    drop(release);
    pool.close();
    assert!(
        pool.results().recv().is_err(),
        "no second outcome for the lost job"
    );
    let m = pool.metrics();
    assert_eq!((m.lost, m.succeeded, m.submitted), (1, 100, 101));
    assert_eq!(m.finished(), m.submitted);
}

#[test]
fn a_killed_worker_counts_its_job_as_timed_out() {
    let (pool, started, _release) = pool_with_stuck_job(1);
    let handle = pool.run(0).unwrap();
    started.recv().unwrap();
    pool.lose_worker(pool.running()[0].worker, Loss::Killed)
        .unwrap();
    let o = handle.wait().unwrap();
    assert_eq!(o.result, Err(Failure::Lost(Loss::Killed)));
    assert_eq!(o.job, 0, "the outcome hands the job back");
    assert_eq!(pool.metrics().timed_out, 1);
    assert_eq!(Failure::<String>::Lost(Loss::Killed).kind(), "timed_out");
}

#[test]
fn losing_an_idle_worker_replaces_it_and_a_closed_pool_still_ends() {
    let (pool, _started, _release) = pool_with_stuck_job(1);
    assert_eq!(pool.run(5).unwrap().wait().unwrap().result, Ok(5));
    let idle = pool.metrics();
    assert_eq!(idle.busy, 0);
    // Worker 0 is the only one so far.
    assert_eq!(pool.lose_worker(0, Loss::Died), Ok(None));
    assert_eq!(pool.lose_worker(0, Loss::Died), Err(LoseError::NoWorker(0)));
    assert_eq!(pool.run(6).unwrap().wait().unwrap().result, Ok(6));
    pool.close();
    assert!(pool
        .results()
        .recv_timeout(Duration::from_secs(10))
        .is_err());
    assert!(pool.join().is_ok());
}

#[test]
fn a_pool_without_copies_refuses() {
    let pool = Pool::builder()
        .workers(1)
        .build(|&n: &u32, _: &Context| Ok::<_, String>(n))
        .unwrap();
    assert_eq!(
        pool.lose_worker(0, Loss::Died),
        Err(LoseError::NotRecoverable)
    );
    let wrong = Pool::builder()
        .workers(1)
        .recover_lost_workers::<u64>()
        .build(|&n: &u32, _: &Context| Ok::<_, String>(n));
    assert!(matches!(wrong, Err(brigade::pool::BuildError::KeepType)));
}
