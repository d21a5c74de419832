//! Which engine a channel runs on, chosen by its capacity:
//!
//! - **buffered, `ARRAY_MIN..=ARRAY_MAX`**: [`Array`], a ring of cells claimed
//!   with a compare-and-swap, no lock on the way of a value;
//! - **everything else**: [`Chan`], Go's `hchan` (one lock, a growable buffer
//!   and wait queues that hand values to blocked peers directly). A rendezvous
//!   is nothing but such hand-offs; below `ARRAY_MIN` nearly every message
//!   meets a blocked peer, and a direct hand-off costs one wake-up where the
//!   ring's "wake, then try again" costs more; an unbounded or very large
//!   buffer grows as it fills, which a ring allocated up front cannot.
//!
//! `README.md` in this folder has the measurements behind the split.

use super::array::{Array, Version};
use super::hchan::{Chan, TryRecv, TrySend};

/// The smallest buffer that runs on the ring. Measured on 2 cores, ms per
/// 20,000 messages, hand-off engine against ring: capacity 1 `spsc` 9–11
/// against 25–32 and `mpmc` 26–31 against 126–193; capacity 2 mixed (`spsc`
/// 10.7 against 6.5–7.4, `mpmc` 16.6–17.7 against 20–31); capacity 4 `spsc`
/// 4.4–4.8 against 2.2–2.5 and `mpmc` 15.7–19.9 against 8.4–8.9.
const ARRAY_MIN: usize = 4;

/// The largest buffer allocated up front as a ring (values and a stamp each).
/// Larger bounds are rare and mostly "effectively unbounded"; they grow as
/// needed instead of allocating all their memory at once.
const ARRAY_MAX: usize = 1 << 16;

// Allocated once per channel, inside the `Arc` its halves share; boxing the
// ring would add a pointer hop to every operation to save memory on the
// smaller variant.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Channel<T> {
    Locked(Chan<T>),
    Array(Array<T>),
}

impl<T> Channel<T> {
    pub(crate) fn bounded(cap: usize) -> Self {
        if (ARRAY_MIN..=ARRAY_MAX).contains(&cap) {
            Channel::Array(Array::new(cap))
        } else {
            Channel::Locked(Chan::new(cap.min(usize::MAX - 1)))
        }
    }

    pub(crate) fn unbounded() -> Self {
        Channel::Locked(Chan::new(usize::MAX))
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
                (c.try_send(&mut st, v), (st.version, 0))
            }
            Channel::Array(a) => match a.try_send(v) {
                Ok(()) => (TrySend::Sent, (0, 0)),
                Err(failed) => failed,
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
                (c.try_recv(&mut st), (st.version, 0))
            }
            Channel::Array(a) => match a.try_recv() {
                Ok(v) => (TryRecv::Received(v), (0, 0)),
                Err(failed) => failed,
            },
        }
    }

    /// A value that changes whenever a case on this channel may have become
    /// ready (see `waiting::run`).
    pub(crate) fn version(&self) -> Version {
        match self {
            Channel::Locked(c) => (c.version(), 0),
            Channel::Array(a) => a.version(),
        }
    }

    pub(crate) fn close(&self) -> bool {
        match self {
            Channel::Locked(c) => c.close(&mut c.lock()),
            Channel::Array(a) => a.close(),
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Channel::Locked(c) => c.lock().closed,
            Channel::Array(a) => a.is_closed(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Channel::Locked(c) => c.lock().buf.len(),
            Channel::Array(a) => a.len(),
        }
    }

    /// The capacity; `None` when unbounded.
    pub(crate) fn capacity(&self) -> Option<usize> {
        match self {
            Channel::Locked(c) => (c.cap != usize::MAX).then_some(c.cap),
            Channel::Array(a) => Some(a.capacity()),
        }
    }

    pub(crate) fn add_sender(&self) {
        match self {
            Channel::Locked(c) => c.lock().senders += 1,
            Channel::Array(a) => {
                a.sender_count.fetch_add(1, crate::loom::Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn add_receiver(&self) {
        match self {
            Channel::Locked(c) => c.lock().receivers += 1,
            Channel::Array(a) => {
                a.receiver_count
                    .fetch_add(1, crate::loom::Ordering::Relaxed);
            }
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
            Channel::Array(a) => {
                if a.sender_count.fetch_sub(1, crate::loom::Ordering::AcqRel) == 1 {
                    a.close();
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
            Channel::Array(a) => {
                if a.receiver_count.fetch_sub(1, crate::loom::Ordering::AcqRel) == 1 {
                    a.disconnect_receivers();
                }
            }
        }
    }
}
