//! Which engine a channel runs on, chosen by its capacity:
//!
//! - **buffered, `ARRAY_MIN..=ARRAY_MAX`**: [`Array`], a ring of cells claimed
//!   with a compare-and-swap, no lock on the way of a value;
//! - **unbounded**: [`List`], a chain of blocks of slots claimed the same way;
//! - **everything else**: [`Locked`], Go's `hchan` (one lock, a growable buffer
//!   and wait queues that hand values to blocked peers directly). A rendezvous
//!   is nothing but such hand-offs; below `ARRAY_MIN` nearly every message
//!   meets a blocked peer, and a direct hand-off costs one wake-up where the
//!   ring's "wake, then try again" costs more; a very large buffer grows as it
//!   fills, which a ring allocated up front cannot.
//!
//! `EXPERIMENTS.md` in this folder has the measurements behind the split.

use crate::loom::{Arc, AtomicUsize, Ordering};

mod array;
mod list;
mod locked;

pub(crate) use array::{Array, Version};
pub(crate) use list::List;
pub(crate) use locked::{Locked, Slot, TryRecv, TrySend, Waiter};

use super::wait::signal::Signal;
use super::wait::waiters::Waiters;

/// The smallest buffer that runs on the ring: below it, nearly every message
/// meets a blocked peer and the locked engine's direct hand-off wins
/// (`EXPERIMENTS.md`, "The ring against the locked engine").
pub(crate) const ARRAY_MIN: usize = 4;

/// The largest buffer allocated up front as a ring (values and a stamp each).
/// Larger bounds are rare and mostly "effectively unbounded"; they grow as
/// needed instead of allocating all their memory at once.
const ARRAY_MAX: usize = 1 << 16;

// Allocated once per channel, inside the `Arc` its halves share; boxing the
// lock-free engines would add a pointer hop to every operation to save memory
// on the smaller variant.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Channel<T> {
    Locked(Locked<T>),
    Array(Array<T>),
    List(List<T>),
}

/// The two sides of a channel, for what the lock-free engines keep per side.
#[derive(Clone, Copy)]
pub(crate) enum Side {
    Send,
    Recv,
}

impl<T> Channel<T> {
    pub(crate) fn bounded(cap: usize) -> Self {
        if (ARRAY_MIN..=ARRAY_MAX).contains(&cap) {
            Channel::Array(Array::new(cap))
        } else {
            Channel::Locked(Locked::new(cap))
        }
    }

    pub(crate) fn unbounded() -> Self {
        Channel::List(List::new())
    }

    /// Whether values pass through the lock-free engines, which wake a
    /// blocked operation to try again instead of handing it a value.
    pub(crate) fn is_lock_free(&self) -> bool {
        !matches!(self, Channel::Locked(_))
    }

    /// A lock-free engine's blocked operations on `side`; `None` on the
    /// locked engine (whose wait queues hold values too) and for sends on an
    /// unbounded channel, which never wait.
    pub(crate) fn waiters(&self, side: Side) -> Option<&Waiters> {
        match (self, side) {
            (Channel::Array(a), Side::Send) => Some(&a.senders),
            (Channel::Array(a), Side::Recv) => Some(&a.receivers),
            (Channel::List(l), Side::Recv) => Some(&l.receivers),
            (Channel::List(_), Side::Send) | (Channel::Locked(_), _) => None,
        }
    }

