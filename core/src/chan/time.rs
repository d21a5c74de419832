//! Timer channels: `after`, `tick` and `never`, as Go's `time.After`,
//! `time.Tick` and a nil channel.

use crate::runtime::{Duration, Instant};
use crate::timer;

use super::{bounded, Receiver, Sender};

/// A channel that never closes: it counts one sender no one holds.
fn never_closing<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = bounded(cap);
    rx.chan.add_sender();
    (tx, rx)
}

/// A channel that receives the current time once, after `d`.
///
/// Like Go's `time.After`, the channel is never closed.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let t = brigade::chan::after(Duration::from_millis(10));
/// assert!(t.recv().is_ok());
/// ```
pub fn after(d: Duration) -> Receiver<Instant> {
    let (tx, rx) = never_closing(1);
    timer::schedule(
        Instant::now() + d,
        Box::new(move || {
            let _ = tx.try_send(Instant::now());
        }),
    );
    rx
}

/// A channel that receives the current time every `d`. Ticks are dropped while a
/// previous one is still unread, as in Go. The ticker stops when the receiver is
/// dropped.
///
/// # Panics
/// If `d` is zero.
pub fn tick(d: Duration) -> Receiver<Instant> {
    assert!(!d.is_zero(), "chan::tick: the period must be positive");
    let (tx, rx) = never_closing(1);
    schedule_tick(tx, Instant::now() + d, d);
    rx
}

fn schedule_tick(tx: Sender<Instant>, at: Instant, d: Duration) {
    timer::schedule(
        at,
        Box::new(move || {
            if let Err(super::TrySendError::Closed(_)) = tx.try_send(Instant::now()) {
                return; // every receiver is gone
            }
            let next = (at + d).max(Instant::now());
            schedule_tick(tx, next, d);
        }),
    );
}

/// A channel on which nothing ever happens, Go's nil channel: receiving from it
/// waits forever, so a `select` case on it is never chosen.
pub fn never<T>() -> Receiver<T> {
    Receiver::never()
}
