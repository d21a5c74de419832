//! Black-box tests of the unbounded flavor.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use brigade::chan::{self, RecvError, TrySendError};

#[test]
fn a_sent_value_is_received() {
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

#[test]
fn len_counts_values_across_blocks() {
    // The channel keeps its values in blocks of a few dozen; 100 values span
    // several, and the count must skip the seams between them.
    let (tx, rx) = chan::unbounded();
    for i in 0..100 {
        assert_eq!(tx.len(), i);
        tx.send(i).unwrap();
    }
    for i in 0..100 {
        assert_eq!(rx.len(), 100 - i);
        assert_eq!(rx.recv(), Ok(i));
    }
    assert!(rx.is_empty());
}

#[test]
fn many_producers_many_consumers_lose_nothing() {
    const PER: usize = 50_000;
    let (tx, rx) = chan::unbounded();
    let producers: Vec<_> = (0..4)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || (0..PER).for_each(|i| tx.send((p, i)).unwrap()))
        })
        .collect();
    drop(tx);
    let consumers: Vec<_> = (0..4)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.iter().collect::<Vec<_>>())
        })
        .collect();
    drop(rx);
    producers.into_iter().for_each(|h| h.join().unwrap());
    let mut seen = vec![false; 4 * PER];
    for h in consumers {
        let mut last = [None; 4];
        for (p, i) in h.join().unwrap() {
            assert!(last[p] < Some(i), "producer {p}'s values out of order");
            last[p] = Some(i);
            assert!(!seen[p * PER + i], "({p}, {i}) received twice");
            seen[p * PER + i] = true;
        }
    }
    assert!(seen.iter().all(|&s| s), "every value received");
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_last_receiver_drops_what_is_left_across_blocks_exactly_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = chan::unbounded();
    for _ in 0..200 {
        tx.send(Counted(drops.clone())).unwrap();
    }
    // Part of the first block is taken, the rest of it and four more wait.
    for _ in 0..45 {
        drop(rx.recv().unwrap());
    }
    assert_eq!(drops.load(Ordering::SeqCst), 45);
    drop(rx);
    assert_eq!(drops.load(Ordering::SeqCst), 200);
    let back = tx.send(Counted(drops.clone())).unwrap_err();
    drop(tx);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        200,
        "the refused value came back"
    );
    drop(back);
    assert_eq!(drops.load(Ordering::SeqCst), 201);
}

#[test]
fn values_still_sent_when_the_last_receiver_goes_are_dropped_or_handed_back() {
    // Senders race the last receiver's exit: every value is dropped exactly
    // once, by the receiver, by the channel, or by its sender when handed back.
    for _ in 0..20 {
        let drops = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = chan::unbounded();
        let senders: Vec<_> = (0..3)
            .map(|_| {
                let (tx, drops) = (tx.clone(), drops.clone());
                thread::spawn(move || {
                    // Values sent, then the one handed back (dropped here).
                    let mut made = 0;
                    for _ in 0..5_000 {
                        made += 1;
                        if tx.send(Counted(drops.clone())).is_err() {
                            break;
                        }
                    }
                    made
                })
            })
            .collect();
        drop(tx);
        let mut received = 0;
        while received < 1_000 {
            drop(rx.recv().unwrap());
            received += 1;
        }
        drop(rx);
        let made: usize = senders.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(drops.load(Ordering::SeqCst), made);
    }
}
