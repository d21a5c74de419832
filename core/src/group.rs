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

use crate::chan::{self, Receiver, SendError, Sender, TrySendError};
use crate::pool::{Closure, ClosurePool, Failure, Job, JobId, Pool};
use crate::runtime::WouldBlockOnMainThread;
use crate::{AfterFuncStop, CancelFunc, Context, WaitGroup};

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
    /// The pool job whose failure is `first`, if a job's was.
    failed_job: Mutex<Option<JobId>>,
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    sem: Option<(Sender<()>, Receiver<()>)>,
    /// The pool the caller gave; `None`: the shared one.
    pool: Option<Arc<ClosurePool>>,
}

impl<E> Inner<E> {
    /// Keeps `e` if it is the group's first error, and then cancels the group.
    fn fail(&self, e: E, job: Option<JobId>) {
        let mut first = lock(&self.first);
        if first.is_none() {
            *first = Some(e);
            *lock(&self.failed_job) = job;
            drop(first);
            self.cancel.cancel();
        }
    }

    /// Frees a place under the limit.
    fn release(&self) {
        if let Some((_, rx)) = &self.sem {
            let _ = rx.try_recv();
        }
    }
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
                failed_job: Mutex::new(None),
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

    /// Takes a place under the group's limit, waiting while the group is at
    /// it (at once without a limit). The place is the group's until a task
    /// started through it ends, or until it is dropped unused.
    pub fn reserve(&self) -> Place<E> {
        if let Some((tx, _)) = &self.inner.sem {
            // Never closed while the group lives; the thread may block here.
            let _ = tx.send(());
        }
        Place::new(&self.inner)
    }

    /// Takes a place if the group is below its limit.
    pub fn try_reserve(&self) -> Option<Place<E>> {
        if let Some((tx, _)) = &self.inner.sem {
            tx.try_send(()).ok()?;
        }
        Some(Place::new(&self.inner))
    }

    /// Takes a place, waiting asynchronously while the group is at its limit
    /// (the way to wait on the browser's main thread).
    pub async fn reserve_async(&self) -> Place<E> {
        if let Some((tx, _)) = &self.inner.sem {
            let _ = tx.send_async(()).await;
        }
        Place::new(&self.inner)
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
        self.reserve().go(f);
    }

    /// Starts `f` if the group is below its limit; returns whether it started.
    pub fn try_go<F>(&self, f: F) -> bool
    where
        F: FnOnce(&Context) -> Result<(), E> + Send + 'static,
    {
        self.try_reserve().map(|place| place.go(f)).is_some()
    }

    /// The id of the pool job whose failure is the group's error, when it is
    /// a job's (see [`Group::submit`]).
    pub fn failed_job(&self) -> Option<JobId> {
        *lock(&self.inner.failed_job)
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

impl<E: Clone + Send + 'static> Group<Failure<E>> {
    /// Submits `job` to `pool` as one of the group's tasks, waiting first
    /// while the group is at its limit, then for room in the pool's queue.
    ///
    /// The job runs under the group's context: the group's first failure
    /// cancels it (queued, it never starts), and its own failure (an error
    /// after its retries, a panic, a timeout, a cancellation, a lost worker)
    /// is the group's error if it is the first. A context the job carries
    /// still cancels it too. Its outcome goes where the pool sends outcomes,
    /// as for any job; the group keeps a clone of its failure.
    ///
    /// ```
    /// use brigade::pool::{Failure, Pool};
    /// use brigade::{Group, GroupError};
    ///
    /// let pool = Pool::builder()
    ///     .workers(2)
    ///     .build(|n: &u32, _ctx| if *n == 3 { Err("three") } else { Ok(n * 2) })
    ///     .unwrap();
    /// let g = Group::new();
    /// let ids: Vec<_> = (1..=4).map(|n| g.submit(&pool, n).unwrap()).collect();
    /// assert_eq!(g.wait(), Err(GroupError::Task(Failure::Error("three"))));
    /// assert_eq!(g.failed_job(), Some(ids[2]));
    /// ```
    ///
    /// # Errors
    /// The pool is closed: the job comes back, and the group's place is freed.
    pub fn submit<J, O>(
        &self,
        pool: &Pool<J, O, E>,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobId, SendError<J>>
    where
        J: Send + 'static,
        O: Send + 'static,
    {
        self.reserve().submit(pool, job)
    }

    /// Submits `job` if the group is below its limit and the pool's queue
    /// has room, as [`submit`](Self::submit) otherwise.
    ///
    /// # Errors
    /// [`TrySendError::Full`] if either is full, [`TrySendError::Closed`] if
    /// the pool is closed; the job comes back.
    pub fn try_submit<J, O>(
        &self,
        pool: &Pool<J, O, E>,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobId, TrySendError<J>>
    where
        J: Send + 'static,
        O: Send + 'static,
    {
        match self.try_reserve() {
            Some(place) => place.try_submit(pool, job),
            None => Err(TrySendError::Full(job.into().into_job())),
        }
    }

    /// Submits `job`, waiting asynchronously for a place and for room, as
    /// [`submit`](Self::submit) otherwise.
    ///
    /// # Errors
    /// The pool is closed: the job comes back.
    pub async fn submit_async<J, O>(
        &self,
        pool: &Pool<J, O, E>,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobId, SendError<J>>
    where
        J: Send + 'static,
        O: Send + 'static,
    {
        let job = job.into();
        self.reserve_async().await.submit_async(pool, job).await
    }
}

/// A place under a [`Group`]'s limit ([`Group::reserve`]), for one task:
/// what starts through it runs without waiting for the limit. Dropped
/// unused, it frees the place.
#[must_use = "a place is freed when dropped"]
pub struct Place<E> {
    inner: Option<Arc<Inner<E>>>,
}

impl<E> Place<E> {
    fn new(inner: &Arc<Inner<E>>) -> Self {
        Place {
            inner: Some(inner.clone()),
        }
    }

    /// The group, with the place now counted as a running task's.
    fn enter(mut self) -> Arc<Inner<E>> {
        let inner = self.inner.take().expect("a place is used once");
        inner.wg.add(1);
        inner
    }
}

impl<E> Drop for Place<E> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            inner.release();
        }
    }
}

impl<E> fmt::Debug for Place<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Place").finish_non_exhaustive()
    }
}