    /// How many blocked operations' waiters the channel holds, on both sides.
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        match self {
            Channel::Locked(c) => c.queued(),
            _ => [Side::Send, Side::Recv]
                .into_iter()
                .filter_map(|side| self.waiters(side))
                .map(Waiters::len)
                .sum(),
        }
    }

    /// On a lock-free engine: whether an operation on `side` would not wait
    /// (it would succeed, or find the channel closed).
    pub(crate) fn ready(&self, side: Side) -> bool {
        match (self, side) {
            (Channel::Array(a), Side::Send) => a.send_ready(),
            (Channel::Array(a), Side::Recv) => a.recv_ready(),
            (Channel::List(_), Side::Send) => true,
            (Channel::List(l), Side::Recv) => l.recv_ready(),
            (Channel::Locked(_), _) => unreachable!("the locked engine checks under its lock"),
        }
    }

    /// On a lock-free engine: queues `me` as case `case` on `side`, unless
    /// that side is ready (then returns `true` and queues nothing).
    pub(crate) fn register_lock_free(&self, side: Side, me: &Arc<Signal>, case: usize) -> bool {
        match self.waiters(side) {
            Some(w) => w.register_unless(me, case, || self.ready(side)),
            None => true,
        }
    }

    /// Takes `me` off the channel's waiters if it is still there: off
    /// `side`'s on a lock-free engine, off both queues on the locked one.
    pub(crate) fn unregister(&self, side: Side, me: &Arc<Signal>) {
        match self {
            Channel::Locked(c) => c.unregister(&mut c.lock(), me),
            _ => {
                if let Some(w) = self.waiters(side) {
                    w.unregister(me);
                }
            }
        }
    }

    pub(crate) fn try_send(&self, v: T) -> TrySend<T> {
        self.try_send_seen(v).0
    }

    /// [`try_send`](Self::try_send), with the version the channel was full
    /// at (see [`version`](Self::version)) when it was.
    pub(crate) fn try_send_seen(&self, v: T) -> (TrySend<T>, Version) {
        match self {
            Channel::Locked(c) => {
                let mut st = c.lock();
                (c.try_send(&mut st, v), Version::new(st.version, 0))
            }
            Channel::Array(a) => match a.try_send(v) {
                Ok(()) => (TrySend::Sent, Version::DONE),
                Err(failed) => failed,
            },
            Channel::List(l) => match l.try_send(v) {
                Ok(()) => (TrySend::Sent, Version::DONE),
                Err(v) => (TrySend::Closed(v), Version::DONE),
            },
        }
    }

    pub(crate) fn try_recv(&self) -> TryRecv<T> {
        self.try_recv_seen().0
    }

    /// [`try_recv`](Self::try_recv), with the version the channel was empty
    /// at when it was.
    pub(crate) fn try_recv_seen(&self) -> (TryRecv<T>, Version) {
        match self {
            Channel::Locked(c) => {
                let mut st = c.lock();
                (c.try_recv(&mut st), Version::new(st.version, 0))
            }
            Channel::Array(a) => match a.try_recv() {
                Ok(v) => (TryRecv::Received(v), Version::DONE),
                Err(failed) => failed,
            },
            Channel::List(l) => match l.try_recv() {
                Ok(v) => (TryRecv::Received(v), Version::DONE),
                Err(failed) => failed,
            },
        }
    }

    /// A value that changes whenever a case on this channel may have become
    /// ready (see `wait::blocking`).
    pub(crate) fn version(&self) -> Version {
        match self {
            Channel::Locked(c) => Version::new(c.version(), 0),
            Channel::Array(a) => a.version(),
            Channel::List(l) => l.version(),
        }
    }

    pub(crate) fn close(&self) -> bool {
        match self {
            Channel::Locked(c) => c.close(&mut c.lock()),
            Channel::Array(a) => a.close(),
            Channel::List(l) => l.close(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Channel::Locked(c) => c.lock().closed,
            Channel::Array(a) => a.is_closed(),
            Channel::List(l) => l.is_closed(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Channel::Locked(c) => c.lock().buf.len(),
            Channel::Array(a) => a.len(),
            Channel::List(l) => l.len(),
        }
    }

    /// The capacity; `None` when unbounded.
    pub(crate) fn capacity(&self) -> Option<usize> {
        match self {
            Channel::Locked(c) => Some(c.cap),
            Channel::Array(a) => Some(a.capacity()),
            Channel::List(_) => None,
        }
    }

    /// A lock-free engine's count of live ends on `side` (the locked engine
    /// counts under its lock).
    fn ends(&self, side: Side) -> &AtomicUsize {
        match (self, side) {
            (Channel::Array(a), Side::Send) => &a.sender_count,
            (Channel::Array(a), Side::Recv) => &a.receiver_count,
            (Channel::List(l), Side::Send) => &l.sender_count,
            (Channel::List(l), Side::Recv) => &l.receiver_count,
            (Channel::Locked(_), _) => unreachable!("the locked engine counts under its lock"),
        }
    }

    pub(crate) fn add_sender(&self) {
        match self {
            Channel::Locked(c) => c.lock().senders += 1,
            _ => drop(self.ends(Side::Send).fetch_add(1, Ordering::Relaxed)),
        }
    }

    pub(crate) fn add_receiver(&self) {
        match self {
            Channel::Locked(c) => c.lock().receivers += 1,
            _ => drop(self.ends(Side::Recv).fetch_add(1, Ordering::Relaxed)),
        }
    }

    /// A sender went; the last one closes the channel.
    pub(crate) fn drop_sender(&self) {
        match self {
            Channel::Locked(c) => {
                let mut st = c.lock();
                st.senders -= 1;
                if st.senders == 0 {
                    c.close(&mut st);
                }
            }
            _ => {
                if self.ends(Side::Send).fetch_sub(1, Ordering::AcqRel) == 1 {
                    self.close();
                }
            }
        }
    }

    /// A receiver went; the last one closes the channel and drops what is
    /// buffered, since no one can receive it.
    pub(crate) fn drop_receiver(&self) {
        match self {
            Channel::Locked(c) => {
                let dropped = {
                    let mut st = c.lock();
                    st.receivers -= 1;
                    if st.receivers > 0 {
                        return;
                    }
                    c.disconnect_receivers(&mut st)
                };
                // Dropped outside the lock: their destructors may use channels.
                drop(dropped);
            }
            _ if self.ends(Side::Recv).fetch_sub(1, Ordering::AcqRel) > 1 => {}
            Channel::Array(a) => a.disconnect_receivers(),
            Channel::List(l) => l.disconnect_receivers(),
        }
    }
}
