//! `Group` and `ResultGroup`: Go's errgroup semantics.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use brigade::chan::{self, RecvTimeoutError};
use brigade::{Context, ContextError, Group, ResultGroup};

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
        Err("first"),
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
    assert_eq!(g.wait(), Err("canceled by the parent"));
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
    assert_eq!(g.wait(), Err("job 4".to_string()));
}
