//! A pool of workers serving a bounded queue of jobs, Go-style, with what
//! production pools add: backpressure, per-job handles, cancellation and
//! deadlines, retries with backoff, rate limiting, resizing, metrics, panic
//! containment and graceful shutdown.
//!
//! ```
//! use brigade::{Context, Pool};
//!
//! let pool = Pool::builder()
//!     .workers(2)
//!     .queue(4)
//!     .build(|n: &u64, _ctx: &Context| Ok::<_, String>(n * n))
//!     .unwrap();
//! for n in 0..10 {
//!     pool.submit(n).unwrap(); // waits while 4 jobs are queued
//! }
//! pool.close(); // no more jobs; results close after the last one
//! let mut squares: Vec<u64> = pool.results().iter().map(|o| o.result.unwrap()).collect();
//! squares.sort();
//! assert_eq!(squares, [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
//! ```
//!
//! # Outcomes
//! Every accepted job ends in exactly one [`Outcome`]: a value, or a
//! [`Failure`] (the handler's error, a panic, cancellation, or a timeout). It
//! goes to [`Pool::results`] in completion order, or, for jobs started with
//! [`Pool::run`], to that job's [`JobHandle`]. The outcome hands the job back.
//!
//! # Lifecycle
//! - [`close`](Pool::close): no more jobs; queued jobs still run; the results
//!   channel closes after the last outcome.
//! - [`shutdown`](Pool::shutdown): close, wait up to a deadline for the queue to
//!   drain, then cancel what is left (queued jobs get `Canceled` outcomes,
//!   running ones see their context canceled).
//! - [`abort`](Pool::abort): cancel everything now.
//! - Dropping the pool closes it and returns at once; queued jobs still run.
//!
//! # Async handlers
//! [`Builder::build_async`] takes a handler that returns a future. A worker
//! awaits one job's future at a time, and its wait for the rate limit and a
//! retry's backoff are awaited too, so a Web Worker's event loop keeps running
//! (JavaScript handlers, timers, `fetch`).
//!
//! # Workers
//! Workers are started through a [`Spawner`]: native threads by default; the
//! browser binding supplies Web Workers, which drive [`Worker::run_async`].

pub(crate) mod closure;
mod engine;
mod metrics;
mod outcome;
#[cfg(feature = "prometheus")]
mod prometheus;
#[cfg(feature = "tokio")]
mod tokio;
mod worker;

use std::any::Any;
use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;

use crate::chan::{self, Receiver, SendError, SendTimeoutError, Sender, TrySendError};
use crate::loom::{lock, AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::runtime::{Duration, Stamp};
use crate::{Context, RateLimit, Retry, WaitGroup};

use engine::{Handler, JobOptions, Keep, PanicHook, Shared, Slot, Task, Watch};
use metrics::Record;

#[cfg(feature = "tokio")]
pub use self::tokio::TokioSpawner;
pub use closure::{Closure, ClosurePool};
pub use metrics::{Distribution, Metrics, BUCKETS, SATURATION_WINDOWS};
pub use outcome::{
    current_job, CancelReason, Failure, HandleError, JobHandle, JobId, JobInfo, Loss, Outcome,
    Phase, Running,
};
#[cfg(feature = "prometheus")]
pub use prometheus::PoolCollector;
pub use worker::{Spawner, ThreadSpawner, Worker};

/// The most workers a pool accepts.
pub const MAX_WORKERS: usize = 4096;
/// The largest queue a pool accepts.
pub const MAX_QUEUE: usize = 1 << 24;

/// The width of a window of [`Metrics::saturation_series`] unless
/// [`Builder::saturation_window`] sets one.
pub const DEFAULT_SATURATION_WINDOW: Duration = Duration::from_secs(1);

/// `build()` or `resize()` refused a parameter, or a worker could not start.
/// Two errors are equal if they are the same variant with equal fields; two
/// `Spawn` errors, if their `io::ErrorKind`s are.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// `workers(0)`, or more than [`MAX_WORKERS`].
    Workers(usize),
    /// A queue larger than [`MAX_QUEUE`].
    Queue(usize),
    /// A zero timeout or queue-wait limit.
    ZeroDuration(&'static str),
    /// The spawner could not start a worker; the error is its `source()`.
    Spawn(Arc<io::Error>),
    /// `recover_lost_workers` named another job type than the handler's.
    KeepType,
}

impl PartialEq for BuildError {
    fn eq(&self, other: &Self) -> bool {
        use BuildError::*;
        match (self, other) {
            (Workers(a), Workers(b)) | (Queue(a), Queue(b)) => a == b,
            (ZeroDuration(a), ZeroDuration(b)) => a == b,
            (Spawn(a), Spawn(b)) => a.kind() == b.kind(),
            (KeepType, KeepType) => true,
            _ => false,
        }
    }
}

impl Eq for BuildError {}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Workers(n) => {
                write!(f, "workers must be between 1 and {MAX_WORKERS}, got {n}")
            }
            BuildError::Queue(n) => write!(f, "queue must be at most {MAX_QUEUE}, got {n}"),
            BuildError::ZeroDuration(what) => write!(f, "{what} must be longer than zero"),
            BuildError::Spawn(e) => write!(f, "could not start a worker: {e}"),
            BuildError::KeepType => {
                f.write_str("recover_lost_workers names another job type than the handler's")
            }
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::Spawn(e) => Some(&**e),
            _ => None,
        }
    }
}

