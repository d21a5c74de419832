//! `WaitGroup` beyond Go's own tests: reuse, `wait_ctx`, the zero channel in
//! `select!`.

use std::thread;
use std::time::Duration;

use brigade::chan::RecvError;
use brigade::{select, Context, ContextError, WaitError, WaitGroup};

#[test]
fn a_new_group_waits_for_nothing() {
    let wg = WaitGroup::new();
    wg.wait().unwrap();
    assert_eq!(wg.count(), 0);
}

#[test]
fn a_group_can_be_reused_after_reaching_zero() {
    let wg = WaitGroup::new();
    for round in 0..3 {
        wg.add(2);
        for _ in 0..2 {
            let wg = wg.clone();
            thread::spawn(move || wg.done());
        }
        wg.wait().unwrap();
        assert_eq!(wg.count(), 0, "round {round}");
    }
}

#[test]
fn wait_ctx_returns_when_the_context_ends_first() {
    let wg = WaitGroup::new();
    wg.add(1);
    let (ctx, _cancel) = Context::with_timeout(&Context::background(), Duration::from_millis(20));
    assert_eq!(
        wg.wait_ctx(&ctx),
        Err(WaitError::Canceled(ContextError::DeadlineExceeded))
    );
    assert_eq!(wg.count(), 1, "the group is untouched");
    wg.done();
    wg.wait_ctx(&ctx).unwrap(); // zero: returns at once even with a done context
}

#[test]
fn the_zero_channel_closes_at_zero_and_works_in_select() {
    let wg = WaitGroup::new();
    assert!(wg.zero().is_none());
    wg.add(1);
    let zero = wg.zero().unwrap();
    let w = wg.clone();
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        w.done();
    });
    let r = select! {
        recv(zero) -> r => r,
        default(Duration::from_secs(10)) => Ok(()),
    };
    assert_eq!(r, Err(RecvError::Closed));
    h.join().unwrap();
}

#[test]
fn go_counts_the_task_and_its_end_even_when_it_panics() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let wg = WaitGroup::new();
    let ran = Arc::new(AtomicUsize::new(0));
    for i in 0..100 {
        let ran = ran.clone();
        wg.go(move || {
            ran.fetch_add(1, Ordering::SeqCst);
            if i == 7 {
                panic!("task 7 panics; the pool contains it");
            }
        });
    }
    wg.wait().unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 100);
    assert_eq!(wg.count(), 0);
}
