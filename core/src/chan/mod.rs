//! Go's channels: bounded, rendezvous and unbounded queues between threads.
//!
//! # Hello, channel
//!
//! ```
//! use brigade::chan;
//! use std::thread;
//!
//! let (tx, rx) = chan::bounded(2);
//! thread::spawn(move || {
//!     for i in 0..5 {
//!         tx.send(i).unwrap(); // waits while two values are buffered
//!     }
//!     // dropping the last sender closes the channel
//! });
//! let got: Vec<i32> = rx.iter().collect(); // ends at close
//! assert_eq!(got, [0, 1, 2, 3, 4]);
//! ```
//!
//! # Flavors
//! - [`bounded(n)`](bounded) buffers up to `n` values; a sender waits while it is
//!   full, a receiver while it is empty.
//! - `bounded(0)` is a rendezvous, Go's unbuffered channel: a send completes only
//!   when a receiver takes the value.
//! - [`unbounded()`](unbounded) never makes a sender wait.
//!
//! Senders and receivers can be cloned (many producers, many consumers).
//!
//! # Closing
//! The producer closes: [`Sender::close`] closes for everyone, and dropping the
//! last `Sender` does too. After close, receivers get every buffered value, then
//! [`RecvError::Closed`]; sends fail and hand the value back. When the last
//! `Receiver` goes, the channel closes as well and buffered values are dropped,
//! since no one can receive them.
//!
//! # Waiting
//! Every operation comes in four shapes: `try_*` (never waits), blocking (`send`,
//! `recv`), with a time limit (`*_timeout`, `*_deadline`) or a [`Context`]
//! (`*_ctx`), and `async` (`send_async`, `recv_async`). [`select!`](crate::select)
//! waits on several operations at once.
//!
//! # In the browser
//! The page's main thread must not block. There, blocking calls that would have
//! to wait fail at once with a `WouldBlockOnMainThread` error; `try_*` and `async`
//! calls work. The locks inside spin on the main thread and wait normally on Web
//! Workers. See `README.md` in this folder for the evidence behind the design.
//!
//! [`Context`]: crate::Context

mod case;
mod error;
mod flavors;
mod select;
#[cfg(feature = "futures")]
mod stream;
mod time;
mod wait;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::context::{Context, ContextError};
use crate::loom::Arc;
use crate::runtime::{Duration, Instant};

use case::{RecvCase, SendCase};
use flavors::{Channel, TryRecv, TrySend};
use wait::blocking::{self, Limit, Registration, WaitEnd};

pub use error::{
    RecvCtxError, RecvError, RecvTimeoutError, SendCtxError, SendError, SendTimeoutError,
    TryRecvError, TrySendError,
};
#[doc(hidden)]
pub use select::internal as __select;
pub use select::{Select, Selected};
#[cfg(feature = "futures")]
pub use stream::{RecvStream, SendSink};
pub(crate) use time::Alarm;
pub use time::{after, never, tick};

/// A capacity for each engine a channel can run on, named: the locked
/// engine at capacity 0 (a rendezvous) and just below the ring's smallest
/// buffer, the ring at its smallest, and the list (`None`: unbounded). For
/// tests that must cover every engine; [`with_capacity`] makes the channel.
#[doc(hidden)]
pub const ENGINES: [(&str, Option<usize>); 4] = [
    ("locked, rendezvous", Some(0)),
    ("locked, buffered", Some(flavors::ARRAY_MIN - 1)),
    ("ring", Some(flavors::ARRAY_MIN)),
    ("list", None),
];

/// A channel of capacity `cap`, unbounded if `None` (see [`ENGINES`]).
#[doc(hidden)]
pub fn with_capacity<T>(cap: Option<usize>) -> (Sender<T>, Receiver<T>) {
    cap.map_or_else(unbounded, bounded)
}

/// One channel of each engine in [`ENGINES`], with its name.
#[doc(hidden)]
pub fn each_engine<T>() -> Vec<(&'static str, Sender<T>, Receiver<T>)> {
    ENGINES
        .iter()
        .map(|&(name, cap)| {
            let (tx, rx) = with_capacity(cap);
            (name, tx, rx)
        })
        .collect()
}