/// [`Pool::lose_worker`] could not declare a worker lost. `Spawn` errors
/// compare by `io::ErrorKind`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LoseError {
    /// The pool was built without [`Builder::recover_lost_workers`].
    NotRecoverable,
    /// No live worker has this index.
    NoWorker(usize),
    /// The replacement could not start; the lost worker is retired. The
    /// error is its `source()`.
    Spawn(Arc<io::Error>),
}

impl PartialEq for LoseError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (LoseError::NotRecoverable, LoseError::NotRecoverable) => true,
            (LoseError::NoWorker(a), LoseError::NoWorker(b)) => a == b,
            (LoseError::Spawn(a), LoseError::Spawn(b)) => a.kind() == b.kind(),
            _ => false,
        }
    }
}

impl Eq for LoseError {}

impl fmt::Display for LoseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoseError::NotRecoverable => {
                f.write_str("the pool keeps no job copies: build it with recover_lost_workers")
            }
            LoseError::NoWorker(i) => write!(f, "no live worker has index {i}"),
            LoseError::Spawn(e) => write!(f, "could not start a replacement worker: {e}"),
        }
    }
}

impl std::error::Error for LoseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LoseError::Spawn(e) => Some(&**e),
            _ => None,
        }
    }
}

/// A job with per-job settings; a plain `J` converts into one with none.
///
/// ```
/// use brigade::pool::Job;
/// use std::time::Duration;
///
/// let job: Job<&str, ()> = Job::new("resize a.png").timeout(Duration::from_secs(5));
/// # drop(job);
/// ```
pub struct Job<J, E> {
    job: J,
    opts: JobOptions<E>,
}

impl<J, E> Job<J, E> {
    /// Wraps `job` with no settings of its own.
    pub fn new(job: J) -> Self {
        Job {
            job,
            opts: JobOptions {
                ctx: None,
                timeout: None,
                retry: None,
                watch: None,
            },
        }
    }

    /// Cancels the job when `ctx` is done (its deadline, if any, counts as a
    /// timeout). The job's own context becomes a child of `ctx`.
    pub fn context(mut self, ctx: &Context) -> Self {
        self.opts.ctx = Some(ctx.clone());
        self
    }

    /// Limits the job's run time, measured from its start (overrides the pool's).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.opts.timeout = Some(timeout);
        self
    }

    /// Retries the job by `retry` (overrides the pool's policy).
    pub fn retry(mut self, retry: Retry<E>) -> Self {
        self.opts.retry = Some(retry);
        self
    }

    /// The context given with [`context`](Self::context), if any.
    pub(crate) fn own_context(&self) -> Option<&Context> {
        self.opts.ctx.as_ref()
    }

    /// The job as a task of a group: it runs under `ctx`, and `watch` hears
    /// of its end.
    pub(crate) fn member(mut self, ctx: Context, watch: Watch<E>) -> Self {
        self.opts.ctx = Some(ctx);
        self.opts.watch = Some(watch);
        self
    }

    /// The job itself, its settings dropped.
    pub(crate) fn into_job(self) -> J {
        self.job
    }
}

impl<J, E> From<J> for Job<J, E> {
    fn from(job: J) -> Self {
        Job::new(job)
    }
}

