//! The locked engine: one lock around a ring buffer and two wait queues.
//!
//! This follows Go's `runtime/chan.go` (`hchan`): a buffer of at most `cap`
//! values, a queue of blocked receivers and one of blocked senders, and the rule
//! that a value goes *directly* to a waiting peer whenever there is one. A sender
//! that finds a waiting receiver hands its value to it; a receiver that takes from
//! a full buffer refills it from the first waiting sender; with `cap == 0` every
//! transfer is such a hand-off (a rendezvous). Closing claims every waiter: blocked
//! receivers learn "closed", blocked senders get their value back.
//!
//! Waiters are [`Signal`]s shared by all cases of one blocked operation, so a
//! `select` can wait on several channels and be completed by exactly one of them
//! (see `wait/signal.rs`). An operation only ever *performs* a transfer while it is not
//! registered anywhere (crossbeam-channel's discipline): a select that finds a case
//! ready while registering aborts its own signal and starts over, so it can never
//! be completed twice.
//!
//! # Invariants
//! 1. `recvq` is non-empty only while `buf` is empty and the channel is open, up to
//!    stale entries (whose signal is no longer waiting), which every scan discards.
//! 2. `sendq` is non-empty only while `buf.len() >= cap`, up to stale entries.
//! 3. Once `closed`, it stays closed and both queues are empty after the close.
//! 4. A value is in exactly one place: the caller, `buf`, or one slot.
//!
//! # Waking after unlocking
//! A peer that claims a waiter finishes the transfer under the channel lock but
//! wakes the waiter only after releasing it ([`Guard`]), as Go's `chan.go`
//! unlocks before `goready`: woken under the lock, a waiter whose next step
//! takes this lock (a select unregistering its other cases from this
//! channel, or the next send or receive on it) would find it held and block
//! again. The waiter a peer claims is taken off the queue by that peer, so
//! the waiter itself does not come back to unregister it.
//!
//! # Memory ordering
//! Everything a channel holds is under its lock: the lock's acquire and
//! release order every transfer, and this engine has no atomics of its own.
//! What a completion publishes to a parked owner goes through the owner's
//! [`Signal`](crate::chan::wait::signal::Signal) (its `Memory ordering`).
//!
//! # Deadlock safety
//! Each call takes exactly one channel lock, then possibly a slot lock. A
//! signal's lock is taken after the channel lock is released (`wait/signal.rs`
//! gives the order). No call holds two channel locks.

use std::collections::VecDeque;

use std::ops::{Deref, DerefMut};

use crate::loom::{lock, Arc, Mutex};
// The state's lock: `parking_lot`'s natively, which holds up better than the
// standard one when many threads contend for one channel on few cores (see
// `README.md`, "Which lock, natively"); `crate::loom`'s elsewhere, and under
// Miri, whose strict provenance refuses the integer-to-pointer casts of
// `parking_lot_core`'s queue of parked threads.
#[cfg(any(loom, miri, target_arch = "wasm32"))]
use crate::loom::{Mutex as StateMutex, MutexGuard as StateGuard};
#[cfg(not(any(loom, miri, target_arch = "wasm32")))]
use parking_lot::{Mutex as StateMutex, MutexGuard as StateGuard};
#[cfg(not(any(loom, miri, target_arch = "wasm32")))]
fn lock_state<T>(m: &StateMutex<T>) -> StateGuard<'_, T> {
    m.lock()
}
#[cfg(any(loom, miri, target_arch = "wasm32"))]
use lock as lock_state;

use crate::chan::wait::signal::Signal;

/// Where a blocked operation's value sits while it waits: the value to send, or
/// the place a peer drops the received value into.
pub(crate) type Slot<T> = Arc<Mutex<Option<T>>>;

pub(crate) struct Waiter<T> {
    pub(crate) signal: Arc<Signal>,
    pub(crate) case: usize,
    pub(crate) slot: Slot<T>,
}

pub(crate) struct State<T> {
    pub(crate) buf: VecDeque<T>,
    pub(crate) closed: bool,
    recvq: VecDeque<Waiter<T>>,
    sendq: VecDeque<Waiter<T>>,
    pub(crate) senders: usize,
    pub(crate) receivers: usize,
    /// Counts the changes that can make a send or a receive ready (a value
    /// in or out, a waiter queued, close): unchanged between two reads means
    /// no case on this channel became ready in between (see
    /// `wait::blocking::wait`).
    pub(crate) version: u64,
    /// Waiters claimed and served under this lock, woken once it is released.
    wake: Wakes,
}

/// The signals to complete when the lock is released: one in the common case,
/// without allocating; any number when a channel closes.
#[derive(Default)]
struct Wakes {
    one: Option<Arc<Signal>>,
    more: Vec<Arc<Signal>>,
}

impl Wakes {
    fn push(&mut self, s: Arc<Signal>) {
        if self.one.is_none() {
            self.one = Some(s);
        } else {
            self.more.push(s);
        }
    }

    fn is_empty(&self) -> bool {
        self.one.is_none()
    }

    fn complete(self) {
        for s in self.one.into_iter().chain(self.more) {
            s.complete();
        }
    }
}

/// The locked state of a channel. Dropping it releases the lock, then wakes the
/// waiters served while it was held.
pub(crate) struct Guard<'a, T> {
    st: Option<StateGuard<'a, State<T>>>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = State<T>;
    fn deref(&self) -> &State<T> {
        self.st.as_ref().expect("held until dropped")
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut State<T> {
        self.st.as_mut().expect("held until dropped")
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        let Some(mut st) = self.st.take() else { return };
        if st.wake.is_empty() {
            return;
        }
        let wake = std::mem::take(&mut st.wake);
        drop(st);
        wake.complete();
    }
}

