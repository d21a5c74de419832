//! Go's `context`: a cancellation signal with an optional deadline that flows
//! from parents to children and into every blocking call.
//!
//! A context's [`done`](Context::done) channel is closed when it is canceled, so
//! it can sit in a [`select!`](crate::select) next to other operations, exactly as
//! `<-ctx.Done()` does in Go.
//!
//! # Invariants
//! 1. `err` is set at most once; `done` closes in the same critical section.
//! 2. A child is registered with its parent under the parent's lock, and only if
//!    the parent is not canceled yet; otherwise it starts canceled with the
//!    parent's error. So no child outlives its parent's cancellation uncanceled.
//!
//! # Deadlock safety
//! Canceling takes a context's lock, detaches its children, releases the lock,
//! then cancels the children: no two context locks are ever held at once.

use std::fmt;
use std::sync::{Arc, Weak};

use crate::chan::{self, Receiver, Sender};
use crate::loom::{lock, AtomicBool, Mutex, Ordering};
use crate::runtime::{Duration, Instant};
use crate::timer;

/// Why a context is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContextError {
    /// Its cancel function (or an ancestor's) was called.
    Canceled,
    /// Its deadline (or an ancestor's) passed.
    DeadlineExceeded,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ContextError::Canceled => "context canceled",
            ContextError::DeadlineExceeded => "context deadline exceeded",
        })
    }
}

impl std::error::Error for ContextError {}

/// Why a context was canceled, beyond [`ContextError`]: Go's
/// `context.Cause`, set with [`Context::with_cancel_cause`].
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

struct State {
    err: Option<ContextError>,
    /// The cause given to the cancel that ended it, if any.
    cause: Option<Cause>,
    done_tx: Option<Sender<()>>,
    children: Vec<Weak<Inner>>,
    /// `after_func` callbacks not yet run or stopped, by key.
    after: Vec<(u64, Box<dyn FnOnce() + Send>)>,
    next_after: u64,
}

struct Inner {
    done: Receiver<()>,
    deadline: Option<Instant>,
    /// `false` for `background()`: it can never be canceled, so its children
    /// need not register with it (and creating them takes no shared lock).
    cancellable: bool,
    /// Set once `state.err` is: lets `err` and `is_done` answer "live", the
    /// common answer (handlers poll it), without taking the lock.
    ended: AtomicBool,
    state: Mutex<State>,
    /// The deadline's timer, dropped when the context ends first.
    timer: Mutex<Option<timer::Key>>,
}

/// A cancellation signal with an optional deadline; cheap to clone.
///
/// # Examples
/// ```
/// use brigade::{chan, Context, ContextError};
/// use std::time::Duration;
///
/// let (ctx, cancel) = Context::with_cancel(&Context::background());
/// let (_tx, rx) = chan::bounded::<u32>(0);
/// std::thread::spawn(move || cancel.cancel());
/// assert!(rx.recv_ctx(&ctx).is_err()); // returns when canceled
/// assert_eq!(ctx.err(), Some(ContextError::Canceled));
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

/// Cancels the context it came with (and all its descendants). Calling it more
/// than once is harmless. Dropping it does not cancel.
#[derive(Clone)]
pub struct CancelFunc {
    inner: Arc<Inner>,
}

impl CancelFunc {
    /// Cancels the context with [`ContextError::Canceled`], if not done already.
    pub fn cancel(&self) {
        cancel(&self.inner, ContextError::Canceled, None);
    }

    /// Cancels the context with [`ContextError::Canceled`] and `cause`, which
    /// [`Context::cause`] then reports for it and its descendants (Go's
    /// `CancelCauseFunc`). No effect if the context is done already.
    pub fn cancel_with_cause(&self, cause: impl std::error::Error + Send + Sync + 'static) {
        cancel(&self.inner, ContextError::Canceled, Some(Arc::new(cause)));
    }

    /// Whether both cancel the same context.
    pub(crate) fn same(&self, other: &CancelFunc) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for CancelFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CancelFunc")
    }
}