/// Configures a [`Pool`]; see [`Pool::builder`].
pub struct Builder<E> {
    workers: usize,
    queue: Option<usize>,
    spawner: Option<Arc<dyn Spawner>>,
    ctx: Option<Context>,
    timeout: Option<Duration>,
    max_queue_wait: Option<Duration>,
    retry: Option<Retry<E>>,
    rate_limit: Option<RateLimit>,
    on_panic: Option<PanicHook>,
    saturation_window: Duration,
    /// `Keep<J>` for the `J` named in `recover_lost_workers`.
    keep: Option<Box<dyn Any + Send + Sync>>,
    discard: bool,
    /// The default spawner, named and sized by `thread_name`/`stack_size`.
    threads: ThreadSpawner,
}

impl<E> fmt::Debug for Builder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("workers", &self.workers)
            .field("queue", &self.queue)
            .field("timeout", &self.timeout)
            .field("max_queue_wait", &self.max_queue_wait)
            .finish()
    }
}

impl<E> Builder<E> {
    /// The number of workers (default: the machine's parallelism).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// The queue's capacity (default 2 × workers); 0 makes submission a
    /// rendezvous with a free worker.
    pub fn queue(mut self, cap: usize) -> Self {
        self.queue = Some(cap);
        self
    }

    /// How workers are started (default: one native thread each).
    pub fn spawner(mut self, spawner: impl Spawner) -> Self {
        self.spawner = Some(Arc::new(spawner));
        self
    }

    /// The pool's context: when it is done, the pool is aborted.
    pub fn context(mut self, ctx: &Context) -> Self {
        self.ctx = Some(ctx.clone());
        self
    }

    /// The default run-time limit of each job, from its start.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Jobs that waited in the queue longer than this end as
    /// `TimedOut(Phase::Queued)` without running.
    pub fn max_queue_wait(mut self, limit: Duration) -> Self {
        self.max_queue_wait = Some(limit);
        self
    }

    /// The default retry policy.
    pub fn retry(mut self, retry: Retry<E>) -> Self {
        self.retry = Some(retry);
        self
    }

    /// Limits how often jobs start (the bucket may be shared with other pools).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Called with the job id and panic message whenever a handler panics.
    pub fn on_panic(mut self, hook: impl Fn(JobId, &str) + Send + Sync + 'static) -> Self {
        self.on_panic = Some(Arc::new(hook));
        self
    }

    /// The width of a window of [`Metrics::saturation_series`] (default 1 s;
    /// the series keeps the last [`SATURATION_WINDOWS`]).
    pub fn saturation_window(mut self, width: Duration) -> Self {
        self.saturation_window = width;
        self
    }

