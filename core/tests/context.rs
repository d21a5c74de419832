//! `Context` beyond cancellation and deadlines: Go's `context.Cause`
//! (`WithCancelCause`) and `context.AfterFunc`.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use brigade::{chan, Context, ContextError};

#[derive(Debug)]
struct Overloaded;

impl fmt::Display for Overloaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the database is overloaded")
    }
}

impl std::error::Error for Overloaded {}

#[test]
fn a_cause_reaches_the_context_and_its_descendants() {
    let (parent, cancel) = Context::with_cancel(&Context::background());
    let (child, _) = Context::with_cancel(&parent);
    assert!(parent.cause().is_none(), "a live context has no cause");
    cancel.cancel_with_cause(Overloaded);
    assert_eq!(parent.err(), Some(ContextError::Canceled));
    for ctx in [&parent, &child] {
        let cause = ctx.cause().expect("a cause once done");
        assert_eq!(cause.to_string(), "the database is overloaded");
        assert!(cause.downcast_ref::<Overloaded>().is_some());
    }
    // A child made after the cancel starts done, with the same cause.
    let (late, _) = Context::with_cancel(&parent);
    assert_eq!(
        late.cause().unwrap().to_string(),
        "the database is overloaded"
    );
    // The first cancel wins.
    cancel.cancel_with_cause(std::io::Error::other("later"));
    assert_eq!(
        parent.cause().unwrap().to_string(),
        "the database is overloaded"
    );
}

#[test]
fn without_a_cause_the_cause_is_the_error() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    cancel.cancel();
    assert_eq!(ctx.cause().unwrap().to_string(), "context canceled");
    let (ctx, _) = Context::with_timeout(&Context::background(), Duration::ZERO);
    let cause = ctx.cause().unwrap();
    assert_eq!(
        cause.downcast_ref::<ContextError>(),
        Some(&ContextError::DeadlineExceeded)
    );
}

#[test]
fn after_func_runs_once_the_context_is_done_and_stop_keeps_it_from_running() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let (tx, rx) = chan::unbounded();
    let ran = {
        let tx = tx.clone();
        ctx.after_func(move || tx.send("ran").unwrap())
    };
    let stopped = {
        let tx = tx.clone();
        ctx.after_func(move || tx.send("stopped one ran").unwrap())
    };
    assert!(stopped.stop(), "stopped before the context ended");
    assert!(!stopped.stop(), "only the first stop stops it");
    assert!(
        rx.try_recv().is_err(),
        "nothing runs while the context lives"
    );
    cancel.cancel();
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok("ran"));
    assert!(!ran.stop(), "too late: it started");

    // Registered on a context that is done already: it runs at once.
    let _ = ctx.after_func(move || tx.send("at once").unwrap());
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok("at once"));
    assert!(rx.try_recv().is_err(), "the stopped one never ran");
}

#[test]
fn after_func_runs_on_a_thread_of_its_own_so_it_may_block() {
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let (release_tx, release) = chan::bounded::<()>(0);
    let blocked = Arc::new(AtomicUsize::new(0));
    let b = blocked.clone();
    let _stop = ctx.after_func(move || {
        b.fetch_add(1, Ordering::SeqCst);
        let _ = release.recv(); // blocks until the test lets it go
    });
    cancel.cancel(); // returns although the callback blocks
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while blocked.load(Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the callback never started"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    release_tx.send(()).unwrap();
}

#[test]
fn the_root_context_never_runs_after_func() {
    let ctx = Context::background();
    let stop = ctx.after_func(|| panic!("the root context is never done"));
    assert!(stop.stop(), "never started, so stop stops it");
}