/// Creates a channel that buffers up to `cap` values; `cap == 0` is a rendezvous.
///
/// # Examples
/// ```
/// let (tx, rx) = brigade::chan::bounded(1);
/// tx.send("first").unwrap();
/// assert!(tx.try_send("second").unwrap_err().is_full());
/// assert_eq!(rx.recv(), Ok("first"));
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Channel::bounded(cap));
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// Creates a channel whose senders never wait.
///
/// # Examples
/// ```
/// let (tx, rx) = brigade::chan::unbounded();
/// for i in 0..1000 {
///     tx.send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 1000);
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Channel::unbounded());
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending half of a channel. Clone it for more producers.
///
/// `Sender<T>` and [`Receiver<T>`] are `Send` and `Sync` when `T: Send`; a
/// channel of values that must stay on one thread stays there too:
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// let (tx, _rx) = brigade::chan::bounded::<std::rc::Rc<u8>>(1);
/// send(tx);
/// ```
///
/// ```compile_fail
/// fn send<T: Send>(_: T) {}
/// let (_tx, rx) = brigade::chan::bounded::<std::rc::Rc<u8>>(1);
/// send(rx);
/// ```
pub struct Sender<T> {
    chan: Arc<Channel<T>>,
}

/// The receiving half of a channel. Clone it for more consumers; each value goes
/// to exactly one of them.
pub struct Receiver<T> {
    chan: Arc<Channel<T>>,
}

