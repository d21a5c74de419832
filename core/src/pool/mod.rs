//! A pool of workers ranging over a bounded job queue, as in Go's classic
//! "workers read `jobs`, write `results`" pattern.
//!
//! ```
//! use brigade::Pool;
//!
//! let pool = Pool::builder()
//!     .workers(2)
//!     .queue(4)
//!     .build(|n: u64, _ctx: &brigade::Context| Ok::<_, String>(n * n))
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
//! Workers are started through a [`Spawner`]: native threads by default; the
//! browser binding supplies Web Workers, which drive [`Worker::run_async`] so they
//! never block their event loop while waiting for work.

mod worker;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::chan::{self, Receiver, SendError, Sender, TrySendError};
use crate::runtime::{Duration, Instant};
use crate::Context;

pub use worker::{Spawner, ThreadSpawner, Worker};

/// Identifies one submitted job; unique within its pool, increasing from 1.
pub type JobId = u64;

/// Why a job did not produce a value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure<E> {
    /// The handler returned this error.
    Error(E),
    /// The handler panicked with this message; the pool kept serving.
    Panicked(String),
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "job failed: {e}"),
            Failure::Panicked(m) => write!(f, "job panicked: {m}"),
        }
    }
}

/// What happened to one job: exactly one per accepted job.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome<O, E> {
    /// The id [`Pool::submit`] returned.
    pub id: JobId,
    /// The handler's value, or why there is none.
    pub result: Result<O, Failure<E>>,
    /// Index of the worker that ran it.
    pub worker: usize,
    /// Time from submission to the start of the run.
    pub queued_for: Duration,
    /// Time the handler ran.
    pub ran_for: Duration,
}

/// `build()` refused the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// `workers(0)`, or more than [`MAX_WORKERS`].
    Workers(usize),
    /// A queue larger than [`MAX_QUEUE`].
    Queue(usize),
    /// The spawner could not start a worker.
    Spawn(String),
}

/// The most workers a pool accepts.
pub const MAX_WORKERS: usize = 4096;
/// The largest queue a pool accepts.
pub const MAX_QUEUE: usize = 1 << 24;

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Workers(n) => {
                write!(f, "workers must be between 1 and {MAX_WORKERS}, got {n}")
            }
            BuildError::Queue(n) => write!(f, "queue must be at most {MAX_QUEUE}, got {n}"),
            BuildError::Spawn(e) => write!(f, "could not start a worker: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

pub(crate) struct Task<J> {
    id: JobId,
    job: J,
    submitted: Instant,
}

/// Configures a [`Pool`]; see [`Pool::builder`].
pub struct Builder {
    workers: usize,
    queue: usize,
    spawner: Option<Arc<dyn Spawner>>,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("workers", &self.workers)
            .field("queue", &self.queue)
            .finish()
    }
}

impl Builder {
    /// The number of workers (default: the machine's parallelism).
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// The queue's capacity (default 2 × workers); 0 makes submission a
    /// rendezvous with a free worker.
    pub fn queue(mut self, cap: usize) -> Self {
        self.queue = cap;
        self
    }

    /// How workers are started (default: one native thread each).
    pub fn spawner(mut self, spawner: impl Spawner) -> Self {
        self.spawner = Some(Arc::new(spawner));
        self
    }