    /// Keeps a copy of each running job (a `J::clone` as it starts), so that
    /// [`Pool::lose_worker`] can still end it with an outcome when its
    /// worker's thread dies from outside. For spawners whose threads can be
    /// ended from outside (Web Workers); `J` is the handler's job type.
    /// A job's copy is dropped as it ends.
    pub fn recover_lost_workers<J: Clone + 'static>(self) -> Self {
        self.recover_lost_workers_with::<J>(J::clone)
    }

    /// [`recover_lost_workers`](Self::recover_lost_workers) with a copy of
    /// your own: `keep` makes what a lost job's outcome hands back as its
    /// job (say, all but a large input), once per job as it starts.
    pub fn recover_lost_workers_with<J: 'static>(mut self, keep: fn(&J) -> J) -> Self {
        self.keep = Some(Box::new(keep as Keep<J>));
        self
    }

    /// Names the worker threads `<prefix>-<index>` (default
    /// `brigade-worker`). For the default spawner; a [`Spawner`] given with
    /// [`spawner`](Self::spawner) names its own.
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Self {
        self.threads = self.threads.name(prefix);
        self
    }

    /// Gives each worker thread a stack of `bytes` (default: the standard
    /// library's, 2 MiB). For the default spawner, as
    /// [`thread_name`](Self::thread_name).
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.threads = self.threads.stack_size(bytes);
        self
    }

    /// Drops the outcomes of jobs submitted with `submit*` instead of sending
    /// them to [`Pool::results`], which then stays empty: fire and forget,
    /// with nothing piling up unread. The outcomes are still counted in
    /// [`Pool::metrics`], and `run` still hands each job's to its handle.
    pub fn discard_outcomes(mut self) -> Self {
        self.discard = true;
        self
    }

    /// Starts the workers, each calling `handler` for one job at a time.
    ///
    /// # Errors
    /// [`BuildError`] naming the bad parameter, or the spawner's failure.
    pub fn build<J, O, H>(self, handler: H) -> Result<Pool<J, O, E>, BuildError>
    where
        J: Send + 'static,
        O: Send + 'static,
        E: Send + 'static,
        H: Fn(&J, &Context) -> Result<O, E> + Send + Sync + 'static,
    {
        self.start(Handler::Blocking(Box::new(handler)))
    }

    /// Starts the workers with an async handler: each worker awaits the
    /// handler's future for one job at a time. The future is created and
    /// polled on the worker's thread, so it need not be `Send` (in the browser
    /// it may hold JavaScript values). Its job's context is raced against it:
    /// when the context ends first (timeout, `cancel`, `abort`), the future is
    /// dropped and the outcome says why. Copy what the future needs out of the
    /// job before its first `.await`; the job itself goes back in the outcome.
    ///
    /// ```
    /// use brigade::{Context, Pool};
    /// use std::time::Duration;
    ///
    /// let pool = Pool::builder()
    ///     .workers(2)
    ///     .build_async(|ms: &u64, ctx: &Context| {
    ///         let (ms, ctx) = (*ms, ctx.clone());
    ///         async move {
    ///             ctx.sleep_async(Duration::from_millis(ms)).await.map_err(|e| e.to_string())?;
    ///             Ok::<_, String>(ms)
    ///         }
    ///     })
    ///     .unwrap();
    /// assert_eq!(pool.run(5).unwrap().wait().unwrap().result, Ok(5));
    /// ```
    ///
    /// # Errors
    /// [`BuildError`] naming the bad parameter, or the spawner's failure.
    pub fn build_async<J, O, H, F>(self, handler: H) -> Result<Pool<J, O, E>, BuildError>
    where
        J: Send + 'static,
        O: Send + 'static,
        E: Send + 'static,
        H: Fn(&J, &Context) -> F + Send + Sync + 'static,
        F: Future<Output = Result<O, E>> + 'static,
    {
        self.start(Handler::Async(Box::new(move |job, ctx| {
            Box::pin(handler(job, ctx))
        })))
    }

    fn start<J, O>(self, handler: Handler<J, O, E>) -> Result<Pool<J, O, E>, BuildError>
    where
        J: Send + 'static,
        O: Send + 'static,
        E: Send + 'static,
    {
        if self.workers == 0 || self.workers > MAX_WORKERS {
            return Err(BuildError::Workers(self.workers));
        }
        let queue = self.queue.unwrap_or(2 * self.workers);
        if queue > MAX_QUEUE {
            return Err(BuildError::Queue(queue));
        }
        if self.timeout.is_some_and(|t| t.is_zero()) {
            return Err(BuildError::ZeroDuration("timeout"));
        }
        if self.max_queue_wait.is_some_and(|t| t.is_zero()) {
            return Err(BuildError::ZeroDuration("max_queue_wait"));
        }
        if self.saturation_window.is_zero() {
            return Err(BuildError::ZeroDuration("saturation_window"));
        }
        let keep = match self.keep {
            Some(k) => Some(*k.downcast::<Keep<J>>().map_err(|_| BuildError::KeepType)?),
            None => None,
        };
        let (jobs_tx, jobs_rx) = chan::bounded(queue);
        let (results_tx, results_rx) = chan::unbounded();
        let (control_tx, control_rx) = chan::unbounded();
        let shared = Arc::new(Shared {
            handler,
            jobs: jobs_rx,
            results: results_tx,
            counters: Default::default(),
            ctx: self.ctx,
            root: Context::background(),
            timeout: self.timeout,
            max_queue_wait: self.max_queue_wait,
            retry: self.retry,
            rate_limit: self.rate_limit,
            on_panic: self.on_panic,
            aborted: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            canceled: Mutex::new(HashSet::new()),
            canceled_count: AtomicUsize::new(0),
            canceled_max: AtomicU64::new(0),
            canceled_inserts: AtomicU64::new(0),
            slots: Mutex::new(Vec::new()),
            exited: Mutex::new(Record::new(self.saturation_window)),
            merged: Mutex::new(Record::new(self.saturation_window)),
            discard: self.discard,
            window: self.saturation_window,
            live: AtomicUsize::new(0),
            retirements_due: AtomicUsize::new(0),
            running: WaitGroup::new(),
            started: Stamp::now(),
            keep,
        });
        let pool = Pool {
            shared,
            jobs: jobs_tx,
            control: control_tx,
            control_rx,
            results: results_rx,
            spawner: self.spawner.unwrap_or_else(|| Arc::new(self.threads)),
            next_id: AtomicU64::new(1),
            next_index: AtomicUsize::new(0),
            target: Mutex::new(0),
            capacity: queue,
        };
        pool.grow(self.workers)?;
        Ok(pool)
    }
}

