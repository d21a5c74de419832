//! Black-box tests of the unbounded flavor.

use std::thread;

use brigade::chan::{self, RecvError, TrySendError};

#[test]
fn smoke() {
    let (tx, rx) = chan::unbounded();
    tx.send("x").unwrap();
    assert_eq!(rx.recv(), Ok("x"));
}

#[test]
fn senders_never_wait() {
    let (tx, rx) = chan::unbounded();
    for i in 0..100_000 {
        tx.try_send(i).unwrap();
    }
    assert_eq!(rx.len(), 100_000);
    assert_eq!(rx.capacity(), None);
    assert!(rx.iter().take(100_000).eq(0..100_000), "FIFO");
}

#[test]
fn receiver_wakes_for_a_late_value() {
    let (tx, rx) = chan::unbounded();
    let h = thread::spawn(move || rx.recv());
    thread::sleep(std::time::Duration::from_millis(10));
    tx.send(3).unwrap();
    assert_eq!(h.join().unwrap(), Ok(3));
}

#[test]
fn closed_unbounded_rejects_and_drains() {
    let (tx, rx) = chan::unbounded();
    tx.send(1).unwrap();
    tx.close();
    assert_eq!(tx.try_send(2), Err(TrySendError::Closed(2)));
    assert_eq!(rx.recv(), Ok(1));
    assert_eq!(rx.recv(), Err(RecvError::Closed));
}
