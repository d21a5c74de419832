//! Pools of closures: each job is a closure run once, as `rayon::spawn` and
//! the `Submit` of Go's pond and ants take them. A [`ClosurePool`] is a
//! [`Pool`] like any other (queue, backpressure, timeouts, cancellation,
//! panic containment, metrics); its outcomes are discarded unless the
//! closure was given to [`Pool::run`], whose handle waits for it.

use std::convert::Infallible;
use std::fmt;
#[cfg(not(target_arch = "wasm32"))]
use std::{sync::OnceLock, time::Duration};

#[cfg(not(target_arch = "wasm32"))]
use crate::chan::SendTimeoutError;
use crate::chan::{SendError, TrySendError};
use crate::loom::{lock, Mutex};
use crate::Context;

use super::{BuildError, Builder, JobHandle, JobId, Pool};

/// One closure on its way to a worker. It runs once: should the pool start
/// its job again (it never retries an `Infallible` error), the second start
/// finds it gone and does nothing.
pub struct Closure(Mutex<Option<Task>>);

type Task = Box<dyn FnOnce(&Context) + Send>;

impl Closure {
    /// Wraps `f`; it gets the job's context (canceled by `Pool::cancel`,
    /// a timeout or the pool's abort).
    pub fn new(f: impl FnOnce(&Context) + Send + 'static) -> Self {
        Closure(Mutex::new(Some(Box::new(f))))
    }

    /// Runs the closure on this thread, with a context that is never done.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn run_now(self) {
        self.run(&Context::background());
    }

    fn run(&self, ctx: &Context) {
        let f = lock(&self.0).take();
        if let Some(f) = f {
            f(ctx);
        }
    }
}

impl fmt::Debug for Closure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Closure")
    }
}

/// A pool whose jobs are closures; see the module docs.
///
/// ```
/// use brigade::Pool;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
///
/// let pool = Pool::builder().workers(2).build_closures().unwrap();
/// let done = Arc::new(AtomicUsize::new(0));
/// for _ in 0..100 {
///     let done = done.clone();
///     pool.spawn(move |_ctx| {
///         done.fetch_add(1, Ordering::Relaxed);
///     })
///     .unwrap();
/// }
/// pool.close();
/// pool.join().unwrap();
/// assert_eq!(done.load(Ordering::Relaxed), 100);
/// ```
pub type ClosurePool = Pool<Closure, (), Infallible>;

impl Builder<Infallible> {
    /// Starts a [`ClosurePool`]: its outcomes are discarded
    /// ([`discard_outcomes`](Self::discard_outcomes)), a closure's panic is
    /// contained and counted in the metrics.
    ///
    /// # Errors
    /// [`BuildError`] naming the bad parameter, or the spawner's failure.
    pub fn build_closures(self) -> Result<ClosurePool, BuildError> {
        self.discard_outcomes().build(|c: &Closure, ctx: &Context| {
            c.run(ctx);
            Ok(())
        })
    }
}

impl Pool<Closure, (), Infallible> {
    /// Queues `f`, waiting while the queue is full.
    ///
    /// # Errors
    /// As [`Pool::submit`]; the error holds the closure, not run.
    pub fn spawn(
        &self,
        f: impl FnOnce(&Context) + Send + 'static,
    ) -> Result<JobId, SendError<Closure>> {
        self.submit(Closure::new(f))
    }

    /// Queues `f` if there is room now.
    ///
    /// # Errors
    /// As [`Pool::try_submit`]; the error holds the closure, not run.
    pub fn try_spawn(
        &self,
        f: impl FnOnce(&Context) + Send + 'static,
    ) -> Result<JobId, TrySendError<Closure>> {
        self.try_submit(Closure::new(f))
    }

    /// Queues `f` and returns a handle that waits for its outcome.
    ///
    /// # Errors
    /// As [`Pool::run`]; the error holds the closure, not run.
    pub fn spawn_with_handle(
        &self,
        f: impl FnOnce(&Context) + Send + 'static,
    ) -> Result<JobHandle<Closure, (), Infallible>, SendError<Closure>> {
        self.run(Closure::new(f))
    }
}

/// How long a closure waits for a free worker of the shared pool before the
/// pool grows by one.
#[cfg(not(target_arch = "wasm32"))]
const GROW_AFTER: Duration = Duration::from_millis(1);
/// The most workers the shared pool grows to; beyond, closures wait for one.
#[cfg(not(target_arch = "wasm32"))]
const MAX_SHARED_WORKERS: usize = 256;

/// The pool that `Group`, `WaitGroup::go` and `Context::after_func` run
/// closures on unless given one: a worker per core to start with, and a
/// hand-off queue, so a closure goes only to a worker that is free.
#[cfg(not(target_arch = "wasm32"))]
fn shared() -> &'static ClosurePool {
    static POOL: OnceLock<ClosurePool> = OnceLock::new();
    POOL.get_or_init(|| {
        Pool::builder()
            .queue(0)
            .build_closures()
            .expect("the shared closure pool starts")
    })
}

/// Runs `task` on the shared pool, growing it by a worker when the task has
/// waited [`GROW_AFTER`] for a free one (up to [`MAX_SHARED_WORKERS`]):
/// closures that wait on one another each get a worker, as Go gives each a
/// goroutine, while many short ones reuse a few threads. The workers stay.
///
/// # Errors
/// Where there is no shared pool (`wasm32`: its threads are Web Workers,
/// which only the page can start), or this thread may not wait for a worker.
pub(crate) fn spawn_shared(task: Closure) -> Result<(), String> {
    #[cfg(target_arch = "wasm32")]
    {
        drop(task);
        Err("there is no shared pool in the browser: give one whose workers are Web Workers".into())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let pool = shared();
        let task = match pool.submit_timeout(task, GROW_AFTER) {
            Ok(_) => return Ok(()),
            Err(SendTimeoutError::Timeout(task)) => task,
            Err(e) => return Err(e.to_string()),
        };
        let workers = pool.workers();
        if workers < MAX_SHARED_WORKERS {
            // Two callers may grow it at once: one worker more is no harm.
            let _ = pool.resize(workers + 1);
        }
        pool.submit(task).map(drop).map_err(|e| e.to_string())
    }
}
