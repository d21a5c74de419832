//! `Group` and `ResultGroup`: Go's errgroup semantics.

mod block_on;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use block_on::block_on;
use brigade::chan::{self, RecvTimeoutError};
use brigade::{Context, ContextError, Group, GroupError, Pool, ResultGroup};

#[test]
fn a_group_of_one_successful_task_waits_ok() {
    let g: Group<String> = Group::new();
    g.go(|_| Ok(()));
    assert_eq!(g.wait(), Ok(()));
}

#[test]
fn the_first_error_cancels_the_siblings_and_is_returned() {
    let g = Group::new();
    let stopped_early = Arc::new(AtomicUsize::new(0));
    for i in 0..4 {
        let stopped = stopped_early.clone();
        g.go(move |ctx| {
            if i == 0 {
                thread::sleep(Duration::from_millis(10));
                return Err("first");
            }
            match ctx.done().recv_timeout(Duration::from_secs(10)) {
                Err(RecvTimeoutError::Closed) => {
                    stopped.fetch_add(1, Ordering::SeqCst);
                    Err("sibling saw the cancel")
                }
                _ => Ok(()),
            }
        });
    }
    let t0 = Instant::now();
    assert_eq!(
        g.wait(),
        Err(GroupError::Task("first")),
        "the first error wins, not the siblings' later ones"
    );
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "siblings stopped early"
    );
    assert_eq!(stopped_early.load(Ordering::SeqCst), 3);
    assert_eq!(g.context().err(), Some(ContextError::Canceled));
}

#[test]
fn wait_cancels_the_context_even_without_errors() {
    let g: Group<()> = Group::new();
    g.go(|_| Ok(()));
    g.wait().unwrap();
    assert!(
        g.context().is_done(),
        "as Go's errgroup: the context is canceled once Wait returns"
    );
}

#[test]
fn limit_bounds_concurrency_and_try_go_refuses_at_the_limit() {
    let g: Group<()> = Group::new().limit(2);
    let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (open, gate) = chan::bounded::<()>(0);
    for _ in 0..2 {
        let (running, peak, gate) = (running.clone(), peak.clone(), gate.clone());
        g.go(move |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let _ = gate.recv();
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    assert!(!g.try_go(|_| Ok(())), "two running: at the limit");
    drop(open);
    for _ in 0..20 {
        let (running, peak) = (running.clone(), peak.clone());
        g.go(move |_| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(1));
            running.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        });
    }
    g.wait().unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), 2);
    drop(gate);
}

#[test]
#[should_panic(expected = "task exploded")]
fn a_task_panic_is_resumed_by_wait() {
    let g: Group<()> = Group::new();
    g.go(|_| panic!("task exploded"));
    let _ = g.wait();
}

#[test]
fn the_parent_context_cancels_the_group() {
    let (parent, cancel) = Context::with_cancel(&Context::background());
    let g: Group<&str> = Group::with_context(&parent);
    g.go(|ctx| {
        let _ = ctx.done().recv();
        Err("canceled by the parent")
    });
    cancel.cancel();
    assert_eq!(g.wait(), Err(GroupError::Task("canceled by the parent")));
}

#[test]
fn result_group_keeps_submission_order() {
    let g = ResultGroup::new();
    for i in 0..20u64 {
        g.go(move |_| {
            thread::sleep(Duration::from_millis(20 - i)); // finish in reverse order
            Ok::<_, ()>(i)
        });
    }
    assert_eq!(g.wait(), Ok((0..20).collect::<Vec<_>>()));
}

#[test]
fn result_group_returns_the_first_error() {
    let g = ResultGroup::from_group(Group::new().limit(3));
    for i in 0..10u64 {
        g.go(move |_| {
            if i == 4 {
                Err(format!("job {i}"))
            } else {
                Ok(i)
            }
        });
    }
    assert_eq!(g.wait(), Err(GroupError::Task("job 4".to_string())));
}

/// Threads of this process whose name starts with `prefix` (Linux).
#[cfg(target_os = "linux")]
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .expect("the process's threads are listed")
        .filter(|t| {
            let dir = t.as_ref().expect("a thread entry").path();
            std::fs::read_to_string(dir.join("comm")).is_ok_and(|n| n.starts_with(prefix))
        })
        .count()
}