/// A submission waiting for room. Dropped before the job entered the queue
/// (the caller gave up on the future, so no id was issued), it takes the job
/// back and uncounts it: no outcome is owed for it.
struct Unsent<'a, J, O, E> {
    send: chan::SendFuture<'a, Task<J, O, E>>,
    submitted: &'a AtomicU64,
}

impl<J, O, E> Drop for Unsent<'_, J, O, E> {
    fn drop(&mut self) {
        if let Some(task) = self.send.withdraw() {
            self.submitted.fetch_sub(1, Ordering::Relaxed);
            drop(task.into_job());
        }
    }
}

/// What [`Pool::shutdown`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Whether every queued job finished before the deadline.
    pub drained: bool,
    /// Jobs that ended `Canceled` because the deadline passed.
    pub canceled: u64,
    /// Workers still running a job that ignores its canceled context.
    pub workers_left: usize,
}

/// A set of workers serving a bounded queue of jobs of type `J`, each producing
/// an [`Outcome`] with an `O` or a [`Failure`] carrying an `E`.
pub struct Pool<J, O, E> {
    shared: Arc<Shared<J, O, E>>,
    jobs: Sender<Task<J, O, E>>,
    control: Sender<()>,
    control_rx: Receiver<()>,
    results: Receiver<Outcome<J, O, E>>,
    spawner: Arc<dyn Spawner>,
    next_id: AtomicU64,
    next_index: AtomicUsize,
    target: Mutex<usize>,
    capacity: usize,
}

impl Pool<(), (), ()> {
    /// Starts configuring a pool. The job, output and error types are inferred
    /// from the handler given to [`Builder::build`].
    pub fn builder<E>() -> Builder<E> {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Builder {
            workers,
            queue: None,
            spawner: None,
            ctx: None,
            timeout: None,
            max_queue_wait: None,
            retry: None,
            rate_limit: None,
            on_panic: None,
            saturation_window: DEFAULT_SATURATION_WINDOW,
            keep: None,
            discard: false,
            threads: ThreadSpawner::default(),
        }
    }
}

