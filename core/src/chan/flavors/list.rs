//! The unbounded channel without a lock: a chain of fixed-size blocks of
//! slots, which senders append to and receivers consume from the front.
//!
//! This is the design of crossbeam-channel's list flavour. A position counts
//! every slot ever claimed; it is kept shifted left by one, and the freed low
//! bit is a flag: in `tail`, "closed"; in `head`, "a later block exists", which
//! tells a receiver there is a value ahead without reading `tail` (the
//! senders' cache line). Of every [`LAP`] positions the first [`BLOCK_CAP`]
//! name the slots of one block and the last is a *gate*: the sender that
//! claims a block's last slot links the next block and then moves `tail` past
//! the gate, the receiver that claims it moves `head` past the gate once that
//! block is linked, and everyone else waits at the gate the few instructions
//! this takes.
//!
//! A slot's `state` records its life: written by its sender, read by its
//! receiver. A block is freed by whoever finishes with it last: the receiver
//! of its last slot walks the other slots and frees it if all were read;
//! finding one still being read, it marks that slot instead, and the slot's
//! reader, seeing the mark, carries on the walk from there.
//!
//! Senders never wait: only receivers have a [`Waiters`] list.
//!
//! # Invariants
//! 1. `head` and `tail` only move forward; the closed flag in `tail`, once
//!    set, stays, and no send claims a position after it.
//! 2. Every position in `head..tail` that is not a gate names a slot whose
//!    value is written (or about to be, by the sender that claimed it) and
//!    not yet taken; the blocks holding them are linked from `head.block`.
//! 3. A block is freed exactly once, after every slot in it was read or, for
//!    the last receiver, dropped.
//!
//! # Not losing wake-ups
//! As `wait/waiters.rs` describes: the positions a waiting receiver reads are
//! `head` and `tail`, and `close` is a `fetch_or` of the flag on `tail`.
//!
//! # Memory ordering
//! - A slot's state bits publish its value: the sender writes it, then sets
//!   `WRITTEN` with `Release`; the receiver loads the state with `Acquire`
//!   before reading.
//! - A block is published by `Release` stores of its pointer (as the next
//!   block of the one before, and as the tail's and the head's block) and
//!   read through `Acquire` loads, so its initialisation comes before any use.
//! - Freeing a block is a handshake on the `READ` and `FREE_AFTER` bits with
//!   `AcqRel`: the reader that frees it has seen every other reader of it
//!   leave.
//! - `head` and `tail` indexes are read and moved with `SeqCst` wherever
//!   readiness is decided, for the reason `array.rs` gives: not losing a
//!   wake-up needs one total order over a position's move and a waiter's
//!   registration.

use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr;

use crossbeam_utils::CachePadded;

use crate::loom::{AtomicPtr, AtomicUsize, Ordering, UnsafeCell};

use super::array::Version;
use super::locked::TryRecv;
use crate::chan::wait::waiters::{backoff, contended, Waiters};

/// Positions per block, its gate included. Small under loom, so that models
/// with a handful of values cross from one block to the next.
const LAP: usize = if cfg!(loom) { 3 } else { 32 };
/// Slots per block.
const BLOCK_CAP: usize = LAP - 1;
/// How far a position is shifted to make room for the flag bit.
const SHIFT: usize = 1;
/// The flag bit: "closed" in `tail`, "a later block exists" in `head`.
const FLAG: usize = 1;
/// One position, as stored.
const STEP: usize = 1 << SHIFT;

/// `Slot::state` bits.
const WRITTEN: usize = 1;
const READ: usize = 2;
/// Set on a slot still being read when its block's last slot was read: that
/// slot's reader frees the block.
const FREE_AFTER: usize = 4;

struct Slot<T> {
    value: UnsafeCell<MaybeUninit<T>>,
    state: AtomicUsize,
}

impl<T> Slot<T> {
    fn new() -> Self {
        Slot {
            value: UnsafeCell::new(MaybeUninit::uninit()),
            state: AtomicUsize::new(0),
        }
    }

    /// Waits for the sender that claimed this slot to finish writing it.
    fn wait_written(&self) {
        let mut step = 0;
        while self.state.load(Ordering::Acquire) & WRITTEN == 0 {
            backoff(&mut step);
        }
    }
}

struct Block<T> {
    next: AtomicPtr<Block<T>>,
    slots: [Slot<T>; BLOCK_CAP],
    /// For the model checker: read on every use of a slot and written when
    /// the block is freed, so that a free not ordered after every use is
    /// reported as a data race (loom cannot see a use after a real free).
    #[cfg(loom)]
    alive: loom::cell::UnsafeCell<()>,
}

