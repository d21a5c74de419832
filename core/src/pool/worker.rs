//! The worker loop and how workers are started.
//!
//! A worker takes the next task from the queue and serves it (`engine.rs`).
//! Between jobs it takes a pending retirement if there is one (that is how
//! `resize` shrinks the pool, letting busy workers finish their current job
//! first). While idle it waits on the queue and the pool's control channel at
//! once with `select!`; `resize` sends one message there per retirement so idle
//! workers wake up to take it. The blocking form serves native threads and Web
//! Workers started to block; the async form serves the other Web Workers, so
//! their event loop keeps running while they wait.
//! Serving a job is a future where it may wait (async handlers, rate-limit
//! waits, retry backoff); the blocking loop calls a blocking handler with no
//! such policy directly and parks its thread only while a future is pending.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::chan::{Receiver, Select, TryRecvError};
use crate::select;

use super::engine::{Shared, Slot, Task};

/// The type-erased loop of one worker.
pub(crate) trait Serve: Send {
    fn run(self: Box<Self>);
    fn run_async(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()>>>;
}

pub(crate) struct Body<J, O, E> {
    pub(crate) index: usize,
    pub(crate) shared: Arc<Shared<J, O, E>>,
    pub(crate) slot: Arc<Slot<J, O, E>>,
    pub(crate) control: Receiver<()>,
}

/// What an idle worker got.
enum Next<T> {
    /// A job to serve.
    Task(T),
    /// The queue is closed and drained.
    Stop,
    /// A message on the control channel: check for a pending retirement.
    Wake,
}

impl<J, O, E> Body<J, O, E>
where
    J: Send + 'static,
    O: Send + 'static,
    E: Send + 'static,
{
    fn next_now(&self) -> Option<Next<Task<J, O, E>>> {
        match self.shared.jobs.try_recv() {
            Ok(t) => Some(Next::Task(t)),
            Err(TryRecvError::Closed) => Some(Next::Stop),
            Err(_) => None,
        }
    }
}

impl<J, O, E> Serve for Body<J, O, E>
where
    J: Send + 'static,
    O: Send + 'static,
    E: Send + 'static,
{
    fn run(self: Box<Self>) {
        let mut reuse = None;
        loop {
            let next = self.next_now().unwrap_or_else(|| {
                self.shared.purge_canceled();
                select! {
                    recv(self.shared.jobs) -> t => t.map_or(Next::Stop, Next::Task),
                    recv(self.control) -> _ => Next::Wake,
                }
            });
            match next {
                Next::Task(task) => {
                    if !self
                        .shared
                        .serve_blocking(task, self.index, &self.slot, &mut reuse)
                    {
                        return; // lost: `Shared::lose` retired this worker
                    }
                }
                Next::Stop => break,
                Next::Wake => {}
            }
            if self.shared.take_retirement() {
                break;
            }
        }
        self.shared.worker_exit(&self.slot);
    }

    fn run_async(self: Box<Self>) -> Pin<Box<dyn Future<Output = ()>>> {
        Box::pin(async move {
            let mut reuse = None;
            loop {
                let next = match self.next_now() {
                    Some(n) => n,
                    None => {
                        self.shared.purge_canceled();
                        let mut sel = Select::new();
                        let job = sel.recv(&self.shared.jobs);
                        let _wake = sel.recv(&self.control);
                        let i = sel.wait_async().await;
                        if i == job.index() {
                            job.take().map_or(Next::Stop, Next::Task)
                        } else {
                            Next::Wake
                        }
                    }
                };
                match next {
                    Next::Task(task) => {
                        let serve = self.shared.serve(task, self.index, &self.slot, &mut reuse);
                        if !serve.await {
                            return; // lost: `Shared::lose` retired this worker
                        }
                    }
                    Next::Stop => break,
                    Next::Wake => {}
                }
                if self.shared.take_retirement() {
                    break;
                }
            }
            self.shared.worker_exit(&self.slot);
        })
    }
}

/// One worker of a pool, ready to be started on some thread.
pub struct Worker {
    index: usize,
    body: Box<dyn Serve>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("index", &self.index)
            .finish()
    }
}

impl Worker {
    pub(crate) fn new(index: usize, body: Box<dyn Serve>) -> Self {
        Worker { index, body }
    }

    /// The worker's index in its pool.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Serves jobs on the calling thread, blocking while the queue is empty,
    /// until the pool is closed and drained or the worker is retired.
    pub fn run(self) {
        self.body.run();
    }

    /// Serves jobs without blocking the thread while waiting for one: drains the
    /// queue while it has jobs and awaits the next otherwise. For Web Workers.
    pub fn run_async(self) -> impl Future<Output = ()> {
        self.body.run_async()
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

/// Starts each worker on a new native thread named `<prefix>-<index>`
/// (`brigade-worker-<index>` unless [`name`](Self::name) says otherwise),
/// with the standard library's stack size unless
/// [`stack_size`](Self::stack_size) says otherwise.
#[derive(Clone, Debug)]
pub struct ThreadSpawner {
    prefix: String,
    stack_size: Option<usize>,
}

impl Default for ThreadSpawner {
    fn default() -> Self {
        ThreadSpawner {
            prefix: "brigade-worker".into(),
            stack_size: None,
        }
    }
}

impl ThreadSpawner {
    /// Names the threads `<prefix>-<index>` (Linux shows the first 15 bytes).
    pub fn name(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Gives each thread a stack of `bytes`.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes);
        self
    }
}

impl Spawner for ThreadSpawner {
    fn spawn(&self, worker: Worker) -> std::io::Result<()> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            let mut b =
                std::thread::Builder::new().name(format!("{}-{}", self.prefix, worker.index));
            if let Some(bytes) = self.stack_size {
                b = b.stack_size(bytes);
            }
            b.spawn(move || worker.run()).map(drop)
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
