//! The buffered channel without a lock: a fixed ring of cells that senders and
//! receivers claim with a compare-and-swap on its tail and head.
//!
//! This is the design of crossbeam-channel's array flavour (itself Dmitry
//! Vyukov's bounded queue): each cell carries a *stamp* saying whose turn it is.
//! A position is `lap | index`; a cell whose stamp equals the tail is free for
//! the sender at that position, one whose stamp equals the head plus one holds
//! the value for the receiver at that position. Senders touch the tail's cache
//! line and receivers the head's, so neither side waits for a lock holder that
//! the scheduler took off its core.
//!
//! Waiting is where it differs from Go's `hchan`: a value is never handed to a
//! blocked peer directly. A blocked operation leaves its [`Signal`] in
//! [`Waiters`]; a peer that changes the buffer claims one such signal and wakes
//! it, and the woken operation tries again (its case's `collect` reports "not
//! done"). If someone else took the value first, the woken operation queues
//! again, so no wake-up is lost: the value it was woken for went to a receiver.
//!
//! # Invariants
//! 1. `head` and `tail` only move forward (modulo wrapping); the closed mark
//!    lives in `tail` and, once set, stays.
//! 2. A send succeeds only by moving `tail` from a value without the mark, so no
//!    value enters after `close` (whose `fetch_or` is the linearization point).
//! 3. A cell's value is initialized exactly when its stamp is one past the
//!    position it was written at and the head has not yet passed it.
//!
//! # Not losing wake-ups
//! As `wait/waiters.rs` describes: the positions a waiter reads to check readiness
//! are `head` and `tail`, and `close` is a `fetch_or` of the mark on `tail`.
//!
//! # Memory ordering
//! - A cell's stamp publishes its value: the sender writes the value, then
//!   stores the stamp with `Release`; the receiver loads the stamp with
//!   `Acquire` before reading. The receiver's `Release` store of the next
//!   lap's stamp and the next sender's `Acquire` load order the read before
//!   the cell is written again. Weakening the first `Release` to `Relaxed`
//!   makes 5 of the 14 models in `tests/loom_chan.rs` fail ("Causality
//!   violation: Concurrent write accesses to `UnsafeCell`").
//! - `head` and `tail` move by `SeqCst` compare-and-swaps and are read with
//!   `SeqCst` wherever readiness is decided (`send_ready`, `recv_ready`,
//!   `version`, a waiter's re-check after registering). Not losing a wake-up is a
//!   store-then-load on each side (a peer moves a position then looks for
//!   waiters; a waiter registers then looks at the positions), and only a
//!   single total order over both guarantees that one of them sees the
//!   other. The `Relaxed` loads are first guesses that a compare-and-swap
//!   then checks.

use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicUsize, Ordering, UnsafeCell};

use super::locked::{TryRecv, TrySend};
use crate::chan::wait::waiters::{backoff, contended, Waiters};

/// A snapshot of a channel's positions: equal snapshots at two reads mean no
/// value went in or out and the channel did not close in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    head: u64,
    tail: u64,
}

impl Version {
    /// What an attempt that completed reports: nothing it saw matters, as
    /// only an attempt that found the channel not ready is retried.
    pub(crate) const DONE: Version = Version { head: 0, tail: 0 };

    pub(crate) fn new(head: u64, tail: u64) -> Self {
        Version { head, tail }
    }
}

struct Cell<T> {
    stamp: AtomicUsize,
    value: UnsafeCell<MaybeUninit<T>>,
}

pub(crate) struct Array<T> {
    /// The next position to receive from.
    head: CachePadded<AtomicUsize>,
    /// The next position to send to, with [`Array::mark`] set once closed.
    tail: CachePadded<AtomicUsize>,
    cells: Box<[Cell<T>]>,
    cap: usize,
    /// The closed bit: the lowest bit above every index.
    mark: usize,
    /// What a position advances by when it wraps around the ring.
    one_lap: usize,
    /// Blocked senders, woken when a value is taken out.
    pub(crate) senders: Waiters,
    /// Blocked receivers, woken when a value is put in.
    pub(crate) receivers: Waiters,
    pub(crate) sender_count: AtomicUsize,
    pub(crate) receiver_count: AtomicUsize,
}

