//! rayon inside one job: a rayon thread pool whose threads are Web Workers on
//! this module's memory, for kernels that split one job across cores (the
//! `mandelbrot` kind renders its rows with it).
//!
//! It is opt-in (`Pool.create({ rayonThreads })`): its threads are Web Workers
//! of their own, started once per page and shared by every pool. Kernels call
//! [`pool`] and fall back to one thread when there is none. A kernel blocks its
//! pool worker while rayon runs (a Web Worker may block); rayon itself is built
//! with `web_spin_lock`, so starting it from the page's main thread never
//! executes `Atomics.wait`.

use std::sync::OnceLock;

static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();

/// The rayon pool, once [`start`] has run.
pub fn pool() -> Option<&'static rayon::ThreadPool> {
    POOL.get()
}

/// Starts the rayon pool with `threads` Web Workers; later calls do nothing
/// (the first one sets the size). Call it on the page's main thread.
///
/// # Errors
/// A worker could not be started.
#[cfg(target_arch = "wasm32")]
pub fn start(threads: usize) -> Result<(), String> {
    if POOL.get().is_some() {
        return Ok(());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("brigade-rayon-{i}"))
        .spawn_handler(|thread| {
            let name = thread.name().unwrap_or("brigade-rayon").to_owned();
            crate::bootstrap::spawn(
                &name,
                Box::new(move || Box::pin(async move { thread.run() })),
            )
        })
        .build()
        .map_err(|e| format!("the rayon pool did not start: {e}"))?;
    let _ = POOL.set(pool);
    Ok(())
}
