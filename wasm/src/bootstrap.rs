//! Starting Web Workers on the module's own memory: pool workers and core's
//! timer thread.
//!
//! [`spawn`] parks a task in a registry under a token and starts a Web Worker
//! (`js/worker.js`) with the compiled module, the shared memory and the token. The Web Worker instantiates the module on that memory and calls
//! [`__brigade_worker_main`], which takes its task out of the registry and runs
//! it to completion, then the Web Worker closes.
//!
//! Each Web Worker holds a Web Lock for its lifetime (`js/worker.js`); the
//! page's request for that lock is granted when the worker is gone, however
//! it ended. Then [`reap_worker`] frees the thread's stack and thread-local
//! storage if the thread did not free them itself (a worker terminated from
//! outside), and each pool hears of it (`PoolHandle::worker_gone`).
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
use std::sync::{Arc, OnceLock};
use std::task::{Context as TaskContext, Poll};

use brigade::pool::{Spawner, Worker};
use wasm_bindgen::prelude::*;
use wasm_sync::Mutex;

use crate::gate::{self, Gate};

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

    /// Terminates the Web Worker started with `token`, at once.
    #[wasm_bindgen(js_name = terminateWorker)]
    fn terminate_worker(token: u32);

    /// Resolves once the Web Worker started with `token` is gone.
    #[wasm_bindgen(js_name = workerGone)]
    fn worker_gone(token: u32) -> js_sys::Promise;

    /// Frees a gone thread's thread-local storage and stack (wasm-bindgen's
    /// `__wbindgen_thread_destroy` with that thread's addresses).
    #[wasm_bindgen(js_name = destroyThread)]
    fn destroy_thread(exports: &JsValue, tls: u32, stack: u32);
}

/// Terminates the Web Worker `token` from outside, with no regard for its
/// gate: for the test hook that plays a crash (`js/api/pool.js`).
#[wasm_bindgen(js_name = __brigadeTerminateWorker)]
pub fn terminate_worker_now(token: u32) {
    terminate_worker(token);
}

/// Resolves once the Web Worker `token` is gone (`js/worker.js`).
#[wasm_bindgen(js_name = __brigadeWorkerGone)]
pub fn when_worker_gone(token: u32) -> js_sys::Promise {
    worker_gone(token)
}