// SAFETY: values move between threads through the cells, each accessed by one
// thread at a time (the one that claimed its position); nothing is shared.
unsafe impl<T: Send> Send for Array<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Array<T> {}

impl<T> Array<T> {
    pub(crate) fn new(cap: usize) -> Self {
        assert!(cap > 0, "the array flavour needs room for a value");
        let mark = (cap + 1).next_power_of_two();
        let cells = (0..cap)
            .map(|i| Cell {
                stamp: AtomicUsize::new(i),
                value: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Array {
            head: CachePadded::new(AtomicUsize::new(0)),
            tail: CachePadded::new(AtomicUsize::new(0)),
            cells,
            cap,
            mark,
            one_lap: mark * 2,
            senders: Waiters::new(),
            receivers: Waiters::new(),
            sender_count: AtomicUsize::new(1),
            receiver_count: AtomicUsize::new(1),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// The position after `pos` (which carries no mark).
    fn next(&self, pos: usize) -> usize {
        if (pos & (self.mark - 1)) + 1 < self.cap {
            pos + 1
        } else {
            (pos & !(self.one_lap - 1)).wrapping_add(self.one_lap)
        }
    }

    /// Sends `v` if there is room; `Full` comes with the version it was full at.
    pub(crate) fn try_send(&self, v: T) -> Result<(), (TrySend<T>, Version)> {
        let mut step = 0;
        let mut lost = 0;
        let mut tail = self.tail.load(Ordering::Relaxed);
        loop {
            if tail & self.mark != 0 {
                return Err((TrySend::Closed(v), Version::DONE));
            }
            let cell = &self.cells[tail & (self.mark - 1)];
            let stamp = cell.stamp.load(Ordering::Acquire);
            if stamp == tail {
                match self.tail.compare_exchange_weak(
                    tail,
                    self.next(tail),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the position is ours alone until the stamp
                        // below publishes it; the cell is empty (invariant 3).
                        cell.value.with_mut(|p| unsafe { (*p).write(v) });
                        cell.stamp.store(tail + 1, Ordering::Release);
                        self.receivers.notify_one();
                        return Ok(());
                    }
                    Err(t) => {
                        tail = t;
                        contended(&mut lost);
                    }
                }
            } else {
                if stamp.wrapping_add(self.one_lap) == tail + 1 {
                    // The cell still holds last lap's value: full, unless a
                    // receiver has claimed it and is taking it out right now.
                    let head = self.head.load(Ordering::SeqCst);
                    if head.wrapping_add(self.one_lap) == tail {
                        return Err((TrySend::Full(v), Version::new(head as u64, tail as u64)));
                    }
                }
                // Otherwise another sender or a receiver is mid-way: catch up.
                backoff(&mut step);
                tail = self.tail.load(Ordering::Relaxed);
            }
        }
    }

    /// Receives a value if one is there; `Empty` comes with the version it was
    /// empty at.
    pub(crate) fn try_recv(&self) -> Result<T, (TryRecv<T>, Version)> {
        let mut step = 0;
        let mut lost = 0;
        let mut head = self.head.load(Ordering::Relaxed);
        loop {
            let cell = &self.cells[head & (self.mark - 1)];
            let stamp = cell.stamp.load(Ordering::Acquire);
            if stamp == head + 1 {
                match self.head.compare_exchange_weak(
                    head,
                    self.next(head),
                    Ordering::SeqCst,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        // SAFETY: the stamp says the value is written, and the
                        // position is ours alone (invariant 3).
                        let v = cell.value.with_mut(|p| unsafe { (*p).assume_init_read() });
                        cell.stamp
                            .store(head.wrapping_add(self.one_lap), Ordering::Release);
                        self.senders.notify_one();
                        return Ok(v);
                    }
                    Err(h) => {
                        head = h;
                        contended(&mut lost);
                    }
                }
            } else {
                if stamp == head {
                    // Nothing written here yet: empty, unless a sender has
                    // claimed the cell and is writing it right now.
                    let tail = self.tail.load(Ordering::SeqCst);
                    if tail & !self.mark == head {
                        let empty = if tail & self.mark != 0 {
                            TryRecv::Closed
                        } else {
                            TryRecv::Empty
                        };
                        return Err((empty, Version::new(head as u64, tail as u64)));
                    }
                }
                // Otherwise another receiver or a sender is mid-way: catch up.
                backoff(&mut step);
                head = self.head.load(Ordering::Relaxed);
            }
        }
    }

    /// The current positions (see [`Version`]).
    pub(crate) fn version(&self) -> Version {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        Version::new(head as u64, tail as u64)
    }

    /// Whether a send would not find the channel full (or would find it closed).
    pub(crate) fn send_ready(&self) -> bool {
        let tail = self.tail.load(Ordering::SeqCst);
        let head = self.head.load(Ordering::SeqCst);
        tail & self.mark != 0 || head.wrapping_add(self.one_lap) != tail
    }

    /// Whether a receive would find a value (or the channel closed).
    pub(crate) fn recv_ready(&self) -> bool {
        let head = self.head.load(Ordering::SeqCst);
        let tail = self.tail.load(Ordering::SeqCst);
        tail != head
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tail.load(Ordering::SeqCst) & self.mark != 0
    }

    /// Closes the channel; returns whether this call closed it. Every blocked
    /// operation wakes and finds it closed.
    pub(crate) fn close(&self) -> bool {
        let before = self.tail.fetch_or(self.mark, Ordering::SeqCst);
        if before & self.mark != 0 {
            return false;
        }
        self.senders.notify_all();
        self.receivers.notify_all();
        true
    }

    /// The number of values in the buffer.
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.load(Ordering::SeqCst);
            let head = self.head.load(Ordering::SeqCst);
            if self.tail.load(Ordering::SeqCst) != tail {
                continue;
            }
            let hix = head & (self.mark - 1);
            let tix = tail & (self.mark - 1);
            return if hix < tix {
                tix - hix
            } else if hix > tix {
                self.cap - hix + tix
            } else if tail & !self.mark == head {
                0
            } else {
                self.cap
            };
        }
    }

