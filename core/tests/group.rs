//! `Group` and `ResultGroup`: Go's errgroup semantics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

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