#[test]
fn ten_thousand_short_tasks_run_on_a_given_pools_few_threads() {
    let pool = Arc::new(
        Pool::builder()
            .workers(3)
            .queue(64)
            .build_closures()
            .unwrap(),
    );
    let g: Group<()> = Group::new().pool(pool.clone());
    let ran = Arc::new(AtomicUsize::new(0));
    for _ in 0..10_000 {
        let ran = ran.clone();
        g.go(move |_| {
            ran.fetch_add(1, Ordering::Relaxed);
            Ok(())
        });
    }
    assert_eq!(g.wait(), Ok(()));
    assert_eq!(ran.load(Ordering::Relaxed), 10_000);
    assert_eq!(pool.workers(), 3, "the given pool is used as it is");
    // A task ends the group's count inside its job, before the pool counts
    // the job: closing and joining the pool lets the last counts land.
    pool.close();
    pool.join().unwrap();
    let m = pool.metrics();
    assert_eq!(m.succeeded, 10_000, "each task was one job of the pool");
    assert!(
        pool.results().is_empty(),
        "a closure pool keeps no outcomes"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn the_shared_pool_grows_for_tasks_that_wait_on_one_another_and_not_per_task() {
    // A pipeline of more stages than cores: each stage waits for the one
    // before it, so each needs a worker of its own at once.
    let stages = 4 * std::thread::available_parallelism().map_or(2, |n| n.get());
    let g: Group<String> = Group::new();
    let (first_tx, mut rx) = chan::bounded::<u64>(0);
    for _ in 0..stages {
        let (tx, next) = chan::bounded::<u64>(0);
        let input = std::mem::replace(&mut rx, next);
        g.go(move |_| {
            for v in input.iter() {
                tx.send(v + 1).map_err(|e| e.to_string())?;
            }
            Ok(())
        });
    }
    g.go(move |_| {
        for v in 0..100 {
            first_tx.send(v).map_err(|e| e.to_string())?;
        }
        Ok(())
    });
    let out: Vec<u64> = rx.iter().collect();
    assert_eq!(
        out,
        (stages as u64..stages as u64 + 100).collect::<Vec<_>>()
    );
    assert_eq!(g.wait(), Ok(()));

    // Short tasks afterwards reuse the workers: no thread per task. (Other
    // tests' pools, of a few workers each, may be counted too.)
    let g: Group<()> = Group::new();
    let threads = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    for _ in 0..10_000 {
        let threads = threads.clone();
        g.go(move |_| {
            threads.lock().unwrap().insert(thread::current().id());
            Ok(())
        });
    }
    assert_eq!(g.wait(), Ok(()));
    let ran_on = threads.lock().unwrap().len();
    assert!(
        ran_on <= 256,
        "10,000 tasks ran on {ran_on} threads, more than the shared pool's 256 workers"
    );
    assert!(threads_named("brigade-worker") <= 256 + 32);
}

#[test]
fn wait_where_blocking_is_forbidden_returns_an_error_and_keeps_the_group() {
    let (open, gate) = chan::bounded::<()>(0);
    let g: Group<()> = Group::new();
    g.go(move |_| {
        let _ = gate.recv();
        Ok(())
    });
    // A thread that must not block, as the browser's main thread.
    let main = thread::scope(|s| {
        s.spawn(|| {
            brigade::runtime::forbid_blocking();
            g.wait()
        })
        .join()
        .unwrap()
    });
    assert_eq!(main, Err(GroupError::WouldBlockOnMainThread));
    assert!(!g.context().is_done(), "nothing was canceled");
    drop(open);
    assert_eq!(g.wait(), Ok(()));
}

// --- jobs of a pool as the group's tasks (`Group::submit`) ---------------------

/// A pool whose job `n` fails after 20 ms for `n == 0`, sleeps until its
/// context ends for `n == u32::MAX`, and otherwise runs `n` milliseconds.
fn pool_of(workers: usize) -> Pool<u32, u32, &'static str> {
    Pool::builder()
        .workers(workers)
        .build(|n: &u32, ctx| match *n {
            0 => {
                thread::sleep(Duration::from_millis(20));
                Err("zero")
            }
            u32::MAX => {
                let _ = ctx.done().recv();
                Err("stopped")
            }
            n => {
                thread::sleep(Duration::from_millis(n.into()));
                Ok(n)
            }
        })
        .unwrap()
}

#[test]
fn a_failed_job_cancels_its_running_and_queued_siblings_and_is_the_groups_error() {
    use brigade::pool::{CancelReason, Failure};
    let pool = pool_of(2);
    let g = Group::new();
    let running = g.submit(&pool, u32::MAX).unwrap();
    let failed = g.submit(&pool, 0).unwrap();
    // Queued behind the two: the failure ends them before they start.
    let queued: Vec<_> = (0..5).map(|_| g.submit(&pool, 50).unwrap()).collect();
    let t0 = Instant::now();
    assert_eq!(g.wait(), Err(GroupError::Task(Failure::Error("zero"))));
    assert_eq!(g.failed_job(), Some(failed));
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "the sleeper was canceled"
    );
    pool.close();
    let outcomes: Vec<_> = pool.results().iter().collect();
    assert_eq!(outcomes.len(), 7, "every job has its one outcome");
    let of = |id| outcomes.iter().find(|o| o.id == id).unwrap();
    assert_eq!(
        of(running).result,
        Err(Failure::Canceled(CancelReason::Job))
    );
    for id in queued {
        assert_eq!(of(id).result, Err(Failure::Canceled(CancelReason::Job)));
        assert_eq!(of(id).attempts, 0, "job {id} never started");
    }
}

