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
    Alarm::new(d).forget()
}

/// [`after`]'s channel with its timer, which is canceled when the alarm is
/// dropped: for waits that may end early (a context's sleep, a rate limit's
/// wait), which must not leave their timer queued until it is due.
pub(crate) struct Alarm {
    rx: Receiver<Instant>,
    key: Option<timer::Key>,
}

impl Alarm {
    /// Goes off after `d`; never, if `d` reaches past what an `Instant`
    /// can hold.
    pub(crate) fn new(d: Duration) -> Alarm {
        let (tx, rx) = never_closing(1);
        let key = Instant::now().checked_add(d).map(|at| {
            timer::schedule(
                at,
                Box::new(move || {
                    let _ = tx.try_send(Instant::now());
                }),
            )
        });
        Alarm { rx, key }
    }

    /// The channel that receives the time when the alarm goes off.
    pub(crate) fn receiver(&self) -> &Receiver<Instant> {
        &self.rx
    }

    /// The channel alone, its timer left to go off.
    fn forget(mut self) -> Receiver<Instant> {
        self.key = None;
        self.rx.clone()
    }
}

impl Drop for Alarm {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            timer::cancel(key);
        }
    }
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Alarm, Duration};
    use crate::timer;

    #[test]
    fn a_dropped_alarm_leaves_no_timer_behind() {
        let alarm = Alarm::new(Duration::from_secs(3600));
        let key = alarm.key.clone().expect("a timer");
        assert!(timer::is_scheduled(&key));
        drop(alarm);
        assert!(!timer::is_scheduled(&key), "the timer waits out its hour");
    }

    #[test]
    fn an_alarm_past_what_an_instant_holds_never_goes_off() {
        let alarm = Alarm::new(Duration::MAX);
        assert!(alarm.key.is_none(), "nothing to schedule");
        assert!(alarm.receiver().try_recv().is_err());
    }
}
