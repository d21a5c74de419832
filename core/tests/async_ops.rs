//! The `async` operations, driven by a minimal executor on the test thread.

mod block_on;

use std::future::Future;
use std::task::{Context, Poll, Waker};
use std::thread;

use block_on::block_on;
use std::time::Duration;

use brigade::chan::{self, RecvError, Select, SendError};

/// Polls `f` once with a no-op waker.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    let mut cx = Context::from_waker(Waker::noop());
    std::pin::Pin::new(f).poll(&mut cx)
}

#[test]
fn send_async_then_recv_async_on_one_thread() {
    let (tx, rx) = chan::bounded(1);
    block_on(tx.send_async(5)).unwrap();
    assert_eq!(block_on(rx.recv_async()), Ok(5));
}

#[test]
fn recv_async_is_woken_by_another_thread() {
    let (tx, rx) = chan::bounded(0);
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(10));
        tx.send(8).unwrap();
    });
    assert_eq!(block_on(rx.recv_async()), Ok(8));
    h.join().unwrap();
}

#[test]
fn send_async_waits_for_room() {
    let (tx, rx) = chan::bounded(1);
    tx.send(1).unwrap();
    let mut fut = tx.send_async(2);
    assert!(poll_once(&mut fut).is_pending(), "full: the future waits");
    assert_eq!(rx.recv(), Ok(1));
    // The receive moved the waiting value into the buffer.
    assert_eq!(poll_once(&mut fut), Poll::Ready(Ok(())));
    assert_eq!(rx.recv(), Ok(2));
}

#[test]
fn send_async_on_closed_returns_the_value() {
    let (tx, rx) = chan::bounded::<String>(0);
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(10));
        drop(rx);
    });
    let err = block_on(tx.send_async("v".into())).unwrap_err();
    assert_eq!(err, SendError::Closed("v".to_string()));
    h.join().unwrap();
}

#[test]
fn recv_async_ends_at_close() {
    let (tx, rx) = chan::unbounded::<i32>();
    tx.send(1).unwrap();
    drop(tx);
    assert_eq!(block_on(rx.recv_async()), Ok(1));
    assert_eq!(block_on(rx.recv_async()), Err(RecvError::Closed));
}

#[test]
fn a_dropped_recv_future_loses_no_value() {
    // Cancel safety: a sender hands a value to a registered future, which is
    // dropped before it is polled again. The value goes back to the channel.
    let (tx, rx) = chan::bounded::<i32>(0);
    {
        let mut fut = rx.recv_async();
        assert!(poll_once(&mut fut).is_pending());
        let tx2 = tx.clone();
        thread::spawn(move || tx2.send(77).unwrap()).join().unwrap();
        drop(fut);
    }
    assert_eq!(rx.try_recv(), Ok(77));
}

#[test]
fn a_dropped_send_future_unregisters() {
    let (tx, rx) = chan::bounded::<i32>(0);
    {
        let mut fut = tx.send_async(1);
        assert!(poll_once(&mut fut).is_pending());
    }
    assert!(
        rx.try_recv().is_err(),
        "the dropped send must not deliver later"
    );
}

#[test]
fn async_select() {
    let (a_tx, a_rx) = chan::bounded::<i32>(0);
    let (_b_tx, b_rx) = chan::bounded::<i32>(0);
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        a_tx.send(3).unwrap();
    });
    let mut sel = Select::new();
    let a = sel.recv(&a_rx);
    let _b = sel.recv(&b_rx);
    let i = block_on(sel.wait_async());
    assert_eq!(i, a.index());
    assert_eq!(a.take(), Ok(3));
    h.join().unwrap();
}

#[test]
fn many_async_round_trips_across_threads() {
    const N: u64 = 50_000;
    let (tx, rx) = chan::bounded::<u64>(4);
    let (back_tx, back_rx) = chan::bounded::<u64>(4);
    let echo = thread::spawn(move || {
        block_on(async {
            while let Ok(v) = rx.recv_async().await {
                back_tx.send_async(v).await.unwrap();
            }
        })
    });
    let sum = block_on(async {
        let mut sum = 0;
        for i in 0..N {
            tx.send_async(i).await.unwrap();
            sum += back_rx.recv_async().await.unwrap();
        }
        sum
    });
    drop(tx);
    echo.join().unwrap();
    assert_eq!(sum, N * (N - 1) / 2);
}