fn cancel(inner: &Arc<Inner>, err: ContextError, cause: Option<Cause>) {
    let (tx, children, after) = {
        let mut st = lock(&inner.state);
        if st.err.is_some() {
            return;
        }
        st.err = Some(err);
        st.cause.clone_from(&cause);
        inner.ended.store(true, Ordering::Release);
        (
            st.done_tx.take(),
            std::mem::take(&mut st.children),
            std::mem::take(&mut st.after),
        )
    };
    if let Some(tx) = tx {
        tx.close();
    }
    if let Some(key) = lock(&inner.timer).take() {
        timer::cancel(key);
    }
    for child in children.iter().filter_map(Weak::upgrade) {
        cancel(&child, err, cause.clone());
    }
    for (_, f) in after {
        run_after(f);
    }
}

/// Runs an `after_func` callback on a thread of its own: a worker of the
/// shared pool of closures natively, inline where there is none (`wasm32`).
fn run_after(f: Box<dyn FnOnce() + Send>) {
    let task = crate::pool::Closure::new(move |_| f());
    #[cfg(not(target_arch = "wasm32"))]
    if let Err(e) = crate::pool::closure::spawn_shared(task) {
        panic!("Context::after_func: {e}");
    }
    #[cfg(target_arch = "wasm32")]
    task.run_now();
}

/// Stops an [`after_func`](Context::after_func) callback from running.
#[derive(Clone)]
pub struct AfterFuncStop {
    inner: Weak<Inner>,
    key: u64,
}

impl AfterFuncStop {
    /// Stops the callback; returns whether this call stopped it (`false` if
    /// it has started already, or was stopped before). Go's `stop()`.
    pub fn stop(&self) -> bool {
        let Some(inner) = self.inner.upgrade() else {
            return false;
        };
        let mut st = lock(&inner.state);
        let before = st.after.len();
        st.after.retain(|(k, _)| *k != self.key);
        st.after.len() != before
    }
}

impl fmt::Debug for AfterFuncStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AfterFuncStop")
    }
}

impl Context {
    /// The root context: never canceled, no deadline.
    pub fn background() -> Context {
        Context {
            inner: Arc::new(Inner {
                done: chan::never(),
                deadline: None,
                cancellable: false,
                ended: AtomicBool::new(false),
                timer: Mutex::new(None),
                state: Mutex::new(State {
                    err: None,
                    done_tx: None,
                    children: Vec::new(),
                    cause: None,
                    after: Vec::new(),
                    next_after: 0,
                }),
            }),
        }
    }

    fn child(parent: &Context, deadline: Option<Instant>) -> (Context, CancelFunc) {
        let (tx, rx) = chan::bounded(0);
        let deadline = match (parent.inner.deadline, deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let inner = Arc::new(Inner {
            done: rx,
            deadline,
            cancellable: true,
            ended: AtomicBool::new(false),
            timer: Mutex::new(None),
            state: Mutex::new(State {
                err: None,
                done_tx: Some(tx),
                children: Vec::new(),
                cause: None,
                after: Vec::new(),
                next_after: 0,
            }),
        });
        if !parent.inner.cancellable {
            return (
                Context {
                    inner: inner.clone(),
                },
                CancelFunc { inner },
            );
        }
        let parent_err = {
            let mut st = lock(&parent.inner.state);
            if st.err.is_none() {
                st.children.retain(|w| w.strong_count() > 0);
                st.children.push(Arc::downgrade(&inner));
            }
            st.err
        };
        if let Some(err) = parent_err {
            cancel(&inner, err, parent.cause_if_set());
        }
        (
            Context {
                inner: inner.clone(),
            },
            CancelFunc { inner },
        )
    }

    /// A child that is canceled by its [`CancelFunc`] or with its parent.
    pub fn with_cancel(parent: &Context) -> (Context, CancelFunc) {
        Context::child(parent, None)
    }

    /// A child that is also canceled, with [`ContextError::DeadlineExceeded`], at
    /// `deadline` (or at its parent's deadline, if that is earlier).
    pub fn with_deadline(parent: &Context, deadline: Instant) -> (Context, CancelFunc) {
        let (ctx, cancel_fn) = Context::child(parent, Some(deadline));
        if ctx.inner.deadline == Some(deadline) {
            if deadline <= Instant::now() {
                cancel(&ctx.inner, ContextError::DeadlineExceeded, None);
            } else {
                let weak = Arc::downgrade(&ctx.inner);
                let key = timer::schedule(
                    deadline,
                    Box::new(move || {
                        if let Some(inner) = weak.upgrade() {
                            cancel(&inner, ContextError::DeadlineExceeded, None);
                        }
                    }),
                );
                let mut slot = lock(&ctx.inner.timer);
                if ctx.err().is_none() {
                    *slot = Some(key);
                } else {
                    drop(slot);
                    timer::cancel(key);
                }
            }
        }
        (ctx, cancel_fn)
    }

    /// A child canceled `timeout` from now; see [`with_deadline`](Self::with_deadline).
    pub fn with_timeout(parent: &Context, timeout: Duration) -> (Context, CancelFunc) {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => Context::with_deadline(parent, deadline),
            // Past what an `Instant` can hold: it never comes.
            None => Context::with_cancel(parent),
        }
    }

