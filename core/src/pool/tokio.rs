//! Async handlers on tokio (feature `tokio`): workers that run inside a
//! tokio runtime, so a handler's future can use tokio's sockets and timers.
//!
//! A brigade worker awaits its handler's future itself, on its own thread;
//! tokio's I/O and timers need that thread to be inside a runtime (to
//! register with its reactor) and the runtime's own threads to drive the
//! reactor, which wakes the worker. So: a multi-threaded runtime, and
//! workers that enter it. Handlers that only compute need none of this.

use ::tokio::runtime::Handle;

use super::{Spawner, Worker};

/// Starts each worker on a thread named `brigade-worker-<index>` that has
/// entered the runtime of `handle` (a multi-threaded one, whose threads
/// drive the reactor).
///
/// ```
/// use brigade::pool::TokioSpawner;
/// use brigade::{Context, Pool};
/// use std::time::Duration;
///
/// let rt = tokio::runtime::Builder::new_multi_thread()
///     .worker_threads(1)
///     .enable_all()
///     .build()
///     .unwrap();
/// let pool = Pool::builder()
///     .workers(2)
///     .spawner(TokioSpawner::new(rt.handle().clone()))
///     .build_async(|ms: &u64, _: &Context| {
///         let ms = *ms;
///         async move {
///             tokio::time::sleep(Duration::from_millis(ms)).await;
///             Ok::<_, ()>(ms)
///         }
///     })
///     .unwrap();
/// assert_eq!(pool.run(5).unwrap().wait().unwrap().result, Ok(5));
/// ```
#[derive(Clone, Debug)]
pub struct TokioSpawner {
    handle: Handle,
}

impl TokioSpawner {
    /// Workers that enter the runtime of `handle`.
    pub fn new(handle: Handle) -> Self {
        TokioSpawner { handle }
    }
}

impl Spawner for TokioSpawner {
    fn spawn(&self, worker: Worker) -> std::io::Result<()> {
        let handle = self.handle.clone();
        std::thread::Builder::new()
            .name(format!("brigade-worker-{}", worker.index()))
            .spawn(move || {
                let _inside = handle.enter();
                worker.run();
            })
            .map(drop)
    }
}