impl<T> Sender<T> {
    /// Sends `v`, waiting while the channel is full.
    ///
    /// # Errors
    /// - [`SendError::Closed`] if the channel is closed.
    /// - [`SendError::WouldBlockOnMainThread`] if it would have to wait on a thread
    ///   that must not block.
    ///
    /// Both hand `v` back.
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        // Fast path: done at once unless the channel is full.
        let v = match self.try_send(v) {
            Ok(()) => return Ok(()),
            Err(TrySendError::Closed(v)) => return Err(SendError::Closed(v)),
            Err(TrySendError::Full(v)) => v,
        };
        let mut c = SendCase::new(&self.chan, v);
        match blocking::wait(&mut [&mut c], Limit::Forever) {
            WaitEnd::Case(_) => c
                .result
                .take()
                .expect("completed")
                .map_err(SendError::Closed),
            _ => Err(SendError::WouldBlockOnMainThread(
                c.value.take().expect("not sent"),
            )),
        }
    }

    /// Sends `v` if that can be done without waiting.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], each with `v`.
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        match self.chan.try_send(v) {
            TrySend::Sent => Ok(()),
            TrySend::Full(v) => Err(TrySendError::Full(v)),
            TrySend::Closed(v) => Err(TrySendError::Closed(v)),
        }
    }

    /// Sends `v`, waiting at most `timeout` for room.
    ///
    /// # Errors
    /// [`SendTimeoutError::Timeout`], `Closed` or `WouldBlockOnMainThread`, each with `v`.
    pub fn send_timeout(&self, v: T, timeout: Duration) -> Result<(), SendTimeoutError<T>> {
        self.send_deadline(v, Instant::now() + timeout)
    }

    /// Sends `v`, waiting until `deadline` at the latest.
    ///
    /// # Errors
    /// As [`send_timeout`](Self::send_timeout).
    pub fn send_deadline(&self, v: T, deadline: Instant) -> Result<(), SendTimeoutError<T>> {
        let mut c = SendCase::new(&self.chan, v);
        match blocking::wait(&mut [&mut c], Limit::Until(deadline)) {
            WaitEnd::Case(_) => c
                .result
                .take()
                .expect("completed")
                .map_err(SendTimeoutError::Closed),
            WaitEnd::TimedOut => Err(SendTimeoutError::Timeout(c.value.take().expect("not sent"))),
            WaitEnd::WouldBlock => Err(SendTimeoutError::WouldBlockOnMainThread(
                c.value.take().expect("not sent"),
            )),
        }
    }

    /// Sends `v`, waiting until there is room or `ctx` is done.
    ///
    /// # Errors
    /// [`SendCtxError`] with `v`: how `ctx` ended, `Closed` or
    /// `WouldBlockOnMainThread`.
    pub fn send_ctx(&self, v: T, ctx: &Context) -> Result<(), SendCtxError<T>> {
        let mut c = SendCase::new(&self.chan, v);
        let mut done = RecvCase::new(&ctx.done().chan);
        match blocking::wait(&mut [&mut c, &mut done], Limit::Forever) {
            WaitEnd::Case(0) => c
                .result
                .take()
                .expect("completed")
                .map_err(SendCtxError::Closed),
            WaitEnd::Case(_) => {
                let v = c.value.take().expect("not sent");
                Err(match ctx.err() {
                    Some(ContextError::DeadlineExceeded) => SendCtxError::DeadlineExceeded(v),
                    _ => SendCtxError::Canceled(v),
                })
            }
            _ => Err(SendCtxError::WouldBlockOnMainThread(
                c.value.take().expect("not sent"),
            )),
        }
    }

    /// Sends `v` asynchronously: the future completes once the value is in the
    /// channel (or handed to a receiver).
    ///
    /// # Cancel safety
    /// Dropping the future before it completes drops `v` unless a receiver had
    /// already taken it, in which case the send happened.
    pub fn send_async(&self, v: T) -> SendFuture<'_, T> {
        SendFuture {
            case: SendCase::new(&self.chan, v),
            reg: None,
        }
    }

    /// Closes the channel for every sender and receiver; returns whether this call
    /// closed it (`false` if it was already closed). Receivers still get what is
    /// buffered; blocked senders get their values back.
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Whether the channel is closed.
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// The number of buffered values.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer's capacity; `None` for an unbounded channel.
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }

    /// Whether `self` and `other` send on the same channel.
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Receiver<T> {
    /// Receives a value, waiting while the channel is empty.
    ///
    /// # Errors
    /// - [`RecvError::Closed`] once the channel is closed and drained.
    /// - [`RecvError::WouldBlockOnMainThread`] if it would have to wait on a thread
    ///   that must not block.
    pub fn recv(&self) -> Result<T, RecvError> {
        // Fast path: done at once unless the channel is empty.
        match self.try_recv() {
            Ok(v) => return Ok(v),
            Err(TryRecvError::Closed) => return Err(RecvError::Closed),
            Err(TryRecvError::Empty) => {}
        }
        let mut c = RecvCase::new(&self.chan);
        match blocking::wait(&mut [&mut c], Limit::Forever) {
            WaitEnd::Case(_) => c
                .result
                .take()
                .expect("completed")
                .map_err(|()| RecvError::Closed),
            _ => Err(RecvError::WouldBlockOnMainThread),
        }
    }

    /// Receives a value if one is there now.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] or [`TryRecvError::Closed`].
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        match self.chan.try_recv() {
            TryRecv::Received(v) => Ok(v),
            TryRecv::Empty => Err(TryRecvError::Empty),
            TryRecv::Closed => Err(TryRecvError::Closed),
        }
    }

    /// Receives a value, waiting at most `timeout`.
    ///
    /// # Errors
    /// [`RecvTimeoutError::Timeout`], `Closed` or `WouldBlockOnMainThread`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_deadline(Instant::now() + timeout)
    }

    /// Receives a value, waiting until `deadline` at the latest.
    ///
    /// # Errors
    /// As [`recv_timeout`](Self::recv_timeout).
    pub fn recv_deadline(&self, deadline: Instant) -> Result<T, RecvTimeoutError> {
        let mut c = RecvCase::new(&self.chan);
        match blocking::wait(&mut [&mut c], Limit::Until(deadline)) {
            WaitEnd::Case(_) => c
                .result
                .take()
                .expect("completed")
                .map_err(|()| RecvTimeoutError::Closed),
            WaitEnd::TimedOut => Err(RecvTimeoutError::Timeout),
            WaitEnd::WouldBlock => Err(RecvTimeoutError::WouldBlockOnMainThread),
        }
    }

    /// Receives a value, waiting until one comes or `ctx` is done.
    ///
    /// # Errors
    /// [`RecvCtxError`]: how `ctx` ended, `Closed` or `WouldBlockOnMainThread`.
    pub fn recv_ctx(&self, ctx: &Context) -> Result<T, RecvCtxError> {
        let mut c = RecvCase::new(&self.chan);
        let mut done = RecvCase::new(&ctx.done().chan);
        match blocking::wait(&mut [&mut c, &mut done], Limit::Forever) {
            WaitEnd::Case(0) => c
                .result
                .take()
                .expect("completed")
                .map_err(|()| RecvCtxError::Closed),
            WaitEnd::Case(_) => Err(match ctx.err() {
                Some(ContextError::DeadlineExceeded) => RecvCtxError::DeadlineExceeded,
                _ => RecvCtxError::Canceled,
            }),
            _ => Err(RecvCtxError::WouldBlockOnMainThread),
        }
    }

    /// Receives a value asynchronously.
    ///
    /// # Cancel safety
    /// Cancel safe: if the future is dropped after a sender handed it a value, the
    /// value is put back at the front of the channel.
    pub fn recv_async(&self) -> RecvFuture<'_, T> {
        RecvFuture {
            case: RecvCase::new(&self.chan),
            reg: None,
        }
    }

    /// A blocking iterator that ends when the channel is closed and drained.
    pub fn iter(&self) -> Iter<'_, T> {
        Iter { rx: self }
    }

    /// An iterator over the values available now, without waiting.
    pub fn try_iter(&self) -> TryIter<'_, T> {
        TryIter { rx: self }
    }

    /// Whether the channel is closed (values may still be buffered).
    pub fn is_closed(&self) -> bool {
        self.chan.is_closed()
    }

    /// The number of buffered values.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The buffer's capacity; `None` for an unbounded channel.
    pub fn capacity(&self) -> Option<usize> {
        self.chan.capacity()
    }

    /// Whether `self` and `other` receive from the same channel.
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }

    /// A receiver on a channel that never closes and never gets a value.
    pub(crate) fn never() -> Self {
        // The channel counts one sender that does not exist, so it never closes.
        Receiver {
            chan: Arc::new(Channel::bounded(0)),
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.add_receiver();
        Receiver {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_receiver();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("cap", &self.capacity())
            .finish()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("cap", &self.capacity())
            .finish()
    }
}

/// The future of [`Sender::send_async`].
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    case: SendCase<'a, T>,
    reg: Option<Registration>,
}