impl<T> Block<T> {
    fn boxed() -> Box<Self> {
        Box::new(Block {
            next: AtomicPtr::new(ptr::null_mut()),
            slots: std::array::from_fn(|_| Slot::new()),
            #[cfg(loom)]
            alive: loom::cell::UnsafeCell::new(()),
        })
    }

    /// The slot at `at`, about to be written or read.
    fn slot(&self, at: usize) -> &Slot<T> {
        #[cfg(loom)]
        self.alive.with(|_| ());
        &self.slots[at]
    }

    /// Frees the block.
    ///
    /// # Safety
    /// `this` came from `Box::into_raw` and no one uses the block any more.
    unsafe fn free(this: *mut Block<T>) {
        // SAFETY: the caller's.
        let block = unsafe { Box::from_raw(this) };
        #[cfg(loom)]
        block.alive.with_mut(|_| ());
        drop(block);
    }

    /// Waits for the sender that claimed this block's last slot to link the
    /// next block.
    fn wait_next(&self) -> *mut Block<T> {
        let mut step = 0;
        loop {
            let next = self.next.load(Ordering::Acquire);
            if !next.is_null() {
                return next;
            }
            backoff(&mut step);
        }
    }

    /// Frees the block unless a slot from `from` on (the last excluded: its
    /// reader started this) is still being read; that slot is marked, and
    /// its reader calls this again past it.
    ///
    /// # Safety
    /// `this` came from `Box::into_raw`, every slot before `from` was read,
    /// and the caller is the last user of the block's slots at `from - 1`.
    unsafe fn release(this: *mut Block<T>, from: usize) {
        for i in from..BLOCK_CAP - 1 {
            // SAFETY: the block lives until this walk frees it.
            let slot = unsafe { &(*this).slots[i] };
            if slot.state.load(Ordering::Acquire) & READ == 0
                && slot.state.fetch_or(FREE_AFTER, Ordering::AcqRel) & READ == 0
            {
                return;
            }
        }
        // SAFETY: every slot was read and no one else holds the block.
        unsafe { Block::free(this) };
    }
}

/// One end of the chain: a position and the block it falls in.
struct End<T> {
    index: AtomicUsize,
    block: AtomicPtr<Block<T>>,
}

