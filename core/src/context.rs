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

struct State {
    err: Option<ContextError>,
    done_tx: Option<Sender<()>>,
    children: Vec<Weak<Inner>>,
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
        cancel(&self.inner, ContextError::Canceled);
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

fn cancel(inner: &Arc<Inner>, err: ContextError) {
    let (tx, children) = {
        let mut st = lock(&inner.state);
        if st.err.is_some() {
            return;
        }
        st.err = Some(err);
        inner.ended.store(true, Ordering::Release);
        (st.done_tx.take(), std::mem::take(&mut st.children))
    };
    if let Some(tx) = tx {
        tx.close();
    }
    if let Some(key) = lock(&inner.timer).take() {
        timer::cancel(key);
    }
    for child in children.iter().filter_map(Weak::upgrade) {
        cancel(&child, err);
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
            cancel(&inner, err);
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
                cancel(&ctx.inner, ContextError::DeadlineExceeded);
            } else {
                let weak = Arc::downgrade(&ctx.inner);
                let key = timer::schedule(
                    deadline,
                    Box::new(move || {
                        if let Some(inner) = weak.upgrade() {
                            cancel(&inner, ContextError::DeadlineExceeded);
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
        Context::with_deadline(parent, Instant::now() + timeout)
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
        let timer = chan::after(d);
        let mut sel = chan::Select::new();
        let _elapsed = sel.recv(&timer);
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