// The value is never pinned in place: it is moved in and out by value.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match blocking::poll(&mut [&mut this.case], &mut this.reg, cx) {
            Poll::Ready(_) => Poll::Ready(
                this.case
                    .result
                    .take()
                    .expect("completed")
                    .map_err(SendError::Closed),
            ),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> SendFuture<'_, T> {
    /// Stops waiting; the value back if it was not sent (or was refused by a
    /// close this future has not reported yet). `None` once it was sent or
    /// once the future returned its outcome.
    pub(crate) fn withdraw(&mut self) -> Option<T> {
        blocking::cancel(&mut [&mut self.case], &mut self.reg);
        match self.case.result.take() {
            Some(Err(v)) => Some(v),
            _ => self.case.value.take(),
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        blocking::cancel(&mut [&mut self.case], &mut self.reg);
    }
}

/// The future of [`Receiver::recv_async`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    case: RecvCase<'a, T>,
    reg: Option<Registration>,
}

impl<T> Unpin for RecvFuture<'_, T> {}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match blocking::poll(&mut [&mut this.case], &mut this.reg, cx) {
            Poll::Ready(_) => Poll::Ready(
                this.case
                    .result
                    .take()
                    .expect("completed")
                    .map_err(|()| RecvError::Closed),
            ),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        blocking::cancel(&mut [&mut self.case], &mut self.reg);
    }
}

/// Blocking iterator over a [`Receiver`]; see [`Receiver::iter`].
#[derive(Debug)]
pub struct Iter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for Iter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

/// Non-waiting iterator over a [`Receiver`]; see [`Receiver::try_iter`].
#[derive(Debug)]
pub struct TryIter<'a, T> {
    rx: &'a Receiver<T>,
}

impl<T> Iterator for TryIter<'_, T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}

/// Owning blocking iterator over a [`Receiver`].
#[derive(Debug)]
pub struct IntoIter<T> {
    rx: Receiver<T>,
}