    /// A channel that is closed when the context is canceled; use it in `select!`.
    pub fn done(&self) -> &Receiver<()> {
        &self.inner.done
    }

    /// `None` while the context is live; afterwards, why it ended.
    pub fn err(&self) -> Option<ContextError> {
        if !self.inner.ended.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.inner.state).err
    }

    /// Why the context ended, with the cause its cancel was given: Go's
    /// `context.Cause`. `None` while it is live; the cause given to
    /// [`CancelFunc::cancel_with_cause`] (of this context or the ancestor
    /// whose cancel ended it); else its [`ContextError`] as the cause.
    pub fn cause(&self) -> Option<Cause> {
        let err = self.err()?;
        Some(self.cause_if_set().unwrap_or_else(|| Arc::new(err)))
    }

    fn cause_if_set(&self) -> Option<Cause> {
        lock(&self.inner.state).cause.clone()
    }

    /// Runs `f` once the context is done, on a thread of its own (a worker
    /// of brigade's shared pool of closures; in the browser, on the thread
    /// whose cancel ended the context), or at once, the same way, if it is
    /// done already: Go's `context.AfterFunc`. The returned
    /// [`AfterFuncStop`] keeps `f` from running if it has not started. The
    /// root context is never done: there `f` never runs.
    ///
    /// ```
    /// use brigade::{chan, Context};
    ///
    /// let (ctx, cancel) = Context::with_cancel(&Context::background());
    /// let (tx, rx) = chan::bounded(1);
    /// let _stop = ctx.after_func(move || tx.send("cleaned up").unwrap());
    /// cancel.cancel();
    /// assert_eq!(rx.recv(), Ok("cleaned up"));
    /// ```
    pub fn after_func(&self, f: impl FnOnce() + Send + 'static) -> AfterFuncStop {
        let mut st = lock(&self.inner.state);
        let key = st.next_after;
        st.next_after += 1;
        let stop = AfterFuncStop {
            inner: Arc::downgrade(&self.inner),
            key,
        };
        if st.err.is_some() {
            drop(st);
            run_after(Box::new(f));
        } else {
            // Kept even on the root context, which never runs it: there it
            // goes with the last clone of the context.
            st.after.push((key, Box::new(f)));
        }
        stop
    }

    /// Whether the context has been canceled or passed its deadline.
    pub fn is_done(&self) -> bool {
        self.err().is_some()
    }

    /// The deadline, if this context or an ancestor has one.
    pub fn deadline(&self) -> Option<Instant> {
        self.inner.deadline
    }

    /// Waits `d` asynchronously, unless the context ends first; then resolves
    /// to why it ended. Go's `select { case <-time.After(d): case <-ctx.Done(): }`.
    ///
    /// # Errors
    /// Why the context ended, if it ended before `d` passed.
    pub async fn sleep_async(&self, d: Duration) -> Result<(), ContextError> {
        if let Some(e) = self.err() {
            return Err(e);
        }
        if d.is_zero() {
            return Ok(());
        }
        // Dropped with this future: a sleep cut short leaves no timer queued.
        let alarm = chan::Alarm::new(d);
        let mut sel = chan::Select::new();
        let _elapsed = sel.recv(alarm.receiver());
        let done = sel.recv(self.done());
        if sel.wait_async().await == done.index() {
            return Err(self.err().unwrap_or(ContextError::Canceled));
        }
        Ok(())
    }

    /// Waits asynchronously until the context is done; resolves to why.
    pub async fn canceled(&self) -> ContextError {
        let _ = self.inner.done.recv_async().await;
        self.err().unwrap_or(ContextError::Canceled)
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("err", &self.err())
            .field("deadline", &self.deadline())
            .finish()
    }
}
