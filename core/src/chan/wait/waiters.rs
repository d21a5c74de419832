//! What the lock-free engines (`flavors/array.rs`, `flavors/list.rs`) share: the list of
//! blocked operations on one side of a channel, and how a thread waits for a
//! peer that is half-way through a cell.
//!
//! # Not losing wake-ups
//! A waiter stores `Waiters::empty = false` and then reads the channel's
//! positions to check readiness; a peer moves a position and then reads
//! `empty`. All four are `SeqCst`, so at least one of the two sees the other:
//! either the waiter sees the change and does not sleep, or the peer sees the
//! waiter and wakes it. The same holds for `close` (a `fetch_or` on the tail,
//! then waking everyone).

use std::collections::VecDeque;

use crate::loom::{lock, Arc, AtomicBool, Mutex, Ordering};

use super::signal::Signal;

/// Orders a `SeqCst` store before a later `SeqCst` load of another location,
/// for the model checker only. The memory model already forbids that
/// reordering between `SeqCst` operations (they have one total order), which
/// is all "Not losing wake-ups" above needs, and on x86 the read-modify-write
/// or `xchg` before it is a full barrier anyway. loom models `SeqCst`
/// accesses as acquire/release only (tokio-rs/loom#180) and would report lost
/// wake-ups that cannot happen; its `SeqCst` fence is modelled exactly.
#[inline(always)]
pub(crate) fn sc_order() {
    #[cfg(loom)]
    loom::sync::atomic::fence(Ordering::SeqCst);
}

/// Waits a little for a peer that claimed a position to finish with its cell:
/// a few spins, then the CPU is handed over (the peer may need it).
pub(crate) fn backoff(step: &mut u32) {
    #[cfg(loom)]
    {
        let _ = step;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    {
        if *step < 4 {
            spin(step, 4);
        } else {
            std::thread::yield_now();
        }
    }
}

/// Spins for `2^step` `pause` instructions, `step` capped at `cap`, and
/// counts one more step.
#[cfg(not(loom))]
fn spin(step: &mut u32, cap: u32) {
    for _ in 0..1u32 << (*step).min(cap) {
        std::hint::spin_loop();
    }
    if *step < cap {
        *step += 1;
    }
}

/// Backs off after losing the compare-and-swap on a position to another
/// thread of the same side: spins, twice as long each time up to 64 `pause`
/// instructions, and keeps the core (the winner is running: it just won), as
/// crossbeam-channel does (`EXPERIMENTS.md`, "Backing off after a lost race").
pub(crate) fn contended(step: &mut u32) {
    #[cfg(loom)]
    {
        let _ = step;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    spin(step, 6);
}

/// The blocked operations of one side of a lock-free channel: each is a [`Signal`] and
/// the index of its case.
pub(crate) struct Waiters {
    list: Mutex<VecDeque<(Arc<Signal>, usize)>>,
    /// `true` while `list` is empty, so a peer with nothing to wake takes no lock.
    empty: AtomicBool,
}

impl Waiters {
    pub(crate) fn new() -> Self {
        Waiters {
            list: Mutex::new(VecDeque::new()),
            empty: AtomicBool::new(true),
        }
    }

    /// Queues `me` as case `case`, then checks `ready` (see "Not losing
    /// wake-ups"): if it holds, takes `me` out again and returns `true`.
    pub(crate) fn register_unless(
        &self,
        me: &Arc<Signal>,
        case: usize,
        ready: impl FnOnce() -> bool,
    ) -> bool {
        {
            let mut list = lock(&self.list);
            list.push_back((me.clone(), case));
            self.empty.store(false, Ordering::SeqCst);
        }
        sc_order();
        if ready() {
            self.unregister(me);
            return true;
        }
        false
    }

    /// How many operations are queued, stale ones included.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        lock(&self.list).len()
    }

    /// Removes `me` if it is still queued.
    pub(crate) fn unregister(&self, me: &Arc<Signal>) {
        let mut list = lock(&self.list);
        list.retain(|(s, _)| !Arc::ptr_eq(s, me));
        self.empty.store(list.is_empty(), Ordering::SeqCst);
    }

    /// Wakes the first queued operation that is still waiting.
    pub(crate) fn notify_one(&self) {
        sc_order();
        if self.empty.load(Ordering::SeqCst) {
            return;
        }
        let claimed = {
            let mut list = lock(&self.list);
            let mut claimed = None;
            while let Some((s, case)) = list.pop_front() {
                if s.try_claim(case) {
                    claimed = Some(s);
                    break;
                }
            }
            self.empty.store(list.is_empty(), Ordering::SeqCst);
            claimed
        };
        // Woken after the lock is released. It was taken off the list above,
        // so it does not take this lock to unregister (`blocking.rs`, step 4).
        if let Some(s) = claimed {
            s.complete();
        }
    }

    /// Wakes every queued operation (the channel closed).
    pub(crate) fn notify_all(&self) {
        sc_order();
        let claimed: Vec<Arc<Signal>> = {
            let mut list = lock(&self.list);
            let claimed = list
                .drain(..)
                .filter(|(s, case)| s.try_claim(*case))
                .map(|(s, _)| s)
                .collect();
            self.empty.store(true, Ordering::SeqCst);
            claimed
        };
        for s in claimed {
            s.complete();
        }
    }
}
