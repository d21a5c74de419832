//! Black-box tests of the rendezvous flavor (`bounded(0)`, Go's unbuffered channel).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use brigade::chan::{self, SendTimeoutError, TryRecvError, TrySendError};

#[test]
fn an_unbuffered_send_meets_a_receiver() {
    let (tx, rx) = chan::bounded(0);
    let h = thread::spawn(move || tx.send(1).unwrap());
    assert_eq!(rx.recv(), Ok(1));
    h.join().unwrap();
}

#[test]
fn nothing_is_ever_buffered() {
    let (tx, rx) = chan::bounded::<i32>(0);
    assert_eq!(
        tx.try_send(1),
        Err(TrySendError::Full(1)),
        "no receiver waits"
    );
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    assert_eq!((rx.len(), rx.capacity()), (0, Some(0)));
}

#[test]
fn send_completes_only_when_a_receiver_takes_the_value() {
    let (tx, rx) = chan::bounded(0);
    let done = Arc::new(AtomicBool::new(false));
    let d = done.clone();
    let h = thread::spawn(move || {
        tx.send(42).unwrap();
        d.store(true, Ordering::SeqCst);
    });
    thread::sleep(Duration::from_millis(20));
    assert!(
        !done.load(Ordering::SeqCst),
        "send returned before anyone received"
    );
    assert_eq!(rx.recv(), Ok(42));
    h.join().unwrap();
    assert!(done.load(Ordering::SeqCst));
}

#[test]
fn try_recv_takes_from_a_waiting_sender() {
    let (tx, rx) = chan::bounded(0);
    let h = thread::spawn(move || tx.send(9).unwrap());
    let v = loop {
        match rx.try_recv() {
            Ok(v) => break v,
            Err(TryRecvError::Empty) => thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(v, 9);
    h.join().unwrap();
}

#[test]
fn send_timeout_without_receiver_times_out_with_the_value() {
    let (tx, _rx) = chan::bounded(0);
    assert_eq!(
        tx.send_timeout(vec![1, 2], Duration::from_millis(10)),
        Err(SendTimeoutError::Timeout(vec![1, 2]))
    );
}

#[test]
fn ping_pong() {
    let (ping_tx, ping_rx) = chan::bounded(0);
    let (pong_tx, pong_rx) = chan::bounded(0);
    let h = thread::spawn(move || {
        for v in &ping_rx {
            pong_tx.send(v + 1).unwrap();
        }
    });
    let mut v = 0;
    for _ in 0..10_000 {
        ping_tx.send(v).unwrap();
        v = pong_rx.recv().unwrap();
    }
    assert_eq!(v, 10_000);
    drop(ping_tx);
    h.join().unwrap();
}