#[wasm_bindgen]
extern "C" {
    /// The URL of the wasm-bindgen glue module that loaded this one (its
    /// `import.meta.url`); see [`use_own_glue`].
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

/// What a Web Worker runs: built on the main thread, started on the worker.
pub type ThreadMain = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send + 'static>;

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

fn registry() -> &'static Mutex<HashMap<u32, ThreadMain>> {
    static REGISTRY: OnceLock<Mutex<HashMap<u32, ThreadMain>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

static NEXT_TOKEN: AtomicU32 = AtomicU32::new(1);

/// Where a Web Worker's stack and thread-local storage are (its
/// `__stack_alloc` and `__tls_base`), by token, from its start until it is
/// gone. A thread cannot free them itself: its allocator calls need them.
fn thread_memory() -> &'static Mutex<HashMap<u32, (u32, u32)>> {
    static MEMORY: OnceLock<Mutex<HashMap<u32, (u32, u32)>>> = OnceLock::new();
    MEMORY.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Frees what the gone Web Worker `token` held in the shared memory (its
/// stack, which the allocator keeps whole for the next thread: see
/// `stacks.rs`, and its thread-local storage); called on the page once the
/// worker is gone, however it ended. Returns the bytes freed, about.
/// Objects a terminated thread owned on the heap are not freed: nothing
/// knows them.
#[wasm_bindgen(js_name = reapWorker)]
pub fn reap_worker(token: u32) -> u32 {
    let held = lock(thread_memory()).remove(&token);
    match held {
        // Zero would mean "this thread's own" to wasm-bindgen: never here.
        Some((tls, stack)) if tls != 0 && stack != 0 => {
            destroy_thread(&wasm_bindgen::exports(), tls, stack);
            crate::stacks::STACK_BYTES as u32
        }
        _ => 0,
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `task` on a new Web Worker that shares this module's memory. The
/// worker may block (it is not the page's main thread) and closes when the
/// task's future completes.
///
/// # Errors
/// The browser refused to create the Web Worker.
pub fn spawn(name: &str, task: ThreadMain) -> std::io::Result<()> {
    spawn_as(NEXT_TOKEN.fetch_add(1, Ordering::Relaxed), name, task)
}

fn spawn_as(token: u32, name: &str, task: ThreadMain) -> std::io::Result<()> {
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

/// One pool worker's Web Worker, as its pool's [`Workers`] knows it.
#[derive(Debug)]
struct Entry {
    /// The pool's index of the worker.
    index: usize,
    gate: Arc<Gate>,
    /// The worker's loop ended (it retired, or the pool closed).
    exited: bool,
}

/// The Web Workers of one pool, by token: shared by its spawner, its
/// workers (which mark themselves exited) and its handle on the page.
///
/// A new worker does not start while a Web Worker of the pool that was
/// killed is not gone yet: its start waits in `deferred` until the page has
/// freed the killed thread's stack (`js/api/module.js` reaps before it calls
/// [`PoolHandle::worker_gone`](crate::api::PoolHandle)), which the
/// allocator keeps for the next thread (`stacks.rs`). The browser ends a
/// Web Worker that runs JavaScript up to 2 s after `terminate()`: started
/// at once, replacements of workers killed in a row each took a new stack
/// while the old ones were still held (the memory grew by hundreds of KiB
/// per kill), and competed with the dying workers for the cores.
#[derive(Default)]
pub struct Workers {
    entries: Mutex<HashMap<u32, Entry>>,
    deferred: Mutex<Vec<(u32, String, ThreadMain)>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("entries", &self.entries)
            .field("deferred", &lock(&self.deferred).len())
            .finish()
    }
}

impl Workers {
    /// Terminates the Web Worker of pool worker `index` if it is outside the
    /// module's code (see `gate.rs`): `true` if it was terminated.
    pub fn kill(&self, index: usize) -> bool {
        let token = lock(&self.entries)
            .iter()
            .find(|(_, e)| e.index == index && !e.exited)
            .filter(|(_, e)| e.gate.doom())
            .map(|(t, _)| *t);
        if let Some(t) = token {
            terminate_worker(t);
        }
        token.is_some()
    }

    /// The token of pool worker `index`'s Web Worker, if it still runs.
    pub fn token_of(&self, index: usize) -> Option<u32> {
        lock(&self.entries)
            .iter()
            .find(|(_, e)| e.index == index && !e.exited)
            .map(|(t, _)| *t)
    }

    /// Forgets the gone Web Worker `token`: `None` if it is not one of
    /// these; else the pool worker index it served if it died with its loop
    /// still running and was not killed (which [`kill`](Self::kill)'s
    /// caller reported already).
    pub fn gone(&self, token: u32) -> Option<Option<usize>> {
        let e = lock(&self.entries).remove(&token)?;
        Some((!e.exited && !e.gate.is_doomed()).then_some(e.index))
    }

    /// The hard limit of the job pool worker `index` runs now, if it has one.
    pub fn hard_ms(&self, index: usize) -> Option<f64> {
        lock(&self.entries)
            .values()
            .find(|e| e.index == index && !e.exited)
            .and_then(|e| e.gate.hard_ms())
    }

    /// The tokens of the Web Workers not yet gone.
    pub fn tokens(&self) -> Vec<u32> {
        lock(&self.entries).keys().copied().collect()
    }

    /// Whether a Web Worker the pool killed is not gone yet.
    fn killed_not_gone(entries: &HashMap<u32, Entry>) -> bool {
        entries.values().any(|e| e.gate.is_doomed())
    }

    /// Starts `task` on a new Web Worker, or defers it while a killed one
    /// is not gone (see the type's docs).
    fn start(&self, token: u32, name: String, task: ThreadMain) -> std::io::Result<()> {
        {
            let entries = lock(&self.entries);
            if Self::killed_not_gone(&entries) {
                lock(&self.deferred).push((token, name, task));
                return Ok(());
            }
        }
        spawn_as(token, &name, task)
    }

    /// Starts the deferred workers once no killed Web Worker is left; the
    /// page calls it after a gone one was reaped. Returns the pool worker
    /// indexes whose Web Worker the browser refused to start (forgotten
    /// here; the caller ends them as lost workers, which replaces them).
    pub fn start_deferred(&self) -> Vec<usize> {
        if Self::killed_not_gone(&lock(&self.entries)) {
            return Vec::new();
        }
        let starts = std::mem::take(&mut *lock(&self.deferred));
        starts
            .into_iter()
            .filter_map(|(token, name, task)| {
                spawn_as(token, &name, task).err()?;
                lock(&self.entries).remove(&token).map(|e| e.index)
            })
            .collect()
    }

    fn exited(&self, token: u32) {
        if let Some(e) = lock(&self.entries).get_mut(&token) {
            e.exited = true;
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
/// The spawner lists its Web Workers in [`Workers`], each with its gate.
#[derive(Clone, Debug, Default)]
pub struct WebWorkerSpawner {
    blocking: bool,
    workers: Arc<Workers>,
}

impl WebWorkerSpawner {
    /// Workers that block while idle; see the type's docs.
    pub fn blocking() -> Self {
        WebWorkerSpawner {
            blocking: true,
            workers: Arc::default(),
        }
    }

    /// The Web Workers this spawner started.
    pub fn workers(&self) -> Arc<Workers> {
        Arc::clone(&self.workers)
    }
}

/// A pool worker's loop, polled inside its gate (see `gate.rs`): the worker
/// is killable only between polls. Marks the worker exited when it ends.
struct Gated<F> {
    inner: Pin<Box<F>>,
    gate: Arc<Gate>,
    workers: Arc<Workers>,
    token: u32,
}

impl<F: Future<Output = ()>> Future for Gated<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let _inside = gate::poll_inside();
        let done = self.inner.as_mut().poll(cx);
        if done.is_ready() {
            self.workers.exited(self.token);
            gate::uninstall(&self.gate);
        }
        done
    }
}

impl Spawner for WebWorkerSpawner {
    fn spawn(&self, worker: Worker) -> std::io::Result<()> {
        let name = format!("brigade-worker-{}", worker.index());
        let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
        let gate = Arc::new(Gate::default());
        lock(&self.workers.entries).insert(
            token,
            Entry {
                index: worker.index(),
                gate: Arc::clone(&gate),
                exited: false,
            },
        );
        let workers = Arc::clone(&self.workers);
        let blocking = self.blocking;
        let task: ThreadMain = Box::new(move || {
            gate::install(&gate);
            let inner: Pin<Box<dyn Future<Output = ()>>> = if blocking {
                Box::pin(async move { worker.run() })
            } else {
                Box::pin(worker.run_async())
            };
            Box::pin(Gated {
                inner: Box::pin(inner),
                gate,
                workers,
                token,
            })
        });
        let started = self.workers.start(token, name, task);
        if started.is_err() {
            lock(&self.workers.entries).remove(&token);
        }
        started
    }
}

/// Entry point of a Web Worker started by [`spawn`]; not for apps.
/// `tls_base` and `stack_alloc` are where its thread-local storage and stack
/// are, for [`reap_worker`].
#[wasm_bindgen]
pub async fn __brigade_worker_main(
    token: u32,
    tls_base: u32,
    stack_alloc: u32,
) -> Result<(), JsValue> {
    brigade::runtime::allow_blocking();
    lock(thread_memory()).insert(token, (tls_base, stack_alloc));
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

/// An allocation the shared memory cannot hold panics instead of aborting:
/// in a job it ends the job (a `PanicError`) and the pool keeps serving;
/// an abort would trap, which ends the module for every thread.
fn out_of_memory(layout: std::alloc::Layout) {
    panic!(
        "out of memory: an allocation of {} bytes does not fit in the shared WebAssembly memory",
        layout.size()
    );
}

/// Lets `core` start its helper thread (the timer thread behind timeouts,
/// deadlines and `chan::after`) as a Web Worker, and starts it, and makes
/// running out of memory a panic ([`out_of_memory`]). Call it on the page's
/// main thread; later calls do nothing.
pub fn install_runtime() {
    if brigade::runtime::set_thread_starter(start_thread) {
        std::alloc::set_alloc_error_hook(out_of_memory);
        // Here, on the main thread, before any worker could race it.
        brigade::runtime::start_timer_thread();
    }
}