impl<E: Send + 'static> Place<E> {
    /// Starts `f` on the group's pool, as [`Group::go`].
    ///
    /// # Panics
    /// As [`Group::go`].
    pub fn go<F>(self, f: F)
    where
        F: FnOnce(&Context) -> Result<(), E> + Send + 'static,
    {
        let inner = self.enter();
        let group = inner.clone();
        let task = Closure::new(move |_| {
            match catch_unwind(AssertUnwindSafe(|| f(&group.ctx))) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => group.fail(e, None),
                Err(p) => {
                    let mut panic = lock(&group.panic);
                    if panic.is_none() {
                        *panic = Some(p);
                    }
                    drop(panic);
                    group.cancel.cancel();
                }
            }
            group.release();
            group.wg.done();
        });
        let queued = match &inner.pool {
            Some(pool) => pool.submit(task).map(drop).map_err(|e| e.to_string()),
            None => crate::pool::closure::spawn_shared(task),
        };
        if let Err(e) = queued {
            inner.release();
            inner.wg.done();
            panic!("Group::go: the task could not start: {e}");
        }
    }
}

impl<E: Clone + Send + 'static> Place<Failure<E>> {
    /// Submits `job` to `pool` as one of the group's tasks, as [`Group::submit`].
    ///
    /// # Errors
    /// The pool is closed: the job comes back, and the place is freed.
    pub fn submit<J, O>(
        self,
        pool: &Pool<J, O, E>,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobId, SendError<J>>
    where
        J: Send + 'static,
        O: Send + 'static,
    {
        let (job, member) = self.member(job.into());
        pool.submit(job).inspect_err(|_| member.end(None))
    }

    /// Submits `job` if the pool's queue has room, as [`Group::try_submit`].
    ///
    /// # Errors
    /// As [`Pool::try_submit`]; the job comes back, and the place is freed.
    pub fn try_submit<J, O>(
        self,
        pool: &Pool<J, O, E>,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobId, TrySendError<J>>
    where
        J: Send + 'static,
        O: Send + 'static,
    {
        let (job, member) = self.member(job.into());
        pool.try_submit(job).inspect_err(|_| member.end(None))
    }

    /// Submits `job`, waiting asynchronously for room in the pool's queue.
    ///
    /// # Errors
    /// The pool is closed: the job comes back, and the place is freed.
    pub async fn submit_async<J, O>(
        self,
        pool: &Pool<J, O, E>,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobId, SendError<J>>
    where
        J: Send + 'static,
        O: Send + 'static,
    {
        let (job, member) = self.member(job.into());
        pool.submit_async(job)
            .await
            .inspect_err(|_| member.end(None))
    }

    /// `job` made a task of the group: its context, and the watch its end
    /// reports to; the member, for a refused submission to end.
    fn member<J>(self, job: Job<J, E>) -> (Job<J, E>, Arc<Member<E>>) {
        let inner = self.enter();
        // A context of its own stays in force: the job gets a child of it
        // that the group's context cancels as well.
        let (ctx, link) = match job.own_context() {
            None => (inner.ctx.clone(), None),
            Some(own) => {
                let (ctx, cancel) = Context::with_cancel(own);
                let on_group = cancel.clone();
                let stop = inner.ctx.after_func(move || on_group.cancel());
                (ctx, Some((cancel, stop)))
            }
        };
        let member = Arc::new(Member {
            inner,
            link: Mutex::new(link),
        });
        let watching = member.clone();
        let job = job.member(
            ctx,
            Arc::new(move |id, failure| watching.end(failure.map(|f| (id, f)))),
        );
        (job, member)
    }
}

/// A job submitted through a [`Group`], until it ends.
struct Member<E> {
    inner: Arc<Inner<Failure<E>>>,
    /// The job's own context's child and the group's hook that cancels it.
    link: Mutex<Option<(CancelFunc, AfterFuncStop)>>,
}

impl<E: Clone> Member<E> {
    /// The job ended (`None`: it succeeded, or was never queued).
    fn end(&self, failure: Option<(JobId, &Failure<E>)>) {
        if let Some((cancel, stop)) = lock(&self.link).take() {
            stop.stop();
            cancel.cancel(); // lets go of the job's own context
        }
        if let Some((id, f)) = failure {
            self.inner.fail(f.clone(), Some(id));
        }
        self.inner.release();
        self.inner.wg.done();
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
