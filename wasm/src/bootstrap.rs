//! Starting Web Workers on the module's own memory: pool workers and core's
//! timer thread.
//!
//! [`spawn`] parks a task in a registry under a token and starts a Web Worker
//! (`js/worker.js`) with the compiled module, the shared memory and the token. The Web Worker instantiates the module on that memory and calls
//! [`__brigade_worker_main`], which takes its task out of the registry and runs
//! it to completion, then the Web Worker closes.
//!
//! `core`'s pool starts its workers through [`WebWorkerSpawner`]. Its task is
//! `Worker::run_async` where jobs need the Web Worker's event loop (timers,
//! `fetch`, async JavaScript handlers): the loop drains the queue without
//! waiting and otherwise awaits the next job. Pools of built-in kinds only use
//! `Worker::run`, which waits in `Atomics.wait` and wakes sooner.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use brigade::pool::{Spawner, Worker};
use wasm_bindgen::prelude::*;
use wasm_sync::Mutex;

#[wasm_bindgen(module = "/js/worker.js")]
extern "C" {
    #[wasm_bindgen(js_name = startWorker, catch)]
    fn start_worker(
        module: &JsValue,
        memory: &JsValue,
        glue: &str,
        token: u32,
        name: &str,
    ) -> Result<web_sys::Worker, JsValue>;

}

#[wasm_bindgen]
extern "C" {
    /// The URL of the wasm-bindgen glue module that loaded this one (its
    /// `import.meta.url`); see [`use_own_glue`].
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

/// What a Web Worker runs: built on the main thread, started on the worker.
pub type Task = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send + 'static>;

/// The glue URL workers import, if not the package's own `brigade_wasm.js`.
static OWN_GLUE: OnceLock<String> = OnceLock::new();

/// Makes Web Workers import the glue that loaded this module (its
/// `import.meta.url`) instead of the package's `brigade_wasm.js`. For programs
/// that load the module under glue of their own, such as a `wasm-bindgen-test`
/// binary; the npm package and bundled apps need not call it. Call it on the
/// page's main thread before starting a pool.
pub fn use_own_glue() {
    OWN_GLUE.get_or_init(|| GLUE_URL.with(String::clone));
}

fn registry() -> &'static Mutex<HashMap<u32, Task>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u32, Task>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT_TOKEN: AtomicU32 = AtomicU32::new(1);

/// Runs `task` on a new Web Worker that shares this module's memory. The
/// worker may block (it is not the page's main thread) and closes when the
/// task's future completes.
///
/// # Errors
/// The browser refused to create the Web Worker.
pub fn spawn(name: &str, task: Task) -> std::io::Result<()> {
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(token, task);
    let glue = OWN_GLUE.get().map_or("", String::as_str);
    match start_worker(
        &wasm_bindgen::module(),
        &wasm_bindgen::memory(),
        glue,
        token,
        name,
    ) {
        Ok(_) => Ok(()),
        Err(e) => {
            registry()
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&token);
            Err(std::io::Error::other(format!("new Worker failed: {e:?}")))
        }
    }
}

/// Starts each pool worker on a new Web Worker sharing this module's memory.
///
/// By default a worker awaits its next job ([`Worker::run_async`]), so the Web
/// Worker's event loop keeps running: JavaScript handlers, their timers and
/// `fetch` need it. [`WebWorkerSpawner::blocking`] makes idle workers wait in
/// `Atomics.wait` instead ([`Worker::run`]), which wakes them several times
/// faster; for pools whose jobs never need the event loop (the built-in kinds).
#[derive(Clone, Copy, Debug, Default)]
pub struct WebWorkerSpawner {
    blocking: bool,
}

impl WebWorkerSpawner {
    /// Workers that block while idle; see the type's docs.
    pub fn blocking() -> Self {
        WebWorkerSpawner { blocking: true }
    }
}

impl Spawner for WebWorkerSpawner {
    fn spawn(&self, worker: Worker) -> std::io::Result<()> {
        let name = format!("brigade-worker-{}", worker.index());
        if self.blocking {
            spawn(
                &name,
                Box::new(move || Box::pin(async move { worker.run() })),
            )
        } else {
            spawn(&name, Box::new(move || Box::pin(worker.run_async())))
        }
    }
}

/// Entry point of a Web Worker started by [`WebWorkerSpawner`]; not for apps.
#[wasm_bindgen]
pub async fn __brigade_worker_main(token: u32) -> Result<(), JsValue> {
    brigade::runtime::allow_blocking();
    let task = registry()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&token)
        .ok_or_else(|| JsValue::from_str("brigade: unknown worker token"))?;
    // The pool's loop contains panics per job (catch_unwind in core); nothing
    // here is left half-updated if one escaped.
    std::panic::AssertUnwindSafe(task()).await;
    Ok(())
}

fn start_thread(body: Box<dyn FnOnce() + Send + 'static>) -> std::io::Result<()> {
    spawn(
        "brigade-timer",
        Box::new(move || Box::pin(async move { body() })),
    )
}

/// Lets `core` start its helper thread (the timer thread behind timeouts,
/// deadlines and `chan::after`) as a Web Worker, and starts it. Call it on the
/// page's main thread; later calls do nothing.
pub fn install_runtime() {
    if brigade::runtime::set_thread_starter(start_thread) {
        // Here, on the main thread, before any worker could race it.
        brigade::runtime::start_timer_thread();
    }
}
