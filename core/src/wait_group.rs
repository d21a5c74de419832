//! Go's `sync.WaitGroup`: wait until a counter of outstanding tasks reaches zero.
//!
//! A counter and a list of async wakers under one lock, plus a condition variable
//! for threads. Blocking `wait` follows the crate's main-thread rule: where the
//! thread must not block it fails at once instead of trapping; `wait_async` works
//! everywhere.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use crate::loom::{lock, Arc, Condvar, Mutex};
use crate::runtime::{can_block, WouldBlockOnMainThread};

struct State {
    count: i64,
    wakers: Vec<Waker>,
}

struct Inner {
    state: Mutex<State>,
    cv: Condvar,
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
    inner: Arc<Inner>,
}

impl Default for WaitGroup {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitGroup {
    /// A wait group with a zero counter.
    pub fn new() -> Self {
        WaitGroup {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    count: 0,
                    wakers: Vec::new(),
                }),
                cv: Condvar::new(),
            }),
        }
    }

    /// Adds `delta` (which may be negative) to the counter; at zero, wakes every
    /// waiter.
    ///
    /// # Panics
    /// If the counter would go negative, as Go does ("sync: negative WaitGroup
    /// counter"): that is a `done` without a matching `add`.
    pub fn add(&self, delta: i64) {
        let wakers = {
            let mut st = lock(&self.inner.state);
            let next = st.count + delta;
            assert!(
                next >= 0,
                "WaitGroup: negative counter (done() called more times than add())"
            );
            st.count = next;
            if next != 0 {
                return;
            }
            self.inner.cv.notify_all();
            std::mem::take(&mut st.wakers)
        };
        wakers.into_iter().for_each(Waker::wake);
    }

    /// Decrements the counter by one.
    ///
    /// # Panics
    /// If the counter would go negative.
    pub fn done(&self) {
        self.add(-1);
    }

    /// The current counter.
    pub fn count(&self) -> i64 {
        lock(&self.inner.state).count
    }

    /// Waits until the counter is zero.
    ///
    /// # Errors
    /// [`WouldBlockOnMainThread`] if it would have to wait and this thread must not
    /// block; use [`wait_async`](Self::wait_async) there.
    pub fn wait(&self) -> Result<(), WouldBlockOnMainThread> {
        let mut st = lock(&self.inner.state);
        if st.count == 0 {
            return Ok(());
        }
        if !can_block() {
            return Err(WouldBlockOnMainThread);
        }
        while st.count != 0 {
            st = match self.inner.cv.wait(st) {
                Ok(g) => g,
                Err(e) => e.into_inner(),
            };
        }
        Ok(())
    }

    /// Waits asynchronously until the counter is zero.
    pub fn wait_async(&self) -> WaitFuture<'_> {
        WaitFuture { wg: self }
    }
}

/// The future of [`WaitGroup::wait_async`].
#[must_use = "futures do nothing unless polled"]
pub struct WaitFuture<'a> {
    wg: &'a WaitGroup,
}

impl Future for WaitFuture<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let mut st = lock(&self.wg.inner.state);
        if st.count == 0 {
            return Poll::Ready(());
        }
        if !st.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            st.wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl fmt::Debug for WaitGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitGroup")
            .field("count", &self.count())
            .finish()
    }
}
