//! The worker loop and how workers are started.
//!
//! A worker takes a job from the queue, runs the handler under `catch_unwind`,
//! and sends exactly one [`Outcome`] per job. The blocking form serves native
//! threads; the async form serves Web Workers: it drains the queue without
//! waiting while jobs are there and otherwise awaits the next one, so the
//! worker's event loop stays free.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;

use crate::chan::{Receiver, Sender};
use crate::runtime::Instant;
use crate::Context;

use super::{Failure, Outcome, Task};

/// The type-erased loop shared by all workers of one pool.
pub(crate) trait Serve: Send + Sync {
    fn run(&self, index: usize);
    fn run_async(self: Arc<Self>, index: usize) -> Pin<Box<dyn Future<Output = ()>>>;
}

pub(crate) struct Body<J, O, E, H> {
    jobs: Receiver<Task<J>>,
    results: Sender<Outcome<O, E>>,
    handler: H,
    ctx: Context,
}

impl<J, O, E, H> Body<J, O, E, H>
where
    J: Send + 'static,
    O: Send + 'static,
    E: Send + 'static,
    H: Fn(J, &Context) -> Result<O, E> + Send + Sync + 'static,
{
    pub(crate) fn shared(
        jobs: Receiver<Task<J>>,
        results: Sender<Outcome<O, E>>,
        handler: H,
        ctx: Context,
    ) -> Arc<dyn Serve> {
        Arc::new(Body {
            jobs,
            results,
            handler,
            ctx,
        })
    }

    fn serve(&self, task: Task<J>, index: usize) {
        let started = Instant::now();
        let r = catch_unwind(AssertUnwindSafe(|| (self.handler)(task.job, &self.ctx)));
        let result = match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(Failure::Error(e)),
            Err(payload) => Err(Failure::Panicked(panic_message(payload.as_ref()))),
        };
        let outcome = Outcome {
            id: task.id,
            result,
            worker: index,
            queued_for: started - task.submitted,
            ran_for: started.elapsed(),
        };
        // Unbounded: never waits. Fails only if every results receiver is gone,
        // and then no one is left to tell.
        let _ = self.results.try_send(outcome);
    }
}

impl<J, O, E, H> Serve for Body<J, O, E, H>
where
    J: Send + 'static,
    O: Send + 'static,
    E: Send + 'static,
    H: Fn(J, &Context) -> Result<O, E> + Send + Sync + 'static,
{
    fn run(&self, index: usize) {
        while let Ok(task) = self.jobs.recv() {
            self.serve(task, index);
        }
    }

    fn run_async(self: Arc<Self>, index: usize) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            while let Ok(task) = self.jobs.recv_async().await {
                self.serve(task, index);
            }
        })
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// One worker of a pool, ready to be started on some thread.
pub struct Worker {
    index: usize,
    body: Arc<dyn Serve>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("index", &self.index)
            .finish()
    }
}

impl Worker {
    pub(crate) fn new(index: usize, body: Arc<dyn Serve>) -> Self {
        Worker { index, body }
    }

    /// The worker's index in its pool.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Serves jobs on the calling thread, blocking while the queue is empty, until
    /// the pool is closed and drained.
    pub fn run(self) {
        self.body.run(self.index);
    }

    /// Serves jobs without ever blocking the thread: drains the queue while it has
    /// jobs and awaits the next one otherwise. For Web Workers.
    pub fn run_async(self) -> impl Future<Output = ()> {
        self.body.run_async(self.index)
    }
}

/// Starts workers. Implemented for native threads by [`ThreadSpawner`]; the
/// browser binding implements it with Web Workers.
pub trait Spawner: Send + Sync + 'static {
    /// Starts `worker` on a thread of its own.
    ///
    /// # Errors
    /// Whatever kept the thread from starting.
    fn spawn(&self, worker: Worker) -> std::io::Result<()>;
}

/// Starts each worker on a new native thread named `brigade-worker-<index>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadSpawner;

impl Spawner for ThreadSpawner {
    fn spawn(&self, worker: Worker) -> std::io::Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            std::thread::Builder::new()
                .name(format!("brigade-worker-{}", worker.index))
                .spawn(move || worker.run())
                .map(drop)
        }
        #[cfg(target_arch = "wasm32")]
        {
            drop(worker);
            Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "no threads on wasm32 without a Web Worker spawner (brigade-wasm provides one)",
            ))
        }
    }
}