    /// The last receiver left: closes the channel and drops every buffered
    /// value, each exactly once. Only the last receiver calls this, so nothing
    /// else moves the head meanwhile.
    pub(crate) fn disconnect_receivers(&self) {
        self.close();
        // No send can claim a position any more; wait for those that did.
        let tail = self.tail.load(Ordering::SeqCst) & !self.mark;
        let mut head = self.head.load(Ordering::SeqCst);
        while head != tail {
            let cell = &self.cells[head & (self.mark - 1)];
            let mut step = 0;
            while cell.stamp.load(Ordering::Acquire) != head + 1 {
                backoff(&mut step);
            }
            let next = self.next(head);
            // Moved past before the value is dropped, so a panicking destructor
            // cannot make `Drop` drop it again.
            self.head.store(next, Ordering::SeqCst);
            // SAFETY: the stamp says the value is written; no one else receives.
            drop(cell.value.with_mut(|p| unsafe { (*p).assume_init_read() }));
            head = next;
        }
    }
}

impl<T> Drop for Array<T> {
    fn drop(&mut self) {
        let tail = self.tail.load(Ordering::Relaxed) & !self.mark;
        let mut head = self.head.load(Ordering::Relaxed);
        while head != tail {
            let cell = &self.cells[head & (self.mark - 1)];
            // SAFETY: every position between head and tail holds a value, and
            // with `&mut self` no sender is still writing one.
            cell.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
            head = self.next(head);
        }
    }
}
