//! Close semantics, value return on failure, and drop accounting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use brigade::chan::{self, RecvError, SendError, SendTimeoutError, TryRecvError, TrySendError};

#[test]
fn recv_on_a_closed_empty_channel_says_closed() {
    let (tx, rx) = chan::bounded::<i32>(1);
    assert!(tx.close());
    assert_eq!(rx.recv(), Err(RecvError::Closed));
}

#[test]
fn dropping_the_last_sender_closes() {
    let (tx, rx) = chan::bounded(2);
    let tx2 = tx.clone();
    tx.send(1).unwrap();
    drop(tx);
    assert!(!rx.is_closed(), "one sender is left");
    tx2.send(2).unwrap();
    drop(tx2);
    assert!(rx.is_closed());
    assert_eq!(rx.iter().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn explicit_close_wins_over_live_senders() {
    let (tx, rx) = chan::bounded::<i32>(1);
    let other = tx.clone();
    assert!(tx.close());
    assert_eq!(other.send(1), Err(SendError::Closed(1)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
}

#[test]
fn every_failed_send_hands_the_value_back() {
    let (tx, rx) = chan::bounded::<String>(1);
    tx.send("kept".into()).unwrap();
    assert_eq!(tx.try_send("full".into()).unwrap_err().into_inner(), "full");
    assert_eq!(
        tx.send_timeout("late".into(), Duration::from_millis(1))
            .unwrap_err()
            .into_inner(),
        "late"
    );
    drop(rx);
    assert_eq!(tx.send("gone".into()).unwrap_err().into_inner(), "gone");
    assert!(matches!(tx.try_send("x".into()), Err(TrySendError::Closed(s)) if s == "x"));
    assert!(matches!(
        tx.send_timeout("y".into(), Duration::from_millis(1)),
        Err(SendTimeoutError::Closed(s)) if s == "y"
    ));
}

#[test]
fn close_returns_values_to_blocked_senders() {
    let (tx, _rx) = chan::bounded::<u32>(1);
    tx.send(0).unwrap();
    let hs: Vec<_> = (1..=3)
        .map(|i| {
            let tx = tx.clone();
            thread::spawn(move || tx.send(i))
        })
        .collect();
    thread::sleep(Duration::from_millis(20));
    tx.close();
    let mut back: Vec<u32> = hs
        .into_iter()
        .map(|h| match h.join().unwrap() {
            Err(SendError::Closed(v)) => v,
            other => panic!("expected the value back, got {other:?}"),
        })
        .collect();
    back.sort();
    assert_eq!(back, [1, 2, 3]);
}

#[test]
fn close_wakes_every_blocked_receiver() {
    let (tx, rx) = chan::bounded::<u32>(0);
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.recv())
        })
        .collect();
    thread::sleep(Duration::from_millis(20));
    assert!(tx.close());
    for h in hs {
        assert_eq!(h.join().unwrap(), Err(RecvError::Closed));
    }
}

/// Counts how many times values of this type were dropped.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn buffered_values_drop_exactly_once_when_the_last_receiver_goes() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = chan::bounded(10);
    for _ in 0..10 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    let rx2 = rx.clone();
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 0, "a receiver is left");
    drop(rx2);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        10,
        "each buffered value dropped once"
    );
    let back = tx.send(Counted(drops.clone())).unwrap_err();
    assert_eq!(
        drops.load(Ordering::SeqCst),
        10,
        "the refused value is handed back, not dropped"
    );
    drop(back);
    drop(tx);
    assert_eq!(drops.load(Ordering::SeqCst), 11);
}

#[test]
fn values_left_in_a_closed_channel_drop_once_with_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let (tx, rx) = chan::unbounded();
        for _ in 0..5 {
            tx.send(Counted(drops.clone())).unwrap();
        }
        tx.close();
        drop(rx.recv().unwrap());
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
    assert_eq!(drops.load(Ordering::SeqCst), 5);
}

#[test]
fn received_values_are_never_dropped_by_the_channel() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = chan::bounded(0);
    let d = drops.clone();
    let h = thread::spawn(move || {
        for _ in 0..1000 {
            tx.send(Counted(d.clone())).unwrap();
        }
    });
    let got: Vec<Counted> = rx.iter().collect();
    h.join().unwrap();
    assert_eq!(got.len(), 1000);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    drop(got);
    assert_eq!(drops.load(Ordering::SeqCst), 1000);
}

#[test]
fn close_twice_is_harmless_and_reported() {
    let (tx, rx) = chan::unbounded::<()>();
    assert!(tx.close());
    assert!(!tx.close());
    assert!(tx.is_closed() && rx.is_closed());
}
