//! Go's `errgroup`: run tasks, wait for all of them, get the first error; the
//! first error cancels the group's context so the other tasks can stop early.
//!
//! The tasks run on a pool of closures, never a thread each ([`Group`] says
//! which pool and how the shared one grows).
//!
//! A [`WaitGroup`] counts the tasks; a bounded channel of capacity `limit` is
//! the semaphore (Go's own idiom: `sem <- struct{}{}` to enter); the group's
//! [`Context`] is canceled by the first failure (or panic) and once `wait`
//! returns, as in Go. A panicking task is caught, cancels the group, and the
//! panic is resumed in `wait` (as in sourcegraph/conc), so it is never lost.
//!
//! [`ResultGroup`] keeps each task's value in submission order, like conc's
//! `ResultErrorPool`.

use std::any::Any;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::loom::{lock, Mutex};

use crate::chan::{self, Receiver, Sender};
use crate::pool::{Closure, ClosurePool};
use crate::runtime::WouldBlockOnMainThread;
use crate::{CancelFunc, Context, WaitGroup};

/// Why [`Group::wait`] returned an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupError<E> {
    /// The first error a task returned.
    Task(E),
    /// The tasks were still running, and this thread must not block (the
    /// browser's main thread): use [`Group::wait_async`].
    WouldBlockOnMainThread,
}