impl<J, O, E> Pool<J, O, E>
where
    J: Send + 'static,
    O: Send + 'static,
    E: Send + 'static,
{
    fn grow(&self, n: usize) -> Result<(), BuildError> {
        let mut target = lock(&self.target);
        for _ in 0..n {
            self.start_worker()?;
            *target += 1;
        }
        Ok(())
    }

    /// Starts one more worker (the target count is the caller's business).
    fn start_worker(&self) -> Result<(), BuildError> {
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::new(index, self.shared.uptime(), self.shared.window));
        lock(&self.shared.slots).push(slot.clone());
        self.shared.live.fetch_add(1, Ordering::AcqRel);
        self.shared.running.add(1);
        let body = worker::Body {
            index,
            shared: self.shared.clone(),
            slot: slot.clone(),
            control: self.control_rx.clone(),
        };
        if let Err(e) = self.spawner.spawn(Worker::new(index, Box::new(body))) {
            // The worker never ran: undo its registration.
            self.shared.worker_exit(&slot);
            return Err(BuildError::Spawn(Arc::new(e)));
        }
        Ok(())
    }

    /// Declares worker `index` lost: its thread ended from outside (a Web
    /// Worker terminated, crashed or out of memory) or is to be abandoned.
    /// The job it was running ends now with [`Failure::Lost`]`(loss)`, the
    /// worker is retired, and a new one takes its place, so the pool keeps
    /// its size. Returns the lost job's id, `None` if the worker was idle.
    ///
    /// Should the thread in fact still run, it never delivers its job's
    /// outcome and leaves once its handler returns. The job's outcome
    /// carries the copy kept by [`Builder::recover_lost_workers`].
    ///
    /// What a dead thread held is not recovered: if it died inside the
    /// pool's own code (holding a lock, or waiting in the queue with a job
    /// handed to it), that stays held or lost. A supervisor should end a
    /// thread only while it runs a handler (the browser binding's gate
    /// makes sure of it).
    ///
    /// ```
    /// use brigade::pool::{Failure, Loss};
    /// use brigade::{chan, Context, Pool};
    ///
    /// let (started, seen) = chan::bounded(0);
    /// let pool = Pool::builder()
    ///     .workers(1)
    ///     .recover_lost_workers::<u64>()
    ///     .build(move |&n: &u64, _: &Context| {
    ///         if n == 0 {
    ///             started.send(()).unwrap();
    ///             std::thread::sleep(std::time::Duration::from_millis(200)); // stuck
    ///         }
    ///         Ok::<_, String>(n)
    ///     })
    ///     .unwrap();
    /// let stuck = pool.run(0).unwrap();
    /// seen.recv().unwrap();
    /// let worker = pool.running()[0].worker;
    /// assert_eq!(pool.lose_worker(worker, Loss::Died), Ok(Some(stuck.id())));
    /// assert_eq!(stuck.wait().unwrap().result, Err(Failure::Lost(Loss::Died)));
    /// // The replacement serves the next job at once.
    /// assert_eq!(pool.run(7).unwrap().wait().unwrap().result, Ok(7));
    /// ```
    ///
    /// # Errors
    /// [`LoseError::NotRecoverable`] without `recover_lost_workers`;
    /// [`LoseError::NoWorker`] if no live worker has this index (already
    /// retired or lost); [`LoseError::Spawn`] if the replacement could not
    /// start (the lost worker is retired all the same).
    pub fn lose_worker(&self, index: usize, loss: Loss) -> Result<Option<JobId>, LoseError> {
        if self.shared.keep.is_none() {
            return Err(LoseError::NotRecoverable);
        }
        // The replacement first, so the live count never touches zero on
        // the way (which would end the results of a closed pool early).
        let started = self.start_worker();
        let lost = self.shared.lose(index, loss);
        if lost.is_err() {
            if started.is_ok() {
                self.shared.retirements_due.fetch_add(1, Ordering::AcqRel);
                let _ = self.control.try_send(()); // one worker too many now
            }
            return Err(LoseError::NoWorker(index));
        }
        started.map_err(|e| match e {
            BuildError::Spawn(e) => LoseError::Spawn(e),
            e => LoseError::Spawn(Arc::new(io::Error::other(e.to_string()))),
        })?;
        Ok(lost.unwrap_or(None))
    }

    fn task(&self, job: Job<J, E>, handle: Option<Sender<Outcome<J, O, E>>>) -> Task<J, O, E> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Task::new(id, job.job, job.opts, handle)
    }

    fn accepted(&self) {
        self.shared
            .counters
            .submitted
            .fetch_add(1, Ordering::Relaxed);
    }

    fn refused(&self) {
        self.shared
            .counters
            .submitted
            .fetch_sub(1, Ordering::Relaxed);
    }

    fn send(&self, t: Task<J, O, E>) -> Result<JobId, SendError<J>> {
        let id = t.id;
        self.accepted();
        self.jobs.send(t).map(|()| id).map_err(|e| {
            self.refused();
            match e {
                SendError::WouldBlockOnMainThread(t) => {
                    SendError::WouldBlockOnMainThread(t.into_job())
                }
                e => SendError::Closed(e.into_inner().into_job()),
            }
        })
    }

    fn try_send(&self, t: Task<J, O, E>) -> Result<JobId, TrySendError<J>> {
        let id = t.id;
        self.accepted();
        self.jobs.try_send(t).map(|()| id).map_err(|e| {
            self.refused();
            match e {
                TrySendError::Full(t) => TrySendError::Full(t.into_job()),
                e => TrySendError::Closed(e.into_inner().into_job()),
            }
        })
    }

    async fn send_async(&self, t: Task<J, O, E>) -> Result<JobId, SendError<J>> {
        let id = t.id;
        self.accepted();
        let mut send = Unsent {
            send: self.jobs.send_async(t),
            submitted: &self.shared.counters.submitted,
        };
        match (&mut send.send).await {
            Ok(()) => Ok(id),
            Err(e) => {
                self.refused();
                Err(SendError::Closed(e.into_inner().into_job()))
            }
        }
    }

    /// Queues `job`, waiting while the queue is full; returns its id. The
    /// outcome goes to [`results`](Self::results).
    ///
    /// # Errors
    /// [`SendError::Closed`] once the pool is closed, or `WouldBlockOnMainThread`
    /// where the thread must not wait; both hand the job back.
    pub fn submit(&self, job: impl Into<Job<J, E>>) -> Result<JobId, SendError<J>> {
        self.send(self.task(job.into(), None))
    }

    /// Queues `job` if there is room now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], handing the job back.
    pub fn try_submit(&self, job: impl Into<Job<J, E>>) -> Result<JobId, TrySendError<J>> {
        self.try_send(self.task(job.into(), None))
    }

    /// Queues `job`, waiting at most `timeout` for room.
    ///
    /// # Errors
    /// [`SendTimeoutError::Timeout`], `Closed` or `WouldBlockOnMainThread`,
    /// handing the job back.
    pub fn submit_timeout(
        &self,
        job: impl Into<Job<J, E>>,
        timeout: Duration,
    ) -> Result<JobId, SendTimeoutError<J>> {
        let t = self.task(job.into(), None);
        let id = t.id;
        self.accepted();
        self.jobs
            .send_timeout(t, timeout)
            .map(|()| id)
            .map_err(|e| {
                self.refused();
                match e {
                    SendTimeoutError::Timeout(t) => SendTimeoutError::Timeout(t.into_job()),
                    SendTimeoutError::Closed(t) => SendTimeoutError::Closed(t.into_job()),
                    e => SendTimeoutError::WouldBlockOnMainThread(e.into_inner().into_job()),
                }
            })
    }

    /// Queues `job`, waiting asynchronously for room.
    ///
    /// # Errors
    /// [`SendError::Closed`] once the pool is closed, handing the job back.
    pub async fn submit_async(&self, job: impl Into<Job<J, E>>) -> Result<JobId, SendError<J>> {
        self.send_async(self.task(job.into(), None)).await
    }

    /// Queues `job` like [`submit`](Self::submit), but its outcome goes to the
    /// returned handle instead of the results channel.
    ///
    /// # Errors
    /// As [`submit`](Self::submit).
    pub fn run(&self, job: impl Into<Job<J, E>>) -> Result<JobHandle<J, O, E>, SendError<J>> {
        let (tx, rx) = chan::bounded(1);
        let id = self.send(self.task(job.into(), Some(tx)))?;
        Ok(JobHandle {
            id,
            rx,
            pool: Arc::downgrade(&self.shared),
        })
    }

    /// [`run`](Self::run) if there is room now.
    ///
    /// # Errors
    /// As [`try_submit`](Self::try_submit).
    pub fn try_run(
        &self,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobHandle<J, O, E>, TrySendError<J>> {
        let (tx, rx) = chan::bounded(1);
        let id = self.try_send(self.task(job.into(), Some(tx)))?;
        Ok(JobHandle {
            id,
            rx,
            pool: Arc::downgrade(&self.shared),
        })
    }

    /// [`run`](Self::run), waiting asynchronously for room.
    ///
    /// # Errors
    /// As [`submit_async`](Self::submit_async).
    pub async fn run_async(
        &self,
        job: impl Into<Job<J, E>>,
    ) -> Result<JobHandle<J, O, E>, SendError<J>> {
        let (tx, rx) = chan::bounded(1);
        let id = self.send_async(self.task(job.into(), Some(tx))).await?;
        Ok(JobHandle {
            id,
            rx,
            pool: Arc::downgrade(&self.shared),
        })
    }

    /// Cancels job `id`: if it is queued, it ends `Canceled` without running; if
    /// it is running, its context is canceled (the handler should notice).
    /// Returns whether a running job was canceled now.
    pub fn cancel(&self, id: JobId) -> bool {
        if id == 0 || id >= self.next_id.load(Ordering::Relaxed) {
            return false;
        }
        self.shared.cancel(id)
    }

    /// How many canceled ids the pool still holds for jobs that have not
    /// ended. For tests: ids of jobs that had already ended when canceled
    /// must not stay.
    #[doc(hidden)]
    pub fn pending_cancels(&self) -> usize {
        lock(&self.shared.canceled).len()
    }

    /// The outcomes of jobs submitted with `submit*`, in completion order. The
    /// channel closes after the last outcome once the pool is closed.
    pub fn results(&self) -> &Receiver<Outcome<J, O, E>> {
        &self.results
    }

    /// Stops intake; queued jobs still run. Returns whether this call closed it.
    pub fn close(&self) -> bool {
        self.shared.closed.store(true, Ordering::Release);
        self.jobs.close()
    }

    /// Cancels everything now: intake stops, queued jobs end `Canceled` without
    /// running, running jobs see their context canceled.
    pub fn abort(&self) {
        self.shared.aborted.store(true, Ordering::Release);
        self.close();
        self.shared.cancel_running(|_| true);
    }

    /// Closes the pool and waits until every worker has exited.
    ///
    /// # Errors
    /// `WouldBlockOnMainThread` where the thread must not wait.
    pub fn join(&self) -> Result<(), crate::runtime::WouldBlockOnMainThread> {
        self.close();
        self.shared.running.wait()
    }

    /// Closes the pool and waits asynchronously until every worker has exited
    /// (so every outcome has been delivered).
    pub async fn join_async(&self) {
        self.close();
        self.shared.running.wait_async().await;
    }

    /// Closes the pool, lets the queue drain until `timeout`, then aborts what
    /// is left and waits (up to `timeout` again) for running jobs to stop.
    pub fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        let before = self.metrics().canceled;
        self.close();
        let (ctx, _cancel) = Context::with_timeout(&Context::background(), timeout);
        let drained = self.shared.running.wait_ctx(&ctx).is_ok();
        if !drained {
            self.abort();
            let (ctx, _cancel) = Context::with_timeout(&Context::background(), timeout);
            let _ = self.shared.running.wait_ctx(&ctx);
        }
        ShutdownReport {
            drained,
            canceled: self.metrics().canceled - before,
            workers_left: self.shared.live.load(Ordering::Acquire),
        }
    }

    /// Changes the number of workers. Growing starts workers at once; shrinking
    /// retires workers as they become free (busy ones finish their job first).
    ///
    /// # Errors
    /// [`BuildError::Workers`] for 0 or more than [`MAX_WORKERS`];
    /// [`BuildError::Spawn`] if a new worker could not start.
    pub fn resize(&self, n: usize) -> Result<(), BuildError> {
        if n == 0 || n > MAX_WORKERS {
            return Err(BuildError::Workers(n));
        }
        let current = *lock(&self.target);
        if n > current {
            self.grow(n - current)?;
        } else {
            let mut target = lock(&self.target);
            self.shared
                .retirements_due
                .fetch_add(current - n, Ordering::AcqRel);
            for _ in n..current {
                let _ = self.control.try_send(()); // wakes idle workers to retire
            }
            *target = n;
        }
        Ok(())
    }

    /// The number of workers asked for (running workers converge to it).
    pub fn workers(&self) -> usize {
        *lock(&self.target)
    }

    /// The number of jobs waiting in the queue.
    pub fn queued(&self) -> usize {
        self.jobs.len()
    }

    /// The number of jobs running now. Cheap, unlike [`metrics`](Self::metrics),
    /// which merges every worker's histograms.
    pub fn busy(&self) -> usize {
        self.shared.busy()
    }

    /// The jobs running now: which worker runs which job, and for how long
    /// it has run (retries and backoff included), in worker order. A
    /// snapshot: by the time it returns, a job in it may have ended.
    ///
    /// ```
    /// use brigade::{chan, Context, Pool};
    ///
    /// let (started, seen) = chan::bounded(0);
    /// let (release, wait) = chan::bounded::<()>(0);
    /// let pool = Pool::builder()
    ///     .workers(2)
    ///     .build(move |_: &(), _: &Context| {
    ///         started.send(()).unwrap();
    ///         wait.recv().ok();
    ///         Ok::<_, String>(())
    ///     })
    ///     .unwrap();
    /// let id = pool.submit(()).unwrap();
    /// seen.recv().unwrap(); // the job has started
    /// let running = pool.running();
    /// assert_eq!(running.len(), 1);
    /// assert_eq!(running[0].id, id);
    /// release.send(()).unwrap();
    /// ```
    pub fn running(&self) -> Vec<Running> {
        self.shared.running()
    }

    /// Time since the pool was built: the clock of [`Outcome::ended_at`].
    pub fn uptime(&self) -> Duration {
        self.shared.uptime()
    }

    /// The queue's capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// A snapshot of the pool's counters, gauges, time distributions and
    /// saturation.
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics(self.jobs.len(), self.capacity)
    }

    /// This pool's metrics as a `prometheus-client` collector, every name
    /// starting with `prefix` (e.g. `brigade_pool`): register it with
    /// `Registry::register_collector` and each scrape reads a fresh snapshot.
    /// The collector does not keep the pool open.
    #[cfg(feature = "prometheus")]
    pub fn collector(&self, prefix: &str) -> PoolCollector {
        let shared = self.shared.clone();
        let capacity = self.capacity;
        PoolCollector::new(prefix, move || shared.metrics(shared.jobs.len(), capacity))
    }
}

impl<J, O, E> Drop for Pool<J, O, E> {
    fn drop(&mut self) {
        // Graceful and non-blocking: queued jobs still run; workers exit when the
        // queue is drained.
        self.shared.closed.store(true, Ordering::Release);
        self.jobs.close();
    }
}

impl<J, O, E> fmt::Debug for Pool<J, O, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &*lock(&self.target))
            .field("queued", &self.jobs.len())
            .finish()
    }
}
