//! The browser's main-thread rule, checked natively: on a thread that must not
//! block (`runtime::forbid_blocking`), blocking calls that would wait fail fast
//! with `WouldBlockOnMainThread`, calls that need not wait still succeed, and
//! `try_*`/async calls work.

use std::thread;

use brigade::chan::{
    self, RecvCtxError, RecvError, RecvTimeoutError, Select, SendError, SendTimeoutError,
};
use brigade::{runtime, Context, WaitGroup};

fn as_main_thread<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    thread::spawn(move || {
        runtime::forbid_blocking();
        assert!(!runtime::can_block());
        f()
    })
    .join()
    .unwrap()
}

#[test]
fn a_blocking_recv_on_the_main_thread_fails_fast() {
    assert!(runtime::can_block(), "native threads may block by default");
    let r = as_main_thread(|| chan::bounded::<u8>(0).1.recv());
    assert_eq!(r, Err(RecvError::WouldBlockOnMainThread));
}

#[test]
fn blocking_calls_that_would_wait_fail_fast() {
    as_main_thread(|| {
        let (tx, rx) = chan::bounded::<u8>(0);
        assert_eq!(tx.send(1), Err(SendError::WouldBlockOnMainThread(1)));
        assert_eq!(
            tx.send_timeout(2, std::time::Duration::from_secs(60)),
            Err(SendTimeoutError::WouldBlockOnMainThread(2))
        );
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(60)),
            Err(RecvTimeoutError::WouldBlockOnMainThread)
        );
        let (ctx, _cancel) = Context::with_cancel(&Context::background());
        assert_eq!(rx.recv_ctx(&ctx), Err(RecvCtxError::WouldBlockOnMainThread));
        let mut sel = Select::new();
        let _c = sel.recv(&rx);
        assert!(sel.wait().is_err());
        let wg = WaitGroup::new();
        wg.add(1);
        assert!(wg.wait().is_err());
    });
}

#[test]
fn blocking_calls_that_need_not_wait_succeed() {
    as_main_thread(|| {
        let (tx, rx) = chan::bounded(1);
        tx.send(1).unwrap();
        assert_eq!(rx.recv(), Ok(1));
        tx.close();
        assert_eq!(rx.recv(), Err(RecvError::Closed));
        WaitGroup::new().wait().unwrap();
    });
}

#[test]
fn try_operations_work_while_workers_block() {
    let (tx, rx) = chan::bounded::<u32>(4);
    let (back_tx, back_rx) = chan::bounded::<u32>(4);
    let worker = thread::spawn(move || {
        for v in &rx {
            back_tx.send(v * 2).unwrap();
        }
    });
    let total = as_main_thread(move || {
        let (mut next, mut got, mut sum) = (0u32, 0, 0u64);
        while got < 10_000 {
            while next < 10_000 && tx.try_send(next).is_ok() {
                next += 1;
            }
            while let Ok(v) = back_rx.try_recv() {
                sum += u64::from(v);
                got += 1;
            }
        }
        sum
    });
    worker.join().unwrap();
    assert_eq!(total, (0..10_000u64).map(|v| v * 2).sum());
}
