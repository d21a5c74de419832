//! The two kinds of [`Case`]: a send and a receive on one channel. Plain
//! `send`/`recv` calls, their futures and `select` are all built from these.

use crate::loom::{lock, Arc, Mutex};

use super::hchan::{Chan, Slot, TryRecv, TrySend, Waiter};
use super::signal::Signal;
use super::waiting::Case;

/// A send of one value on one channel.
pub(crate) struct SendCase<'a, T> {
    chan: &'a Chan<T>,
    /// The value while it is with us (before registering, and after it is
    /// taken back from an untouched or closed slot).
    pub(crate) value: Option<T>,
    slot: Option<Slot<T>>,
    /// `Ok` once sent, `Err(value)` if the channel was closed.
    pub(crate) result: Option<Result<(), T>>,
    /// The channel's version when the last attempt found it not ready.
    seen: Option<u64>,
}

impl<'a, T> SendCase<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>, value: T) -> Self {
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
        let mut st = self.chan.lock();
        match self.chan.try_send(&mut st, v) {
            TrySend::Sent => self.result = Some(Ok(())),
            TrySend::Closed(v) => self.result = Some(Err(v)),
            TrySend::Full(v) => {
                self.value = Some(v);
                self.seen = Some(st.version);
                return false;
            }
        }
        true
    }

    fn unchanged(&self) -> bool {
        self.seen.is_none_or(|v| self.chan.version() == v)
    }

    fn register(&mut self, me: &Arc<Signal>, index: usize) -> bool {
        let mut st = self.chan.lock();
        if self.chan.send_ready(&st, me) {
            return true;
        }
        let slot = Arc::new(Mutex::new(self.value.take()));
        self.chan.register_send(
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

    fn unregister(&mut self, me: &Arc<Signal>) {
        self.chan.unregister(&mut self.chan.lock(), me);
        if let Some(slot) = self.slot.take() {
            if let Some(v) = lock(&slot).take() {
                self.value = Some(v);
            }
        }
    }

    fn collect(&mut self) {
        // `unregister` took back a value no receiver took: the channel closed.
        self.result = Some(match self.value.take() {
            Some(v) => Err(v),
            None => Ok(()),
        });
    }
}

/// A receive on one channel.
pub(crate) struct RecvCase<'a, T> {
    chan: &'a Chan<T>,
    slot: Option<Slot<T>>,
    /// `Ok(value)` once received, `Err(())` if the channel was closed and empty.
    pub(crate) result: Option<Result<T, ()>>,
    /// The channel's version when the last attempt found it not ready.
    seen: Option<u64>,
}

impl<'a, T> RecvCase<'a, T> {
    pub(crate) fn new(chan: &'a Chan<T>) -> Self {
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
        let mut st = self.chan.lock();
        match self.chan.try_recv(&mut st) {
            TryRecv::Received(v) => self.result = Some(Ok(v)),
            TryRecv::Closed => self.result = Some(Err(())),
            TryRecv::Empty => {
                self.seen = Some(st.version);
                return false;
            }
        }
        true
    }

    fn unchanged(&self) -> bool {
        self.seen.is_none_or(|v| self.chan.version() == v)
    }

    fn register(&mut self, me: &Arc<Signal>, index: usize) -> bool {
        let mut st = self.chan.lock();
        if self.chan.recv_ready(&st, me) {
            return true;
        }
        let slot = Arc::new(Mutex::new(None));
        self.chan.register_recv(
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

    fn unregister(&mut self, me: &Arc<Signal>) {
        self.chan.unregister(&mut self.chan.lock(), me);
    }

    fn collect(&mut self) {
        let v = self.slot.take().and_then(|s| lock(&s).take());
        self.result = Some(v.ok_or(()));
    }

    fn restore(&mut self) {
        if let Some(Ok(v)) = self.result.take() {
            let mut st = self.chan.lock();
            st.buf.push_front(v);
            st.changed();
        }
    }
}