impl<E> GroupError<E> {
    /// The task's error, if that is what this is.
    pub fn into_task_error(self) -> Option<E> {
        match self {
            GroupError::Task(e) => Some(e),
            GroupError::WouldBlockOnMainThread => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GroupError::Task(e) => e.fmt(f),
            GroupError::WouldBlockOnMainThread => {
                f.write_str("Group::wait would block a thread that must not block; use wait_async")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GroupError<E> {}

struct Inner<E> {
    ctx: Context,
    cancel: CancelFunc,
    wg: WaitGroup,
    first: Mutex<Option<E>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    sem: Option<(Sender<()>, Receiver<()>)>,
    /// The pool the caller gave; `None`: the shared one.
    pool: Option<Arc<ClosurePool>>,
}

/// A group of tasks with errgroup semantics.
///
/// The tasks run on a [`ClosurePool`]: one given with [`Group::pool`], or
/// else one shared by every group of the process, started with a worker per
/// core. The shared pool grows by a worker whenever a task has waited a
/// millisecond for a free one, up to 256 workers, so tasks that wait on one
/// another (a pipeline's stages) each get a worker, as Go gives each a
/// goroutine, while many short tasks reuse a few threads. A given pool is
/// used as it is: tasks beyond its workers wait in its queue, so tasks that
/// wait on one another need a worker each. In the browser there is no
/// shared pool: give one whose workers are Web Workers.
///
/// # Examples
/// ```
/// use brigade::{Group, GroupError};
///
/// let g = Group::new();
/// for i in 0..4 {
///     g.go(move |ctx| {
///         if i == 2 {
///             return Err(format!("task {i} failed"));
///         }
///         // Siblings see the group's context canceled by the failure.
///         let _ = ctx.done().recv_timeout(std::time::Duration::from_millis(50));
///         Ok(())
///     });
/// }
/// assert_eq!(g.wait(), Err(GroupError::Task("task 2 failed".to_string())));
/// ```
pub struct Group<E> {
    inner: Arc<Inner<E>>,
}

impl<E: Send + 'static> Default for Group<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Send + 'static> Group<E> {
    /// A group whose context is a fresh cancellable one.
    pub fn new() -> Self {
        Self::with_context(&Context::background())
    }

    /// A group whose context is a child of `parent` (canceling `parent` cancels
    /// the group's tasks' context too).
    pub fn with_context(parent: &Context) -> Self {
        let (ctx, cancel) = Context::with_cancel(parent);
        Group {
            inner: Arc::new(Inner {
                ctx,
                cancel,
                wg: WaitGroup::new(),
                first: Mutex::new(None),
                panic: Mutex::new(None),
                sem: None,
                pool: None,
            }),
        }
    }

    /// Runs at most `n` tasks at once: `go` waits for a free place and `try_go`
    /// refuses. Set it before starting tasks.
    ///
    /// # Panics
    /// If `n` is 0, or if tasks were already started.
    pub fn limit(mut self, n: usize) -> Self {
        assert!(n > 0, "Group::limit: the limit must be at least 1");
        let inner =
            Arc::get_mut(&mut self.inner).expect("Group::limit must be set before tasks start");
        assert_eq!(
            inner.wg.count(),
            0,
            "Group::limit must be set before tasks start"
        );
        inner.sem = Some(chan::bounded(n));
        self
    }

    /// Runs the tasks on `pool` instead of the shared one. Set it before
    /// starting tasks.
    ///
    /// # Panics
    /// If tasks were already started.
    pub fn pool(mut self, pool: Arc<ClosurePool>) -> Self {
        let inner =
            Arc::get_mut(&mut self.inner).expect("Group::pool must be set before tasks start");
        inner.pool = Some(pool);
        self
    }

    /// The group's context: canceled by the first error, or when `wait` returns.
    pub fn context(&self) -> &Context {
        &self.inner.ctx
    }

    /// Starts `f` on the group's pool, waiting first while the group is at
    /// its limit.
    ///
    /// # Panics
    /// If the pool the group was given is closed, or this thread must not
    /// block and there is no free worker.
    pub fn go<F>(&self, f: F)
    where
        F: FnOnce(&Context) -> Result<(), E> + Send + 'static,
    {
        if let Some((tx, _)) = &self.inner.sem {
            // Never closed while the group lives; the thread may block here.
            let _ = tx.send(());
        }
        self.start(f);
    }

    /// Starts `f` if the group is below its limit; returns whether it started.
    pub fn try_go<F>(&self, f: F) -> bool
    where
        F: FnOnce(&Context) -> Result<(), E> + Send + 'static,
    {
        if let Some((tx, _)) = &self.inner.sem {
            if tx.try_send(()).is_err() {
                return false;
            }
        }
        self.start(f);
        true
    }

    fn start<F>(&self, f: F)
    where
        F: FnOnce(&Context) -> Result<(), E> + Send + 'static,
    {
        let inner = self.inner.clone();
        inner.wg.add(1);
        let task = Closure::new(move |_| {
            let r = catch_unwind(AssertUnwindSafe(|| f(&inner.ctx)));
            match r {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    let mut first = lock(&inner.first);
                    if first.is_none() {
                        *first = Some(e);
                        inner.cancel.cancel();
                    }
                }
                Err(p) => {
                    let mut panic = lock(&inner.panic);
                    if panic.is_none() {
                        *panic = Some(p);
                    }
                    inner.cancel.cancel();
                }
            }
            if let Some((_, rx)) = &inner.sem {
                let _ = rx.try_recv();
            }
            inner.wg.done();
        });
        let queued = match &self.inner.pool {
            Some(pool) => pool.submit(task).map(drop).map_err(|e| e.to_string()),
            None => crate::pool::closure::spawn_shared(task),
        };
        if let Err(e) = queued {
            self.inner.wg.done();
            if let Some((_, rx)) = &self.inner.sem {
                let _ = rx.try_recv();
            }
            panic!("Group::go: the task could not start: {e}");
        }
    }

    /// Waits for every task; cancels the group's context; returns the first
    /// error.
    ///
    /// # Errors
    /// [`GroupError::Task`] with the first error a task returned, or
    /// [`GroupError::WouldBlockOnMainThread`] where the thread must not
    /// block and tasks are still running (then nothing is canceled; use
    /// [`wait_async`](Self::wait_async)).
    ///
    /// # Panics
    /// Resumes the first task panic, if any.
    pub fn wait(&self) -> Result<(), GroupError<E>> {
        if let Err(WouldBlockOnMainThread) = self.inner.wg.wait() {
            return Err(GroupError::WouldBlockOnMainThread);
        }
        self.finish().map_err(GroupError::Task)
    }

    /// Waits asynchronously for every task; as [`wait`](Self::wait) otherwise.
    ///
    /// # Errors
    /// The first error a task returned.
    pub async fn wait_async(&self) -> Result<(), E> {
        self.inner.wg.wait_async().await;
        self.finish()
    }

    fn finish(&self) -> Result<(), E> {
        self.inner.cancel.cancel();
        if let Some(p) = lock(&self.inner.panic).take() {
            resume_unwind(p);
        }
        match lock(&self.inner.first).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl<E> fmt::Debug for Group<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Group")
            .field("running", &self.inner.wg.count())
            .finish()
    }
}

/// A [`Group`] whose tasks return values, collected in submission order.
///
/// # Examples
/// ```
/// use brigade::ResultGroup;
///
/// let g = ResultGroup::new();
/// for i in 0..5u64 {
///     g.go(move |_ctx| Ok::<_, String>(i * i));
/// }
/// assert_eq!(g.wait(), Ok(vec![0, 1, 4, 9, 16]));
/// ```
pub struct ResultGroup<T, E> {
    group: Group<E>,
    values: Arc<Mutex<Vec<Option<T>>>>,
}

impl<T: Send + 'static, E: Send + 'static> Default for ResultGroup<T, E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static, E: Send + 'static> ResultGroup<T, E> {
    /// An empty result group.
    pub fn new() -> Self {
        Self::from_group(Group::new())
    }

    /// A result group built on `group` (to set a context or a limit first).
    pub fn from_group(group: Group<E>) -> Self {
        ResultGroup {
            group,
            values: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// The group's context.
    pub fn context(&self) -> &Context {
        self.group.context()
    }

    /// Starts `f`; its value takes the next place in the result order.
    pub fn go<F>(&self, f: F)
    where
        F: FnOnce(&Context) -> Result<T, E> + Send + 'static,
    {
        let (values, index) = self.place();
        self.group
            .go(move |ctx| f(ctx).map(|v| Self::store(&values, index, v)));
    }

    /// Starts `f` if the group is below its limit; returns whether it started.
    pub fn try_go<F>(&self, f: F) -> bool
    where
        F: FnOnce(&Context) -> Result<T, E> + Send + 'static,
    {
        let (values, index) = self.place();
        let started = self
            .group
            .try_go(move |ctx| f(ctx).map(|v| Self::store(&values, index, v)));
        if !started {
            lock(&self.values).pop();
        }
        started
    }

    fn place(&self) -> (Arc<Mutex<Vec<Option<T>>>>, usize) {
        let mut v = lock(&self.values);
        v.push(None);
        (self.values.clone(), v.len() - 1)
    }

    fn store(values: &Mutex<Vec<Option<T>>>, index: usize, v: T) {
        lock(values)[index] = Some(v);
    }

    /// Waits for every task and returns their values in submission order.
    ///
    /// # Errors
    /// As [`Group::wait`].
    ///
    /// # Panics
    /// As [`Group::wait`].
    pub fn wait(self) -> Result<Vec<T>, GroupError<E>> {
        self.group.wait()?;
        let values = std::mem::take(&mut *lock(&self.values));
        Ok(values
            .into_iter()
            .map(|v| v.expect("every task succeeded"))
            .collect())
    }
}
