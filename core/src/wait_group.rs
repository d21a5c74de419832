//! Go's `sync.WaitGroup`: wait until a counter of outstanding tasks reaches zero.
//!
//! Built on the crate's own channels: while the counter is above zero, the group
//! holds the sending half of a fresh channel on which nothing is ever sent;
//! reaching zero closes it. Waiting is receiving from that channel until it is
//! closed, so every way of waiting a channel has (blocking, with a `Context`,
//! async, in `select!`) comes for free and follows the crate's main-thread rule.
//! A new channel per "generation" lets a group be reused, as Go allows.
//!
//! # Invariants
//! `zero` is `Some` exactly while `count > 0`; the channel it holds is closed in
//! the same `add` call that brings the counter to zero.

use std::fmt;
use std::future::Future;

use crate::chan::{self, Receiver, RecvCtxError, RecvError, Sender};
use crate::loom::{lock, Arc, Mutex};
use crate::runtime::WouldBlockOnMainThread;
use crate::{Context, ContextError};

struct State {
    count: i64,
    zero: Option<(Sender<()>, Receiver<()>)>,
}

/// Waits for a collection of tasks to finish. Clones share one counter.
///
/// # Examples
/// ```
/// use brigade::WaitGroup;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let wg = WaitGroup::new();
/// let hits = Arc::new(AtomicUsize::new(0));
/// for _ in 0..4 {
///     wg.add(1);
///     let (wg, hits) = (wg.clone(), hits.clone());
///     std::thread::spawn(move || {
///         hits.fetch_add(1, Ordering::SeqCst);
///         wg.done();
///     });
/// }
/// wg.wait().unwrap();
/// assert_eq!(hits.load(Ordering::SeqCst), 4);
/// ```
#[derive(Clone)]
pub struct WaitGroup {
    state: Arc<Mutex<State>>,
}

/// Why [`WaitGroup::wait_ctx`] returned before the counter reached zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitError {
    /// The context was canceled or passed its deadline.
    Canceled(ContextError),
    /// It would have to wait, and this thread must not block.
    WouldBlockOnMainThread,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitError::Canceled(e) => write!(f, "stopped waiting for the group: {e}"),
            WaitError::WouldBlockOnMainThread => WouldBlockOnMainThread.fmt(f),
        }
    }
}

impl std::error::Error for WaitError {}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitGroup {
    /// A wait group with a zero counter.
    pub fn new() -> Self {
        WaitGroup {
            state: Arc::new(Mutex::new(State {
                count: 0,
                zero: None,
            })),
        }
    }

    /// Adds `delta` (which may be negative) to the counter; at zero, releases
    /// every waiter.
    ///
    /// # Panics
    /// If the counter would go negative, as Go does ("sync: negative WaitGroup
    /// counter"): that is a `done` without a matching `add`.
    pub fn add(&self, delta: i64) {
        let released = {
            let mut st = lock(&self.state);
            let next = st.count + delta;
            assert!(
                next >= 0,
                "WaitGroup: negative counter (done() called more times than add())"
            );
            if st.count == 0 && next > 0 {
                st.zero = Some(chan::bounded(0));
            }
            st.count = next;
            if next == 0 {
                st.zero.take()
            } else {
                None
            }
        };
        if let Some((tx, _)) = released {
            tx.close();
        }
    }

    /// Decrements the counter by one.
    ///
    /// # Panics
    /// If the counter would go negative.
    pub fn done(&self) {
        self.add(-1);
    }

    /// Go's `wg.Go(f)`: adds one, runs `f` on brigade's shared pool of
    /// closures (the one `Group` uses), and calls `done` when `f` returns or
    /// panics. The pool contains a panic; the counter still goes down.
    ///
    /// ```
    /// use brigade::WaitGroup;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let wg = WaitGroup::new();
    /// let n = Arc::new(AtomicUsize::new(0));
    /// for _ in 0..8 {
    ///     let n = n.clone();
    ///     wg.go(move || {
    ///         n.fetch_add(1, Ordering::Relaxed);
    ///     });
    /// }
    /// wg.wait().unwrap();
    /// assert_eq!(n.load(Ordering::Relaxed), 8);
    /// ```
    ///
    /// # Panics
    /// Where there is no shared pool (in the browser), or this thread must
    /// not wait for a free worker.
    pub fn go(&self, f: impl FnOnce() + Send + 'static) {
        /// Calls `done` however `f` ends.
        struct Done(WaitGroup);
        impl Drop for Done {
            fn drop(&mut self) {
                self.0.done();
            }
        }
        self.add(1);
        let done = Done(self.clone());
        let task = crate::pool::Closure::new(move |_| {
            let _done = done;
            f();
        });
        if let Err(e) = crate::pool::closure::spawn_shared(task) {
            // The closure was dropped unrun, and its `Done` with it.
            panic!("WaitGroup::go: {e}");
        }
    }

    /// The current counter.
    pub fn count(&self) -> i64 {
        lock(&self.state).count
    }

    /// The channel that closes when the counter reaches zero; `None` if it is
    /// zero now. Usable in `select!` next to other operations.
    pub fn zero(&self) -> Option<Receiver<()>> {
        lock(&self.state).zero.as_ref().map(|(_, rx)| rx.clone())
    }

    /// Waits until the counter is zero.
    ///
    /// # Errors
    /// [`WouldBlockOnMainThread`] if it would have to wait and this thread must not
    /// block; use [`wait_async`](Self::wait_async) there.
    pub fn wait(&self) -> Result<(), WouldBlockOnMainThread> {
        match self.zero().map(|rx| rx.recv()) {
            None | Some(Err(RecvError::Closed)) | Some(Ok(())) => Ok(()),
            Some(Err(_)) => Err(WouldBlockOnMainThread),
        }
    }

    /// Waits until the counter is zero or `ctx` is done.
    ///
    /// # Errors
    /// [`WaitError::Canceled`] with the context's reason, or
    /// [`WaitError::WouldBlockOnMainThread`].
    pub fn wait_ctx(&self, ctx: &Context) -> Result<(), WaitError> {
        match self.zero().map(|rx| rx.recv_ctx(ctx)) {
            None | Some(Err(RecvCtxError::Closed)) | Some(Ok(())) => Ok(()),
            Some(Err(RecvCtxError::Canceled)) => Err(WaitError::Canceled(ContextError::Canceled)),
            Some(Err(RecvCtxError::DeadlineExceeded)) => {
                Err(WaitError::Canceled(ContextError::DeadlineExceeded))
            }
            Some(Err(_)) => Err(WaitError::WouldBlockOnMainThread),
        }
    }

    /// Waits asynchronously until the counter is zero.
    pub fn wait_async(&self) -> impl Future<Output = ()> + '_ {
        let zero = self.zero();
        async move {
            if let Some(rx) = zero {
                let _ = rx.recv_async().await;
            }
        }
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}
