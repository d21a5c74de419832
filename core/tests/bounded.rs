//! Black-box tests of the bounded (buffered) flavor. Small buffers run on the
//! locked engine and larger ones on the lock-free ring
//! (`core/src/chan/flavors/mod.rs`); tests that wait run at a capacity of each.

use std::thread;
use std::time::{Duration, Instant};

use brigade::chan::{self, RecvTimeoutError, SendTimeoutError, TryRecvError, TrySendError};

#[test]
fn a_buffered_value_comes_out_once() {
    let (tx, rx) = chan::bounded(1);
    tx.send(7).unwrap();
    assert_eq!(rx.try_recv(), Ok(7));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
}

#[test]
fn buffer_holds_exactly_cap() {
    for cap in [1, 2, 10, 100] {
        let (tx, rx) = chan::bounded(cap);
        for i in 0..cap {
            tx.try_send(i).unwrap();
        }
        assert_eq!(tx.try_send(cap), Err(TrySendError::Full(cap)));
        assert_eq!(rx.len(), cap);
        assert_eq!(rx.recv(), Ok(0));
        tx.try_send(cap).unwrap();
    }
}

#[test]
fn a_receive_makes_room_for_a_blocked_sender() {
    for cap in [2, 4] {
        let (tx, rx) = chan::bounded(cap);
        for i in 0..cap {
            tx.send(i).unwrap();
        }
        let h = thread::spawn(move || {
            tx.send(cap).unwrap();
            Instant::now()
        });
        thread::sleep(Duration::from_millis(20));
        let freed = Instant::now();
        assert_eq!(rx.recv(), Ok(0));
        assert!(h.join().unwrap() >= freed, "the sender waited for room");
        // The blocked sender's value went in behind the buffer.
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            (1..=cap).collect::<Vec<_>>()
        );
    }
}

#[test]
fn send_timeout_returns_the_value_when_full() {
    for cap in [1, 4] {
        let (tx, _rx) = chan::bounded(cap);
        for _ in 0..cap {
            tx.send("a".to_string()).unwrap();
        }
        let start = Instant::now();
        let err = tx
            .send_timeout("b".to_string(), Duration::from_millis(30))
            .unwrap_err();
        assert_eq!(err, SendTimeoutError::Timeout("b".to_string()));
        assert!(start.elapsed() >= Duration::from_millis(30));
    }
}

#[test]
fn recv_timeout_times_out_then_succeeds() {
    for cap in [1, 4] {
        let (tx, rx) = chan::bounded::<u8>(cap);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(10)),
            Err(RecvTimeoutError::Timeout)
        );
        let h = thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            tx.send(5).unwrap();
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(5));
        h.join().unwrap();
    }
}

#[test]
fn send_deadline_in_the_past_does_not_wait() {
    let (tx, _rx) = chan::bounded(0);
    let err = tx
        .send_deadline(1, Instant::now() - Duration::from_millis(1))
        .unwrap_err();
    assert_eq!(err, SendTimeoutError::Timeout(1));
}

#[test]
fn many_producers_many_consumers_lose_nothing() {
    for cap in [2, 8] {
        many_producers_many_consumers_at(cap);
    }
}

fn many_producers_many_consumers_at(cap: usize) {
    const PER: usize = 20_000;
    let (tx, rx) = chan::bounded(cap);
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || (0..PER).for_each(|i| tx.send(p * PER + i).unwrap()))
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.iter().collect::<Vec<_>>())
        })
        .collect();
    producers.into_iter().for_each(|h| h.join().unwrap());
    let mut seen = vec![false; 4 * PER];
    for h in consumers {
        for v in h.join().unwrap() {
            assert!(!seen[v], "{v} received twice");
            seen[v] = true;
        }
    }
    assert!(seen.iter().all(|&s| s), "every value received");
}

#[test]
fn ctx_bounded_waits_say_how_the_context_ended_and_hand_the_value_back() {
    use brigade::chan::{RecvCtxError, SendCtxError};
    use brigade::Context;

    let (tx, rx) = chan::bounded::<u32>(1);
    tx.send(1).unwrap();
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    cancel.cancel();
    assert_eq!(tx.send_ctx(2, &ctx), Err(SendCtxError::Canceled(2)));
    let (ctx, _cancel) =
        Context::with_timeout(&Context::background(), std::time::Duration::from_millis(5));
    let err = tx.send_ctx(3, &ctx).unwrap_err();
    assert_eq!(err, SendCtxError::DeadlineExceeded(3));
    assert_eq!(
        err.to_string(),
        "context deadline exceeded while waiting to send"
    );
    assert_eq!(err.into_inner(), 3);

    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv_ctx(&ctx), Err(RecvCtxError::DeadlineExceeded));
    drop(tx);
    let (live, _cancel) = Context::with_cancel(&Context::background());
    assert_eq!(rx.recv_ctx(&live), Err(RecvCtxError::Closed));
}