#[test]
fn the_limit_bounds_how_many_jobs_of_the_group_run_at_once() {
    let busy = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let (b, m) = (busy.clone(), most.clone());
    let pool = Pool::builder()
        .workers(4)
        .build(move |_: &u32, _ctx| {
            let now = b.fetch_add(1, Ordering::SeqCst) + 1;
            m.fetch_max(now, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(5));
            b.fetch_sub(1, Ordering::SeqCst);
            Ok::<_, ()>(())
        })
        .unwrap();
    let g = Group::new().limit(2);
    for n in 0..20 {
        g.submit(&pool, n).unwrap();
    }
    assert_eq!(g.wait(), Ok(()));
    assert_eq!(most.load(Ordering::SeqCst), 2, "4 workers, a limit of 2");
    // At the limit try_submit refuses and hands the job back.
    let g = Group::new().limit(1);
    let held = g.reserve();
    assert_eq!(
        g.try_submit(&pool, 7),
        Err(brigade::chan::TrySendError::Full(7))
    );
    drop(held);
    assert!(
        g.try_submit(&pool, 7).is_ok(),
        "dropping the place freed it"
    );
    assert_eq!(g.wait(), Ok(()));
}

#[test]
fn a_refused_job_comes_back_and_frees_its_place() {
    let pool = pool_of(1);
    pool.close();
    let g = Group::new().limit(1);
    assert_eq!(g.submit(&pool, 5).map_err(|e| e.into_inner()), Err(5));
    assert!(g.try_reserve().is_some(), "the place was freed");
    assert_eq!(g.wait(), Ok(()), "no task is counted");
}

#[test]
fn a_jobs_own_context_still_cancels_it_and_the_group_cancels_it_too() {
    use brigade::pool::{CancelReason, Failure, Job};
    let pool = pool_of(2);
    // Its own context canceled: the job ends canceled, the group's error.
    let (own, cancel) = Context::with_cancel(&Context::background());
    let g = Group::new();
    let id = g.submit(&pool, Job::new(u32::MAX).context(&own)).unwrap();
    thread::sleep(Duration::from_millis(10));
    cancel.cancel();
    assert_eq!(
        g.wait(),
        Err(GroupError::Task(Failure::Canceled(CancelReason::Job)))
    );
    assert_eq!(g.failed_job(), Some(id));
    // The group's failure cancels a job that has a live context of its own.
    let (own, _keep) = Context::with_cancel(&Context::background());
    let g = Group::new();
    let sleeper = g.submit(&pool, Job::new(u32::MAX).context(&own)).unwrap();
    g.submit(&pool, 0).unwrap();
    assert_eq!(g.wait(), Err(GroupError::Task(Failure::Error("zero"))));
    assert!(
        !own.is_done(),
        "the job's own context is not the group's to end"
    );
    pool.close();
    let ended: Vec<_> = pool.results().iter().filter(|o| o.id == sleeper).collect();
    assert_eq!(ended[0].result, Err(Failure::Canceled(CancelReason::Job)));
}

#[test]
fn an_aborted_pool_ends_the_groups_jobs_and_wait_returns() {
    use brigade::pool::{CancelReason, Failure};
    let pool = pool_of(1);
    let g = Group::new();
    for _ in 0..3 {
        g.submit(&pool, u32::MAX).unwrap();
    }
    thread::sleep(Duration::from_millis(10));
    pool.abort();
    assert_eq!(
        g.wait(),
        Err(GroupError::Task(Failure::Canceled(CancelReason::Pool)))
    );
}

#[test]
fn reserve_async_waits_for_a_place_that_a_job_frees() {
    let pool = pool_of(2);
    let g = Group::new().limit(1);
    let first = g.submit(&pool, 30).unwrap();
    let t0 = Instant::now();
    let place = block_on(g.reserve_async());
    assert!(
        t0.elapsed() >= Duration::from_millis(20),
        "it waited for the job"
    );
    let second = block_on(place.submit_async(&pool, 1)).unwrap();
    assert!(second > first);
    assert_eq!(g.wait(), Ok(()));
}
