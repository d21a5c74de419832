//! Model checking of the channel engine with loom: every interleaving (up to
//! `LOOM_MAX_PREEMPTIONS` preemptions) of sends, receives, closes and selects.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test --test loom_chan`
//! (`make test` does, through `scripts/loom.sh`).
#![cfg(loom)]

use brigade::chan::{self, RecvError, Select, SendError, TryRecvError};
use loom::thread;

#[test]
fn a_buffered_send_reaches_a_blocked_receiver() {
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

/// A channel of capacity `cap`, or unbounded for `None`. Capacity 1 runs on
/// the locked engine, 4 on the lock-free ring, unbounded on the lock-free
/// list (`chan/flavors/mod.rs`).
fn channel<T>(cap: Option<usize>) -> (chan::Sender<T>, chan::Receiver<T>) {
    cap.map_or_else(chan::unbounded, chan::bounded)
}

/// The three engines, as [`channel`] capacities.
const ENGINES: [Option<usize>; 3] = [Some(1), Some(4), None];

#[test]
fn close_wakes_a_blocked_receiver() {
    for cap in ENGINES {
        loom::model(move || {
            let (tx, rx) = channel::<i32>(cap);
            let h = thread::spawn(move || rx.recv());
            tx.close();
            assert_eq!(h.join().unwrap(), Err(RecvError::Closed));
        });
    }
}

#[test]
fn select_takes_exactly_one_of_two() {
    for cap in ENGINES {
        select_takes_exactly_one_of_two_at(cap);
    }
}

fn select_takes_exactly_one_of_two_at(cap: Option<usize>) {
    loom::model(move || {
        let (a_tx, a_rx) = channel(cap);
        let (b_tx, b_rx) = channel(cap);
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

// The lock-free ring (capacity 4 and up, `chan/flavors/mod.rs`) wakes a blocked
// peer without handing it the value (`chan/flavors/array.rs`): the woken one tries
// again and may lose the race. These check that such a wake-up is never lost.

#[test]
fn a_sender_blocked_on_a_full_ring_is_woken_by_a_receive() {
    loom::model(|| {
        let (tx, rx) = chan::bounded(4);
        for i in 0..4 {
            tx.try_send(i).unwrap();
        }
        let blocked = thread::spawn(move || tx.send(4));
        for i in 0..5 {
            assert_eq!(rx.recv(), Ok(i));
        }
        blocked.join().unwrap().unwrap();
    });
}

#[test]
fn a_woken_receiver_that_loses_the_value_waits_again() {
    for cap in [Some(4), None] {
        a_woken_receiver_that_loses_the_value_waits_again_at(cap);
    }
}

fn a_woken_receiver_that_loses_the_value_waits_again_at(cap: Option<usize>) {
    loom::model(move || {
        let (tx, rx) = channel(cap);
        let thief = rx.clone();
        let blocked = thread::spawn(move || rx.recv());
        tx.send(1).unwrap();
        // May take the value the blocked receiver was woken for.
        let stolen = thief.try_recv().is_ok();
        if stolen {
            tx.send(2).unwrap();
        }
        let want = if stolen { 2 } else { 1 };
        assert_eq!(blocked.join().unwrap(), Ok(want));
    });
}

#[test]
fn a_dropped_receive_future_passes_its_wake_up_on() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};

    for cap in [Some(4), None] {
        loom::model(move || {
            let (tx, rx) = channel(cap);
            let rx2 = rx.clone();
            let blocked = thread::spawn(move || rx2.recv());
            let mut fut = rx.recv_async();
            let polled = Pin::new(&mut fut).poll(&mut Context::from_waker(Waker::noop()));
            tx.send(7).unwrap();
            match polled {
                // The future took the value before it could wait: nothing to pass on.
                Poll::Ready(v) => {
                    assert_eq!(v, Ok(7));
                    drop(fut);
                    tx.close();
                    assert_eq!(blocked.join().unwrap(), Err(RecvError::Closed));
                }
                // Dropped while queued, perhaps just woken for the value: the
                // blocked receiver must get it (a lost wake-up is a deadlock here).
                Poll::Pending => {
                    drop(fut);
                    assert_eq!(blocked.join().unwrap(), Ok(7));
                }
            }
        });
    }
}

#[test]
fn the_last_receiver_drops_what_is_buffered_exactly_once() {
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::sync::Arc;

    /// Sets its bit in `dropped` when dropped; a second drop is caught.
    struct Counted(usize, Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            let before = self.1.fetch_or(1 << self.0, Ordering::SeqCst);
            assert_eq!(before & (1 << self.0), 0, "value {} dropped twice", self.0);
        }
    }

    for cap in [Some(4), None] {
        loom::model(move || {
            let dropped = Arc::new(AtomicUsize::new(0));
            let (tx, rx) = channel(cap);
            let d = dropped.clone();
            // Whether each send lands or finds the channel closed, the value
            // is dropped once: in the channel, or by the sender with its
            // error. Unbounded, the third value opens a second block.
            let sender = thread::spawn(move || {
                for i in 0..3 {
                    let _ = tx.send(Counted(i, d.clone()));
                }
            });
            drop(rx);
            sender.join().unwrap();
            assert_eq!(dropped.load(Ordering::SeqCst), 0b111);
        });
    }
}

// The unbounded list (`chan/flavors/list.rs`) keeps values in blocks, two slots each
// under loom: these cross from one block to the next while others race.

#[test]
fn unbounded_values_cross_blocks_in_order() {
    loom::model(|| {
        let (tx, rx) = chan::unbounded();
        let sender = thread::spawn(move || (0..3).for_each(|i| tx.send(i).unwrap()));
        for i in 0..3 {
            assert_eq!(rx.recv(), Ok(i));
        }
        assert_eq!(rx.recv(), Err(RecvError::Closed));
        sender.join().unwrap();
    });
}

#[test]
fn unbounded_first_sends_race_to_install_the_first_block() {
    loom::model(|| {
        let (tx, rx) = chan::unbounded();
        let tx2 = tx.clone();
        let a = thread::spawn(move || tx.send(1).unwrap());
        let b = thread::spawn(move || tx2.send(2).unwrap());
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(rx.len(), 2);
        let mut got = [rx.recv().unwrap(), rx.recv().unwrap()];
        got.sort();
        assert_eq!(got, [1, 2]);
    });
}

#[test]
fn unbounded_receivers_race_to_free_a_block() {
    // Values 0 and 1 fill the first block, 2 opens the second. The receiver
    // of the first block's last slot frees it, or leaves that to a receiver
    // still reading the other slot.
    loom::model(|| {
        let (tx, rx) = chan::unbounded();
        (0..3).for_each(|i| tx.send(i).unwrap());
        let rx2 = rx.clone();
        let other = thread::spawn(move || rx2.recv().unwrap());
        let mine = rx.recv().unwrap();
        let theirs = other.join().unwrap();
        let last = rx.recv().unwrap();
        let mut got = [mine, theirs, last];
        got.sort();
        assert_eq!(got, [0, 1, 2]);
        assert!(mine < last && theirs < last, "FIFO across the seam");
    });
}