pub(crate) struct Locked<T> {
    state: StateMutex<State<T>>,
    /// Capacity (unbounded channels run on `flavors/list.rs`).
    pub(crate) cap: usize,
}

/// The result of trying to send without waiting.
pub(crate) enum TrySend<T> {
    Sent,
    Full(T),
    Closed(T),
}

/// The result of trying to receive without waiting.
pub(crate) enum TryRecv<T> {
    Received(T),
    Empty,
    Closed,
}

impl<T> State<T> {
    /// Records a change that may have made a case ready.
    pub(crate) fn changed(&mut self) {
        self.version = self.version.wrapping_add(1);
    }

    /// `w` was claimed and its transfer done: wake it once the lock is released.
    fn served(&mut self, w: Waiter<T>) {
        self.wake.push(w.signal);
    }
}

impl<T> Locked<T> {
    pub(crate) fn new(cap: usize) -> Self {
        Locked {
            state: StateMutex::new(State {
                buf: VecDeque::with_capacity(cap.min(1024)),
                closed: false,
                recvq: VecDeque::new(),
                sendq: VecDeque::new(),
                senders: 1,
                receivers: 1,
                version: 0,
                wake: Wakes::default(),
            }),
            cap,
        }
    }

    pub(crate) fn lock(&self) -> Guard<'_, T> {
        Guard {
            st: Some(lock_state(&self.state)),
        }
    }

    /// The state's version (see [`State::version`]).
    pub(crate) fn version(&self) -> u64 {
        lock_state(&self.state).version
    }

    /// Sends `v` now if a receiver waits or the buffer has room.
    pub(crate) fn try_send(&self, st: &mut State<T>, v: T) -> TrySend<T> {
        if st.closed {
            return TrySend::Closed(v);
        }
        while let Some(w) = st.recvq.pop_front() {
            if w.signal.try_claim(w.case) {
                *lock(&w.slot) = Some(v);
                st.served(w);
                st.changed();
                return TrySend::Sent;
            }
        }
        if st.buf.len() < self.cap {
            st.buf.push_back(v);
            st.changed();
            TrySend::Sent
        } else {
            TrySend::Full(v)
        }
    }

    /// Receives now from the buffer or a waiting sender.
    pub(crate) fn try_recv(&self, st: &mut State<T>) -> TryRecv<T> {
        if let Some(v) = st.buf.pop_front() {
            st.changed();
            // Room was made: move the first waiting sender's value in behind.
            if st.buf.len() < self.cap {
                while let Some(w) = st.sendq.pop_front() {
                    if w.signal.try_claim(w.case) {
                        if let Some(sv) = lock(&w.slot).take() {
                            st.buf.push_back(sv);
                        }
                        st.served(w);
                        break;
                    }
                }
            }
            return TryRecv::Received(v);
        }
        while let Some(w) = st.sendq.pop_front() {
            if w.signal.try_claim(w.case) {
                let v = lock(&w.slot).take();
                st.served(w);
                st.changed();
                if let Some(v) = v {
                    return TryRecv::Received(v);
                }
            }
        }
        if st.closed {
            TryRecv::Closed
        } else {
            TryRecv::Empty
        }
    }

    /// Whether a send would complete now, not counting waiters owned by `me`.
    pub(crate) fn send_ready(&self, st: &State<T>, me: &Arc<Signal>) -> bool {
        st.closed
            || st.buf.len() < self.cap
            || st
                .recvq
                .iter()
                .any(|w| !Arc::ptr_eq(&w.signal, me) && w.signal.is_waiting())
    }

    /// Whether a receive would complete now, not counting waiters owned by `me`.
    pub(crate) fn recv_ready(&self, st: &State<T>, me: &Arc<Signal>) -> bool {
        st.closed
            || !st.buf.is_empty()
            || st
                .sendq
                .iter()
                .any(|w| !Arc::ptr_eq(&w.signal, me) && w.signal.is_waiting())
    }

    /// Whether a waiting send on `me`'s behalf is still possible.
    pub(crate) fn register_send(&self, st: &mut State<T>, w: Waiter<T>) {
        st.sendq.push_back(w);
        st.changed();
    }

    pub(crate) fn register_recv(&self, st: &mut State<T>, w: Waiter<T>) {
        st.recvq.push_back(w);
        st.changed();
    }

    /// Removes every waiter of `me` (after it was completed or gave up).
    pub(crate) fn unregister(&self, st: &mut State<T>, me: &Arc<Signal>) {
        st.recvq.retain(|w| !Arc::ptr_eq(&w.signal, me));
        st.sendq.retain(|w| !Arc::ptr_eq(&w.signal, me));
    }

    /// How many waiters are queued, stale ones included.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        let st = self.lock();
        st.recvq.len() + st.sendq.len()
    }

    /// Closes the channel; returns whether this call closed it. Every waiter is
    /// claimed and woken: receivers find their slot empty (closed), senders find
    /// their value still in the slot (returned to them).
    pub(crate) fn close(&self, st: &mut State<T>) -> bool {
        if st.closed {
            return false;
        }
        st.closed = true;
        st.changed();
        let claimed: Vec<Waiter<T>> = st
            .recvq
            .drain(..)
            .chain(st.sendq.drain(..))
            .filter(|w| w.signal.try_claim(w.case))
            .collect();
        for w in claimed {
            st.served(w);
        }
        true
    }

    /// The last receiver left: nothing can ever be received, so the channel
    /// closes and buffered values are dropped (outside the lock by the caller).
    pub(crate) fn disconnect_receivers(&self, st: &mut State<T>) -> VecDeque<T> {
        self.close(st);
        std::mem::take(&mut st.buf)
    }
}