impl<T> End<T> {
    fn new() -> Self {
        End {
            index: AtomicUsize::new(0),
            block: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

pub(crate) struct List<T> {
    /// The next position to receive from; its block is null until the first
    /// send.
    head: CachePadded<End<T>>,
    /// The next position to send to.
    tail: CachePadded<End<T>>,
    /// Blocked receivers, woken when a value is put in.
    pub(crate) receivers: Waiters,
    pub(crate) sender_count: AtomicUsize,
    pub(crate) receiver_count: AtomicUsize,
    _owns: PhantomData<T>,
}

// SAFETY: values move between threads through the slots, each accessed by one
// thread at a time (the one that claimed its position); nothing is shared.
unsafe impl<T: Send> Send for List<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for List<T> {}

/// The slot number of `pos` (a position without its flag) in its block;
/// [`BLOCK_CAP`] for a gate.
fn offset(pos: usize) -> usize {
    (pos >> SHIFT) % LAP
}

/// `pos` as a plain count of positions, a gate moved to the position after it
/// (one waiting at a gate is about to be moved there).
fn count(pos: usize) -> usize {
    let n = pos >> SHIFT;
    if n % LAP == BLOCK_CAP {
        n.wrapping_add(1)
    } else {
        n
    }
}

impl<T> List<T> {
    pub(crate) fn new() -> Self {
        List {
            head: CachePadded::new(End::new()),
            tail: CachePadded::new(End::new()),
            receivers: Waiters::new(),
            sender_count: AtomicUsize::new(1),
            receiver_count: AtomicUsize::new(1),
            _owns: PhantomData,
        }
    }

    /// Sends `v`; gives it back if the channel is closed.
    pub(crate) fn try_send(&self, v: T) -> Result<(), T> {
        let mut step = 0;
        let mut lost = 0;
        let mut tail = self.tail.index.load(Ordering::Acquire);
        let mut block = self.tail.block.load(Ordering::Acquire);
        // The block to link after this one, allocated before claiming the
        // last slot so that others wait at the gate as briefly as possible.
        let mut spare: Option<Box<Block<T>>> = None;
        loop {
            if tail & FLAG != 0 {
                return Err(v);
            }
            let at = offset(tail);
            if at == BLOCK_CAP {
                // The claimant of the last slot is linking the next block.
                backoff(&mut step);
                tail = self.tail.index.load(Ordering::Acquire);
                block = self.tail.block.load(Ordering::Acquire);
                continue;
            }
            if at + 1 == BLOCK_CAP && spare.is_none() {
                spare = Some(Block::boxed());
            }
            if block.is_null() {
                // The first send ever: install the first block, at both ends.
                let first = Box::into_raw(spare.take().unwrap_or_else(Block::boxed));
                match self.tail.block.compare_exchange(
                    ptr::null_mut(),
                    first,
                    Ordering::Release,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        self.head.block.store(first, Ordering::Release);
                        block = first;
                    }
                    Err(_) => {
                        // Another sender installed one; keep ours for later.
                        // SAFETY: `first` was never shared.
                        spare = Some(unsafe { Box::from_raw(first) });
                        tail = self.tail.index.load(Ordering::Acquire);
                        block = self.tail.block.load(Ordering::Acquire);
                        continue;
                    }
                }
            }
            match self.tail.index.compare_exchange_weak(
                tail,
                tail + STEP,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: `block` is the block of `tail` (it was read after
                    // `tail`, and `tail` had not passed the gate), and blocks
                    // are freed only after all their slots are read, which
                    // this one's at `at` is not.
                    let block = unsafe { &*block };
                    if at + 1 == BLOCK_CAP {
                        let next = Box::into_raw(spare.take().expect("allocated above"));
                        self.tail.block.store(next, Ordering::Release);
                        self.tail.index.fetch_add(STEP, Ordering::Release);
                        block.next.store(next, Ordering::Release);
                    }
                    let slot = block.slot(at);
                    // SAFETY: the slot is ours alone until `WRITTEN` is set.
                    slot.value.with_mut(|p| unsafe { (*p).write(v) });
                    slot.state.fetch_or(WRITTEN, Ordering::Release);
                    self.receivers.notify_one();
                    return Ok(());
                }
                Err(t) => {
                    tail = t;
                    block = self.tail.block.load(Ordering::Acquire);
                    contended(&mut lost);
                }
            }
        }
    }

    /// Receives a value if one is there; `Empty` or `Closed` come with the
    /// version they were seen at.
    pub(crate) fn try_recv(&self) -> Result<T, (TryRecv<T>, Version)> {
        let mut step = 0;
        let mut lost = 0;
        let mut head = self.head.index.load(Ordering::Acquire);
        let mut block = self.head.block.load(Ordering::Acquire);
        loop {
            let at = offset(head);
            if at == BLOCK_CAP {
                // The claimant of the last slot is moving on to the next block.
                backoff(&mut step);
                head = self.head.index.load(Ordering::Acquire);
                block = self.head.block.load(Ordering::Acquire);
                continue;
            }
            let mut next_head = head + STEP;
            if head & FLAG == 0 {
                // Whether a value is ahead is known only from the tail.
                let tail = self.tail.index.load(Ordering::SeqCst);
                if head >> SHIFT == tail >> SHIFT {
                    let seen = Version::new(head as u64, tail as u64);
                    return if tail & FLAG != 0 {
                        Err((TryRecv::Closed, seen))
                    } else {
                        Err((TryRecv::Empty, seen))
                    };
                }
                if (head >> SHIFT) / LAP != (tail >> SHIFT) / LAP {
                    next_head |= FLAG;
                }
            }
            if block.is_null() {
                // The first sender is still installing the first block.
                backoff(&mut step);
                head = self.head.index.load(Ordering::Acquire);
                block = self.head.block.load(Ordering::Acquire);
                continue;
            }
            match self.head.index.compare_exchange_weak(
                head,
                next_head,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: as in `try_send`; the slot at `at` is unread,
                    // so the block is not freed before this reads it.
                    let b = unsafe { &*block };
                    if at + 1 == BLOCK_CAP {
                        let next = b.wait_next();
                        let mut moved = (next_head & !FLAG) + STEP;
                        // SAFETY: `next` is linked and holds unread slots.
                        if !unsafe { &*next }.next.load(Ordering::Relaxed).is_null() {
                            moved |= FLAG;
                        }
                        self.head.block.store(next, Ordering::Release);
                        self.head.index.store(moved, Ordering::Release);
                    }
                    let slot = b.slot(at);
                    slot.wait_written();
                    // SAFETY: written, and the position is ours alone.
                    let v = slot.value.with_mut(|p| unsafe { (*p).assume_init_read() });
                    if at + 1 == BLOCK_CAP {
                        // SAFETY: this was the block's last slot.
                        unsafe { Block::release(block, 0) };
                    } else if slot.state.fetch_or(READ, Ordering::AcqRel) & FREE_AFTER != 0 {
                        // SAFETY: the last slot's reader left the rest to us.
                        unsafe { Block::release(block, at + 1) };
                    }
                    return Ok(v);
                }
                Err(h) => {
                    head = h;
                    block = self.head.block.load(Ordering::Acquire);
                    contended(&mut lost);
                }
            }
        }
    }

    /// The current positions (see [`Version`]).
    pub(crate) fn version(&self) -> Version {
        let head = self.head.index.load(Ordering::SeqCst);
        let tail = self.tail.index.load(Ordering::SeqCst);
        Version::new(head as u64, tail as u64)
    }

    /// Whether a receive would find a value (or the channel closed).
    pub(crate) fn recv_ready(&self) -> bool {
        let head = self.head.index.load(Ordering::SeqCst);
        let tail = self.tail.index.load(Ordering::SeqCst);
        tail & FLAG != 0 || count(head) != count(tail)
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.tail.index.load(Ordering::SeqCst) & FLAG != 0
    }

    /// Closes the channel; returns whether this call closed it. Every blocked
    /// receiver wakes and finds the rest of the values, then the close.
    pub(crate) fn close(&self) -> bool {
        let before = self.tail.index.fetch_or(FLAG, Ordering::SeqCst);
        if before & FLAG != 0 {
            return false;
        }
        self.receivers.notify_all();
        true
    }

    /// The number of values in the channel.
    pub(crate) fn len(&self) -> usize {
        loop {
            let tail = self.tail.index.load(Ordering::SeqCst);
            let head = self.head.index.load(Ordering::SeqCst);
            if self.tail.index.load(Ordering::SeqCst) != tail {
                continue;
            }
            let (h, t) = (count(head), count(tail));
            // Positions from head to tail, less the gates between them.
            let gates = (t / LAP).wrapping_sub(h / LAP);
            return t.wrapping_sub(h).wrapping_sub(gates);
        }
    }

    /// The last receiver left: closes the channel and drops every value in
    /// it, each exactly once, with the blocks that held them. Only the last
    /// receiver calls this, so no one else moves the head meanwhile.
    pub(crate) fn disconnect_receivers(&self) {
        self.close();
        // No send can claim a position any more; wait for one linking a block.
        let mut step = 0;
        let mut tail = self.tail.index.load(Ordering::SeqCst);
        while offset(tail) == BLOCK_CAP {
            backoff(&mut step);
            tail = self.tail.index.load(Ordering::SeqCst);
        }
        let mut head = self.head.index.load(Ordering::SeqCst);
        // Taken, not read: a first sender may install the first block late
        // (its send then fails), and `Drop` frees that one.
        let mut block = self.head.block.swap(ptr::null_mut(), Ordering::AcqRel);
        while head >> SHIFT != tail >> SHIFT && block.is_null() {
            // A value was sent into the first block before it was installed
            // at the head.
            backoff(&mut step);
            block = self.head.block.swap(ptr::null_mut(), Ordering::AcqRel);
        }
        while head >> SHIFT != tail >> SHIFT {
            let at = offset(head);
            // SAFETY: the blocks from `head` on are linked and not freed: no
            // receiver is left to free them.
            let b = unsafe { &*block };
            if at < BLOCK_CAP {
                let slot = b.slot(at);
                slot.wait_written();
                // SAFETY: written and never read.
                slot.value.with_mut(|p| unsafe { (*p).assume_init_drop() });
            } else {
                let next = b.wait_next();
                // SAFETY: every value in it was taken; no one else holds it.
                unsafe { Block::free(block) };
                block = next;
            }
            head = (head & !FLAG) + STEP;
        }
        if !block.is_null() {
            // SAFETY: as above.
            unsafe { Block::free(block) };
        }
        self.head.index.store(head & !FLAG, Ordering::SeqCst);
    }
}

impl<T> Drop for List<T> {
    fn drop(&mut self) {
        let tail = self.tail.index.load(Ordering::Relaxed) & !FLAG;
        let mut head = self.head.index.load(Ordering::Relaxed) & !FLAG;
        let mut block = self.head.block.load(Ordering::Relaxed);
        while head != tail {
            let at = offset(head);
            // SAFETY: with `&mut self` no one else touches the chain; the
            // blocks from the head on are linked and live.
            let b = unsafe { &*block };
            if at < BLOCK_CAP {
                // SAFETY: every slot between head and tail holds a value.
                b.slot(at)
                    .value
                    .with_mut(|p| unsafe { (*p).assume_init_drop() });
            } else {
                let next = b.next.load(Ordering::Relaxed);
                // SAFETY: its values are all gone.
                unsafe { Block::free(block) };
                block = next;
            }
            head += STEP;
        }
        if !block.is_null() {
            // SAFETY: the last block, emptied above.
            unsafe { Block::free(block) };
        }
    }
}
