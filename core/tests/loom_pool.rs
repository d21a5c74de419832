//! Model checking with loom of the pool's submit/close/abort/resize/cancel
//! races and of Group's first-error cancellation. Every atomic and lock of
//! the pool, `Group`, `WaitGroup` and `Context` comes from `crate::loom`, so
//! the models see them all.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --test loom_pool`
//! (`make test` does, through `scripts/loom.sh`).
#![cfg(loom)]

use brigade::pool::{CancelReason, Failure, Spawner, Worker};
use brigade::{Context, Group, GroupError, Pool};

/// Starts pool workers as loom threads, with a stack of 256 KiB: a worker's
/// frames (its slot's record, a job's run) outgrow loom's small default.
struct LoomSpawner;

impl Spawner for LoomSpawner {
    fn spawn(&self, worker: Worker) -> std::io::Result<()> {
        loom::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || worker.run())?;
        Ok(())
    }
}

/// `loom::model` with the body on a thread of 256 KiB of stack: building a
/// pool (its workers' slots) outgrows the model's small main stack.
fn model(body: impl Fn() + Send + Sync + 'static) {
    let body = std::sync::Arc::new(body);
    loom::model(move || {
        let body = body.clone();
        loom::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || body())
            .unwrap()
            .join()
            .unwrap();
    });
}

fn pool() -> Pool<u32, u32, ()> {
    Pool::builder()
        .workers(1)
        .queue(1)
        .spawner(LoomSpawner)
        .build(|n: &u32, _: &Context| Ok(n * 2))
        .unwrap()
}

#[test]
fn one_job_submitted_then_closed_gives_one_outcome() {
    model(|| {
        let pool = pool();
        pool.submit(1).unwrap();
        pool.close();
        let got: Vec<_> = pool.results().iter().map(|o| o.result).collect();
        assert_eq!(got, [Ok(2)]);
    });
}

#[test]
fn submit_then_close_delivers_every_outcome_and_ends_results() {
    model(|| {
        let pool = pool();
        pool.submit(1).unwrap();
        pool.submit(2).unwrap(); // may wait for the worker to take job 1
        pool.close();
        let mut got: Vec<_> = pool.results().iter().map(|o| o.result.unwrap()).collect();
        got.sort();
        assert_eq!(got, [2, 4]);
        assert!(pool.results().is_closed());
    });
}

#[test]
fn abort_racing_the_worker_still_gives_one_outcome_per_job() {
    model(|| {
        let pool = std::sync::Arc::new(pool());
        pool.submit(1).unwrap();
        let p = pool.clone();
        let aborter = loom::thread::spawn(move || p.abort());
        let outcomes: Vec<_> = pool.results().iter().collect();
        aborter.join().unwrap();
        assert_eq!(outcomes.len(), 1);
        match &outcomes[0].result {
            Ok(2) | Err(Failure::Canceled(CancelReason::Pool)) => {}
            other => panic!("unexpected {other:?}"),
        }
    });
}

#[test]
fn resize_racing_close_gives_one_outcome_and_ends_results() {
    model(|| {
        let pool = std::sync::Arc::new(pool());
        pool.submit(1).unwrap();
        let p = pool.clone();
        let resizer = loom::thread::spawn(move || {
            // Refused only if the pool is closed by then.
            let _ = p.resize(2);
        });
        pool.close();
        let outcomes: Vec<_> = pool.results().iter().map(|o| o.result).collect();
        resizer.join().unwrap();
        assert_eq!(outcomes, [Ok(2)]);
        pool.join().unwrap();
    });
}

#[test]
fn cancel_racing_the_start_gives_one_outcome_and_leaves_no_id() {
    model(|| {
        let pool = std::sync::Arc::new(pool());
        let id = pool.submit(1).unwrap();
        let p = pool.clone();
        let canceler = loom::thread::spawn(move || {
            p.cancel(id);
        });
        pool.close();
        let outcomes: Vec<_> = pool.results().iter().map(|o| o.result).collect();
        canceler.join().unwrap();
        assert_eq!(outcomes.len(), 1);
        match &outcomes[0] {
            Ok(2) | Err(Failure::Canceled(CancelReason::Job)) => {}
            other => panic!("unexpected {other:?}"),
        }
        pool.join().unwrap();
        assert_eq!(pool.pending_cancels(), 0, "the canceled id stayed");
    });
}

#[test]
fn group_first_error_cancels_the_sibling() {
    model(|| {
        let tasks = Pool::builder()
            .workers(2)
            .queue(0)
            .spawner(LoomSpawner)
            .build_closures()
            .unwrap();
        let tasks = std::sync::Arc::new(tasks);
        let g: Group<&str> = Group::new().pool(tasks.clone());
        g.go(|_| Err("boom"));
        g.go(|ctx| {
            // Either the error already canceled the group, or it will.
            let _ = ctx.done().recv();
            Ok(())
        });
        assert_eq!(g.wait(), Err(GroupError::Task("boom")));
        assert!(g.context().is_done());
        tasks.close();
        tasks.join().unwrap();
    });
}

#[test]
fn group_submit_failure_cancels_the_queued_sibling_before_its_start() {
    model(|| {
        let pool = Pool::builder()
            .workers(1)
            .queue(1)
            .spawner(LoomSpawner)
            .build(|n: &u32, _: &Context| if *n == 0 { Err(()) } else { Ok(*n) })
            .unwrap();
        let g = Group::new();
        let failed = g.submit(&pool, 0).unwrap();
        let sibling = g.submit(&pool, 1).unwrap();
        // The failure's end reaches the group before the worker takes the
        // sibling: it is canceled whatever the interleaving.
        assert_eq!(g.wait(), Err(GroupError::Task(Failure::Error(()))));
        assert_eq!(g.failed_job(), Some(failed));
        pool.close();
        let outcomes: Vec<_> = pool.results().iter().collect();
        assert_eq!(outcomes.len(), 2);
        let s = outcomes.iter().find(|o| o.id == sibling).unwrap();
        assert_eq!(s.result, Err(Failure::Canceled(CancelReason::Job)));
        pool.join().unwrap();
    });
}
