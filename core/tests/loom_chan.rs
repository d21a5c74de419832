//! Model checking of the channel engine with loom: every interleaving (up to
//! `LOOM_MAX_PREEMPTIONS` preemptions) of sends, receives, closes and selects.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --test loom_chan`
//! (`make test` does, through `scripts/loom.sh`).
#![cfg(loom)]

use brigade::chan::{self, RecvError, Select, SendError, TryRecvError};
use loom::thread;

#[test]
fn smoke() {
    loom::model(|| {
        let (tx, rx) = chan::bounded(1);
        let h = thread::spawn(move || tx.send(1).unwrap());
        assert_eq!(rx.recv(), Ok(1));
        h.join().unwrap();
    });
}

#[test]
fn rendezvous_hand_off() {
    loom::model(|| {
        let (tx, rx) = chan::bounded(0);
        let h = thread::spawn(move || tx.send(7).unwrap());
        assert_eq!(rx.recv(), Ok(7));
        h.join().unwrap();
    });
}

#[test]
fn two_senders_on_a_full_buffer_lose_nothing() {
    loom::model(|| {
        let (tx, rx) = chan::bounded(1);
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send(1).unwrap());
        let b = thread::spawn(move || tx2.send(2).unwrap());
        let mut got = [rx.recv().unwrap(), rx.recv().unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(rx.recv(), Err(RecvError::Closed));
    });
}

#[test]
fn close_races_a_send_and_never_loses_the_value() {
    loom::model(|| {
        let (tx, rx) = chan::bounded(0);
        let closer = tx.clone();
        let sender = thread::spawn(move || tx.send(5));
        let c = thread::spawn(move || closer.close());
        let received = rx.recv();
        let sent = sender.join().unwrap();
        c.join().unwrap();
        match (sent, received) {
            (Ok(()), Ok(5)) => {}
            (Err(SendError::Closed(5)), Err(RecvError::Closed)) => {}
            other => panic!("value lost or duplicated: {other:?}"),
        }
    });
}

#[test]
fn close_wakes_a_blocked_receiver() {
    loom::model(|| {
        let (tx, rx) = chan::bounded::<i32>(1);
        let h = thread::spawn(move || rx.recv());
        tx.close();
        assert_eq!(h.join().unwrap(), Err(RecvError::Closed));
    });
}

#[test]
fn select_takes_exactly_one_of_two() {
    loom::model(|| {
        let (a_tx, a_rx) = chan::bounded(1);
        let (b_tx, b_rx) = chan::bounded(1);
        let a = thread::spawn(move || a_tx.send(1).unwrap());
        let b = thread::spawn(move || b_tx.send(2).unwrap());
        let mut sel = Select::new();
        let ca = sel.recv(&a_rx);
        let cb = sel.recv(&b_rx);
        let i = sel.wait().unwrap();
        let (got, other) = if i == ca.index() {
            (ca.take(), &b_rx)
        } else {
            (cb.take(), &a_rx)
        };
        a.join().unwrap();
        b.join().unwrap();
        let got = got.unwrap();
        // The case not chosen left its value in its channel.
        let left = other.try_recv().unwrap();
        assert_eq!(got + left, 3);
        assert_eq!(a_rx.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(b_rx.try_recv(), Err(TryRecvError::Closed));
    });
}

#[test]
fn select_send_pairs_with_a_plain_receive_on_rendezvous() {
    loom::model(|| {
        let (a_tx, a_rx) = chan::bounded(0);
        let (b_tx, _b_rx) = chan::bounded(0);
        let h = thread::spawn(move || {
            let mut sel = Select::new();
            let ca = sel.send(&a_tx, 1);
            let _cb = sel.send(&b_tx, 2);
            let i = sel.wait().unwrap();
            assert_eq!(i, ca.index(), "only a has a receiver");
            ca.take().unwrap();
        });
        assert_eq!(a_rx.recv(), Ok(1));
        h.join().unwrap();
    });
}
