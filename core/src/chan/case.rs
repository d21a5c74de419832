//! The two kinds of [`Case`]: a send and a receive on one channel. Plain
//! `send`/`recv` calls, their futures and `select` are all built from these.

use crate::loom::{lock, Arc, Mutex};

use super::flavors::{Channel, Side, Slot, TryRecv, TrySend, Version, Waiter};
use super::wait::blocking::Case;
use super::wait::signal::Signal;

/// A send of one value on one channel.
pub(crate) struct SendCase<'a, T> {
    chan: &'a Channel<T>,
    /// The value while it is with us (before registering, and after it is
    /// taken back from an untouched or closed slot).
    pub(crate) value: Option<T>,
    slot: Option<Slot<T>>,
    /// `Ok` once sent, `Err(value)` if the channel was closed.
    pub(crate) result: Option<Result<(), T>>,
    /// The channel's version when the last attempt found it not ready.
    seen: Option<Version>,
}

impl<'a, T> SendCase<'a, T> {
    pub(crate) fn new(chan: &'a Channel<T>, value: T) -> Self {
        SendCase {
            chan,
            value: Some(value),
            slot: None,
            result: None,
            seen: None,
        }
    }
}

impl<T> Case for SendCase<'_, T> {
    fn attempt(&mut self) -> bool {
        let Some(v) = self.value.take() else {
            return false;
        };
        let (sent, seen) = self.chan.try_send_seen(v);
        match sent {
            TrySend::Sent => self.result = Some(Ok(())),
            TrySend::Closed(v) => self.result = Some(Err(v)),
            TrySend::Full(v) => {
                self.value = Some(v);
                self.seen = Some(seen);
                return false;
            }
        }
        true
    }

    fn lock_free(&self) -> bool {
        self.chan.is_lock_free()
    }

    fn unchanged(&self) -> bool {
        self.seen.is_none_or(|v| self.chan.version() == v)
    }

    fn register(&mut self, me: &Arc<Signal>, index: usize) -> bool {
        let c = match self.chan {
            Channel::Locked(c) => c,
            lock_free => return lock_free.register_lock_free(Side::Send, me, index),
        };
        let mut st = c.lock();
        if c.send_ready(&st, me) {
            return true;
        }
        let slot = Arc::new(Mutex::new(self.value.take()));
        c.register_send(
            &mut st,
            Waiter {
                signal: me.clone(),
                case: index,
                slot: slot.clone(),
            },
        );
        self.slot = Some(slot);
        false
    }

    fn unregister(&mut self, me: &Arc<Signal>, claimed: bool) {
        if !claimed {
            self.chan.unregister(Side::Send, me);
        }
        // Only the locked engine gives a waiting send a slot.
        if let Some(slot) = self.slot.take() {
            if let Some(v) = lock(&slot).take() {
                self.value = Some(v);
            }
        }
    }

    fn collect(&mut self) -> bool {
        if self.chan.is_lock_free() {
            // Woken because there may be room now: the value is still here.
            return false;
        }
        // `unregister` took back a value no receiver took: the channel closed.
        self.result = Some(match self.value.take() {
            Some(v) => Err(v),
            None => Ok(()),
        });
        true
    }

    fn pass_on(&mut self) {
        if let Some(w) = self.chan.waiters(Side::Send) {
            w.notify_one();
        }
    }
}

/// A receive on one channel.
pub(crate) struct RecvCase<'a, T> {
    chan: &'a Channel<T>,
    slot: Option<Slot<T>>,
    /// `Ok(value)` once received, `Err(())` if the channel was closed and empty.
    pub(crate) result: Option<Result<T, ()>>,
    /// The channel's version when the last attempt found it not ready.
    seen: Option<Version>,
}

impl<'a, T> RecvCase<'a, T> {
    pub(crate) fn new(chan: &'a Channel<T>) -> Self {
        RecvCase {
            chan,
            slot: None,
            result: None,
            seen: None,
        }
    }
}

impl<T> Case for RecvCase<'_, T> {
    fn attempt(&mut self) -> bool {
        let (received, seen) = self.chan.try_recv_seen();
        match received {
            TryRecv::Received(v) => self.result = Some(Ok(v)),
            TryRecv::Closed => self.result = Some(Err(())),
            TryRecv::Empty => {
                self.seen = Some(seen);
                return false;
            }
        }
        true
    }

    fn lock_free(&self) -> bool {
        self.chan.is_lock_free()
    }

    fn unchanged(&self) -> bool {
        self.seen.is_none_or(|v| self.chan.version() == v)
    }

    fn register(&mut self, me: &Arc<Signal>, index: usize) -> bool {
        let c = match self.chan {
            Channel::Locked(c) => c,
            lock_free => return lock_free.register_lock_free(Side::Recv, me, index),
        };
        let mut st = c.lock();
        if c.recv_ready(&st, me) {
            return true;
        }
        let slot = Arc::new(Mutex::new(None));
        c.register_recv(
            &mut st,
            Waiter {
                signal: me.clone(),
                case: index,
                slot: slot.clone(),
            },
        );
        self.slot = Some(slot);
        false
    }

    fn unregister(&mut self, me: &Arc<Signal>, claimed: bool) {
        if !claimed {
            self.chan.unregister(Side::Recv, me);
        }
    }

    fn collect(&mut self) -> bool {
        if self.chan.is_lock_free() {
            // Woken because a value may be there now: it is still in the buffer.
            return false;
        }
        let v = self.slot.take().and_then(|s| lock(&s).take());
        self.result = Some(v.ok_or(()));
        true
    }

    fn restore(&mut self) {
        // Only the locked engine hands a value to a waiting receiver.
        if let (Channel::Locked(c), Some(Ok(v))) = (self.chan, self.result.take()) {
            let mut st = c.lock();
            st.buf.push_front(v);
            st.changed();
        }
    }

    fn pass_on(&mut self) {
        if let Some(w) = self.chan.waiters(Side::Recv) {
            w.notify_one();
        }
    }
}
