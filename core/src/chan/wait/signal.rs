//! The token one blocked operation (a plain `send`/`recv`, or a whole `select`)
//! leaves in the wait queues of the channels it waits on.
//!
//! This is Go's `sudog` plus `selectDone`: one `Signal` is shared by every case of
//! a select, and whichever peer claims it first with a compare-and-swap decides
//! which case happened. The peer then finishes the transfer (moves the value into
//! or out of the case's slot) and calls [`Signal::complete`], which wakes the owner:
//! a parked thread through a condition variable, or a task through its `Waker`.
//!
//! # Invariants
//! 1. `state` leaves `WAITING` exactly once: to `ABORTED` (by the owner, on timeout,
//!    cancellation or when it found a case ready while registering) or to
//!    `FIRST_CASE + i` (by a peer, or by a closing channel, for case `i`).
//! 2. Only the party that moved `state` out of `WAITING` to a case calls
//!    [`Signal::complete`], once, after the slot transfer, which it did under
//!    the lock of the channel whose queue held the entry (the completion itself
//!    waits until that lock is released: `flavors/locked.rs`).
//! 3. The owner reads the slot only after it observed `done`.
//!
//! # Memory ordering
//! The slot is a `Mutex`, so the transfer itself is ordered by that lock. `done`
//! lives under `parked`'s mutex, which orders "slot written" before "owner reads
//! slot". `state` uses `AcqRel` compare-and-swaps so the winner of a claim sees
//! everything the owner wrote before registering.
//!
//! # Deadlock safety
//! Lock order is: channel state, then slot; `parked` is taken alone (by the
//! owner to wait, by the peer to complete after releasing the channel lock).

use std::task::Waker;

use crate::loom::{lock, AtomicUsize, Condvar, Mutex, Ordering};
use crate::runtime::Instant;

/// How many times a blocking wait gives up its CPU (`yield_now`) before it
/// parks, after the spin of [`SPIN`]: a peer that completes the signal
/// meanwhile needs no futex wake (`EXPERIMENTS.md`, "How many yields").
#[cfg(not(any(loom, target_arch = "wasm32")))]
const YIELDS: usize = 10;
/// How long a blocking wait watches its signal, spinning, before the yields
/// of [`YIELDS`]: about what one idle `sched_yield` costs, bounded by time
/// rather than by a count of `pause` instructions, whose cost varies tenfold
/// between processors (`EXPERIMENTS.md`, "The fifth try").
#[cfg(not(any(loom, target_arch = "wasm32")))]
const SPIN: std::time::Duration = std::time::Duration::from_nanos(500);
const WAITING: usize = 0;
const ABORTED: usize = 1;
const FIRST_CASE: usize = 2;

#[derive(Default)]
struct Parked {
    done: bool,
    /// The owner is waiting on the condition variable: only then does
    /// `complete` pay for a notification (a futex wake system call).
    sleeping: bool,
    waker: Option<Waker>,
}

pub(crate) struct Signal {
    state: AtomicUsize,
    parked: Mutex<Parked>,
    cv: Condvar,
}

impl Signal {
    pub(crate) fn new() -> Self {
        Signal {
            state: AtomicUsize::new(WAITING),
            parked: Mutex::new(Parked::default()),
            cv: Condvar::new(),
        }
    }