impl<T> Iterator for IntoIter<T> {
    type Item = T;
    fn next(&mut self) -> Option<T> {
        self.rx.recv().ok()
    }
}

impl<'a, T> IntoIterator for &'a Receiver<T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<T> IntoIterator for Receiver<T> {
    type Item = T;
    type IntoIter = IntoIter<T>;
    fn into_iter(self) -> IntoIter<T> {
        IntoIter { rx: self }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::thread;
    use std::time::{Duration, Instant};

    use super::{each_engine, Receiver, RecvError, Select, Sender};

    /// Waits until `n` blocked operations are queued on the channel of `rx`.
    fn until_queued<T>(rx: &Receiver<T>, n: usize, what: &str) {
        let give_up = Instant::now() + Duration::from_secs(30);
        while rx.chan.queued() != n {
            assert!(Instant::now() < give_up, "{what}: {n} waiters never queued");
            thread::sleep(Duration::from_millis(1));
        }
    }

    // A completed wait leaves nothing on the queue of the case that completed
    // it (the peer that claimed it dequeued it, which is why the owner does
    // not take that channel's lock to unregister) nor on any other case's.

    /// On each engine: a receive made by `recv` blocks, `end` ends it, and
    /// it must return `want` and leave no waiter queued.
    fn blocked_receive_ended_by(
        recv: impl Fn(&Receiver<u32>) -> Result<u32, RecvError> + Sync,
        end: impl Fn(&Sender<u32>),
        want: Result<u32, RecvError>,
    ) {
        for (what, tx, rx) in each_engine() {
            thread::scope(|s| {
                let r = s.spawn(|| recv(&rx));
                until_queued(&rx, 1, what);
                end(&tx);
                assert_eq!(r.join().unwrap(), want, "{what}");
            });
            assert_eq!(rx.chan.queued(), 0, "{what}");
        }
    }

    #[test]
    fn a_completed_receive_leaves_no_waiter() {
        blocked_receive_ended_by(Receiver::recv, |tx| tx.send(7).unwrap(), Ok(7));
    }

    #[test]
    fn a_completed_send_leaves_no_waiter() {
        for (what, tx, rx) in each_engine() {
            let Some(cap) = tx.capacity() else {
                continue; // unbounded: its sends never wait
            };
            for v in 0..cap {
                tx.send(v as u32).unwrap();
            }
            thread::scope(|s| {
                let sent = s.spawn(|| tx.send(99));
                until_queued(&rx, 1, what);
                let got: Vec<u32> = (0..=cap).map(|_| rx.recv().unwrap()).collect();
                assert_eq!(got.last(), Some(&99), "{what}");
                sent.join().unwrap().unwrap();
            });
            assert_eq!(rx.chan.queued(), 0, "{what}");
        }
    }

    #[test]
    fn a_completed_async_receive_leaves_no_waiter() {
        blocked_receive_ended_by(
            |rx| crate::runtime::block_on(rx.recv_async()),
            |tx| tx.send(7).unwrap(),
            Ok(7),
        );
    }

    #[test]
    fn a_select_leaves_no_waiter_on_either_channel() {
        for ((what, tx, rx), (other, _tx2, rx2)) in
            each_engine().into_iter().zip(each_engine::<u32>())
        {
            thread::scope(|s| {
                let picked = s.spawn(|| {
                    let mut sel = Select::new();
                    let a = sel.recv(&rx);
                    let b = sel.recv(&rx2);
                    let i = sel.wait().unwrap();
                    assert!(b.try_take().is_none());
                    (i, a.take())
                });
                until_queued(&rx, 1, what);
                until_queued(&rx2, 1, other);
                tx.send(5).unwrap();
                assert_eq!(picked.join().unwrap(), (0, Ok(5)), "{what}");
            });
            assert_eq!(rx.chan.queued(), 0, "{what}");
            assert_eq!(rx2.chan.queued(), 0, "{other}, not selected");
        }
    }

    #[test]
    fn a_wait_ended_by_close_leaves_no_waiter() {
        blocked_receive_ended_by(
            Receiver::recv,
            |tx| assert!(tx.close()),
            Err(RecvError::Closed),
        );
    }
}
