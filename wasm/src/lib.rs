//! brigade's worker pool in the browser: Web Workers that share one WebAssembly
//! memory serve a job queue that lives in that memory.
//!
//! This crate is a thin binding layer over `brigade` (the `core` crate): it
//! starts Web Workers ([`bootstrap`]), converts jobs and results between
//! JavaScript and Rust ([`api`]), implements the built-in job kinds
//! ([`kinds`]; the job and fault types they share are in [`job`]), calls
//! JavaScript handler modules on the workers ([`handlers`]),
//! and offers kernels a rayon pool on Web Workers of its own ([`parallel`]).
//! The queue, the workers' loop and every policy are `core`'s: the pool is
//! built with `core`'s async handler path, so a worker awaits a JavaScript
//! handler's promise without blocking its event loop.
//!
//! # Cross-origin isolation
//! A shared `WebAssembly.Memory` is a `SharedArrayBuffer`, which browsers only
//! allow on cross-origin isolated pages: the page must be served with
//! `Cross-Origin-Opener-Policy: same-origin` and
//! `Cross-Origin-Embedder-Policy: require-corp`. Without them the module cannot
//! even be instantiated, so the JavaScript entry point checks
//! `crossOriginIsolated` first and `Pool.create` rejects with a
//! `NotIsolatedError` that says which headers to send.
//!
//! ## Static hosts
//! Where the host cannot set headers (GitHub Pages), the npm package ships a
//! service worker, `sw.js`, that answers the page's same-origin requests with
//! those headers (and `Cross-Origin-Resource-Policy: same-origin`) added, and
//! `isolate.js`, whose `ensureIsolated()` registers it and reloads the page once:
//!
//! ```js
//! import { ensureIsolated } from 'brigade-wasm/isolate.js';
//! await ensureIsolated(); // sw.js must sit next to the page
//! ```
//!
//! On a page that is already isolated it does nothing. The cost is one reload on
//! the first visit, and every cross-origin subresource must then be served with
//! CORS or `Cross-Origin-Resource-Policy: cross-origin`. Without service workers
//! (or if the reload did not isolate the page), `Pool.create` still rejects with
//! `NotIsolatedError`. The playground (`web/`) uses both.
//!
//! # The main thread never blocks
//! The page's main thread only uses `try_*` and `async` operations of `core`;
//! a future waiting for a result or for room in the queue is woken through
//! `Atomics.waitAsync` (wasm-bindgen-futures does this when built with atomics).
//! The page's results loop skips the executor: its wait's waker notifies a
//! counter in shared memory that the page awaits with `Atomics.waitAsync`
//! directly (`PoolHandle::poll_results`).
//!
//! # Panics in jobs
//! The module is built to unwind (wasm exception handling), so `core` catches
//! a panicking job and it ends as a `PanicError` result. The panic hook runs
//! first, on the Web Worker where the job panicked: a hook installed with
//! `std::panic::set_hook` must be safe to call from any thread. One that is
//! not (wasm-bindgen-test's keeps the running test's output behind a plain
//! static; `tests/threads.rs` keeps it to the main thread) can panic in turn,
//! a panic inside a panic aborts, and a trap on any thread ends the instance
//! for all of them (wasm-bindgen then answers every call with "Module
//! terminated").

// `memory_atomic_notify` for that waker, and the allocation error hook
// (`bootstrap::install_runtime`); the wasm build uses the pinned nightly.
#![cfg_attr(
    target_arch = "wasm32",
    feature(stdarch_wasm_atomic_wait, alloc_error_hook)
)]

#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
compile_error!(
    "brigade-wasm needs the `atomics` target feature (shared memory for Web Workers): \
     build it from inside `wasm/`, where .cargo/config.toml sets \
     `-C target-feature=+atomics,+bulk-memory,+mutable-globals,+exception-handling`"
);

#[cfg(target_arch = "wasm32")]
pub mod api;
pub mod bell;
#[cfg(target_arch = "wasm32")]
pub mod bootstrap;
pub mod data;
pub mod gate;
#[cfg(target_arch = "wasm32")]
pub mod group;
#[cfg(target_arch = "wasm32")]
pub mod handlers;
pub mod job;
pub mod kinds;
pub mod options;
pub mod parallel;
pub mod progress;
#[cfg(target_arch = "wasm32")]
pub mod stacks;