    /// A peer claims this signal for case `case`. Fails if the owner already
    /// aborted or another peer claimed it first.
    pub(crate) fn try_claim(&self, case: usize) -> bool {
        self.state
            .compare_exchange(
                WAITING,
                FIRST_CASE + case,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// The owner gives up waiting. Fails if a peer already claimed a case, in
    /// which case the owner must wait for [`Signal::complete`] and take the result.
    pub(crate) fn try_abort(&self) -> bool {
        self.state
            .compare_exchange(WAITING, ABORTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Whether no one has claimed or aborted this signal yet.
    pub(crate) fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) == WAITING
    }

    /// The case a peer selected, if any.
    pub(crate) fn selected(&self) -> Option<usize> {
        match self.state.load(Ordering::Acquire) {
            WAITING | ABORTED => None,
            s => Some(s - FIRST_CASE),
        }
    }

    /// Called by the claiming peer once the slot transfer is done: wakes the owner.
    pub(crate) fn complete(&self) {
        let (sleeping, waker) = {
            let mut p = lock(&self.parked);
            p.done = true;
            (p.sleeping, p.waker.take())
        };
        // Notified after the lock is released, so the owner does not wake up
        // only to wait for `parked`. The owner holds its own `Arc` to this
        // signal, and its `wait` re-checks `done` under the lock.
        if sleeping {
            self.cv.notify_one();
        }
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Whether the claiming peer has finished.
    pub(crate) fn is_done(&self) -> bool {
        lock(&self.parked).done
    }

    /// Stores `waker` to be woken on completion; returns whether already complete.
    pub(crate) fn set_waker(&self, waker: &Waker) -> bool {
        let mut p = lock(&self.parked);
        if p.done {
            return true;
        }
        match &mut p.waker {
            Some(w) if w.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
        false
    }

    /// Parks the calling thread until completion or `deadline`; returns whether the
    /// signal completed. Callers have checked that this thread may block.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        #[cfg(not(any(loom, target_arch = "wasm32")))]
        {
            if self.spin_until_done_for(SPIN) {
                return true;
            }
            for _ in 0..YIELDS {
                if lock(&self.parked).done {
                    return true;
                }
                std::thread::yield_now();
            }
        }
        let mut p = lock(&self.parked);
        while !p.done {
            p.sleeping = true;
            match deadline {
                None => {
                    p = match self.cv.wait(p) {
                        Ok(g) => g,
                        Err(e) => e.into_inner(),
                    }
                }
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        p.sleeping = false;
                        return false;
                    }
                    p = match self.cv.wait_timeout(p, d - now) {
                        Ok((g, _)) => g,
                        Err(e) => e.into_inner().0,
                    };
                }
            }
            p.sleeping = false;
        }
        true
    }

    /// Spins for up to `limit`, watching for a peer to claim and complete
    /// this signal; returns whether it did. The state is an atomic read, so
    /// the spin takes no lock until a peer has claimed the signal.
    ///
    /// The clock is the OS's (a vDSO read, about 30 ns), not the pool's
    /// calibrated counter: that one's first reading in a process calibrates
    /// it, spinning for up to 200 ms, which a channel's first wait must not
    /// pay.
    #[cfg(not(any(loom, target_arch = "wasm32")))]
    fn spin_until_done_for(&self, limit: std::time::Duration) -> bool {
        let start = Instant::now();
        loop {
            if !self.is_waiting() && lock(&self.parked).done {
                return true;
            }
            for _ in 0..4 {
                std::hint::spin_loop();
            }
            if start.elapsed() >= limit {
                return false;
            }
        }
    }

    /// Waits for a claiming peer to finish its (short) transfer and wake-up without
    /// parking: used where blocking is not allowed, after `try_abort` failed.
    pub(crate) fn spin_until_done(&self) {
        while !self.is_done() {
            std::hint::spin_loop();
            #[cfg(loom)]
            loom::thread::yield_now();
        }
    }
}

#[cfg(all(test, not(any(loom, target_arch = "wasm32"))))]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::Signal;

    #[test]
    fn the_spin_sees_a_completion_made_while_it_spins() {
        let signal = Arc::new(Signal::new());
        let peer = {
            let signal = signal.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                assert!(signal.try_claim(0));
                signal.complete();
            })
        };
        assert!(signal.spin_until_done_for(Duration::from_secs(60)));
        assert_eq!(signal.selected(), Some(0));
        peer.join().unwrap();
    }

    #[test]
    fn the_spin_gives_up_when_no_one_completes() {
        let waiting = Signal::new();
        assert!(!waiting.spin_until_done_for(Duration::from_micros(50)));
        assert!(waiting.is_waiting());
        // Claimed but not yet complete: the value may still be on its way.
        let claimed = Signal::new();
        assert!(claimed.try_claim(1));
        assert!(!claimed.spin_until_done_for(Duration::from_micros(50)));
        claimed.complete();
        assert!(claimed.spin_until_done_for(Duration::ZERO));
    }
}