    /// Starts the workers.
    ///
    /// # Errors
    /// [`BuildError`] naming the bad parameter, or the spawner's failure.
    pub fn build<J, O, E, H>(self, handler: H) -> Result<Pool<J, O, E>, BuildError>
    where
        J: Send + 'static,
        O: Send + 'static,
        E: Send + 'static,
        H: Fn(J, &Context) -> Result<O, E> + Send + Sync + 'static,
    {
        if self.workers == 0 || self.workers > MAX_WORKERS {
            return Err(BuildError::Workers(self.workers));
        }
        if self.queue > MAX_QUEUE {
            return Err(BuildError::Queue(self.queue));
        }
        let (jobs_tx, jobs_rx) = chan::bounded(self.queue);
        let (results_tx, results_rx) = chan::unbounded();
        let ctx = Context::background();
        let body = worker::Body::shared(jobs_rx, results_tx, handler, ctx);
        let spawner = self.spawner.unwrap_or_else(|| Arc::new(ThreadSpawner));
        for index in 0..self.workers {
            spawner
                .spawn(Worker::new(index, body.clone()))
                .map_err(|e| BuildError::Spawn(e.to_string()))?;
        }
        Ok(Pool {
            jobs: jobs_tx,
            results: results_rx,
            next_id: AtomicU64::new(1),
            workers: self.workers,
        })
    }
}

/// A fixed set of workers serving a bounded queue of jobs of type `J`, each
/// producing an [`Outcome`] with an `O` or an `E`.
pub struct Pool<J, O, E> {
    jobs: Sender<Task<J>>,
    results: Receiver<Outcome<O, E>>,
    next_id: AtomicU64,
    workers: usize,
}

impl Pool<(), (), ()> {
    /// Starts configuring a pool.
    pub fn builder() -> Builder {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Builder {
            workers,
            queue: 2 * workers,
            spawner: None,
        }
    }
}

impl<J, O, E> Pool<J, O, E> {
    fn task(&self, job: J) -> Task<J> {
        Task {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            job,
            submitted: Instant::now(),
        }
    }

    /// Queues `job`, waiting while the queue is full; returns its id.
    ///
    /// # Errors
    /// [`SendError::Closed`] after [`close`](Self::close), or
    /// `WouldBlockOnMainThread` where the thread must not wait; both return the job.
    pub fn submit(&self, job: J) -> Result<JobId, SendError<J>> {
        let t = self.task(job);
        let id = t.id;
        self.jobs.send(t).map(|()| id).map_err(|e| match e {
            SendError::Closed(t) => SendError::Closed(t.job),
            SendError::WouldBlockOnMainThread(t) => SendError::WouldBlockOnMainThread(t.job),
        })
    }

    /// Queues `job` if there is room now.
    ///
    /// # Errors
    /// [`TrySendError::Full`] or [`TrySendError::Closed`], each returning the job.
    pub fn try_submit(&self, job: J) -> Result<JobId, TrySendError<J>> {
        let t = self.task(job);
        let id = t.id;
        self.jobs.try_send(t).map(|()| id).map_err(|e| match e {
            TrySendError::Full(t) => TrySendError::Full(t.job),
            TrySendError::Closed(t) => TrySendError::Closed(t.job),
        })
    }

    /// Queues `job`, waiting asynchronously for room.
    ///
    /// # Errors
    /// [`SendError::Closed`] after [`close`](Self::close), returning the job.
    pub async fn submit_async(&self, job: J) -> Result<JobId, SendError<J>> {
        let t = self.task(job);
        let id = t.id;
        match self.jobs.send_async(t).await {
            Ok(()) => Ok(id),
            Err(e) => Err(SendError::Closed(e.into_inner().job)),
        }
    }

    /// The outcomes, in completion order. The channel closes after the last
    /// outcome once the pool is closed.
    pub fn results(&self) -> &Receiver<Outcome<O, E>> {
        &self.results
    }

    /// Stops intake; queued jobs still run. Returns whether this call closed it.
    pub fn close(&self) -> bool {
        self.jobs.close()
    }

    /// The number of jobs waiting in the queue.
    pub fn queued(&self) -> usize {
        self.jobs.len()
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.workers
    }
}

impl<J, O, E> Drop for Pool<J, O, E> {
    fn drop(&mut self) {
        // Graceful: queued jobs still run; workers exit when the queue is drained.
        self.jobs.close();
    }
}

impl<J, O, E> fmt::Debug for Pool<J, O, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("workers", &self.workers)
            .field("queued", &self.queued())
            .finish()
    }
}
