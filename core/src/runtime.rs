//! Where the crate runs: which threads may block, what time it is, and how
//! workers and timers are started.
//!
//! Native threads may always block. In the browser, the page's main thread must
//! never execute `memory.atomic.wait` (the browser traps and the shared instance is
//! poisoned), so on `wasm32` a thread may block only after its bootstrap has said so
//! with [`allow_blocking`]. Blocking calls made where blocking is not allowed return
//! a `WouldBlockOnMainThread` error instead of waiting; `try_*` and `async`
//! variants work everywhere.
//!
//! [`forbid_blocking`] lets native tests put a thread in the main thread's shoes.

use std::cell::Cell;
use std::fmt;

/// Monotonic time. `std::time::Instant` natively; in the browser it is built on
/// `performance.now()` (through `web-time`), because std's panics on `wasm32`.
#[cfg(not(target_arch = "wasm32"))]
pub use std::time::Instant;
/// Monotonic time. `std::time::Instant` natively; in the browser it is built on
/// `performance.now()` (through `web-time`), because std's panics on `wasm32`.
#[cfg(target_arch = "wasm32")]
pub use web_time::Instant;

pub use std::time::Duration;

/// The pool's clock for job times (read three times per job: at submission,
/// start and end). Natively the CPU's time-stamp counter through `quanta`,
/// calibrated against the OS clock (and the OS clock itself where the counter
/// is not invariant): a reading costs about half of an [`Instant`]'s. The
/// first reading in a process calibrates it, spinning until the estimate
/// settles (under a millisecond when the machine is quiet, up to 200 ms), so
/// only pools read it, first when one is built; channels use [`Instant`]. In
/// the browser, [`Instant`].
#[cfg(not(any(target_arch = "wasm32", miri)))]
pub(crate) use quanta::Instant as Stamp;
/// The pool's clock under Miri, which cannot run the time-stamp counter's
/// inline assembly: the OS clock.
#[cfg(all(miri, not(target_arch = "wasm32")))]
pub(crate) use std::time::Instant as Stamp;
/// The pool's clock for job times; see the native definition.
#[cfg(target_arch = "wasm32")]
pub(crate) use web_time::Instant as Stamp;

thread_local! {
    static BLOCKING: Cell<Option<bool>> = const { Cell::new(None) };
}

/// Whether the current thread may block (park, wait on a condition variable).
///
/// `true` on native threads unless [`forbid_blocking`] was called; on `wasm32`,
/// `false` unless [`allow_blocking`] was called (Web Worker bootstraps do).
pub fn can_block() -> bool {
    BLOCKING.with(|b| b.get().unwrap_or(cfg!(not(target_arch = "wasm32"))))
}

/// Declares that the current thread may block. Called by a Web Worker's bootstrap.
pub fn allow_blocking() {
    BLOCKING.with(|b| b.set(Some(true)));
}

/// Declares that the current thread must never block, as the browser's main thread.
/// Blocking calls made afterwards on this thread fail with `WouldBlockOnMainThread`.
pub fn forbid_blocking() {
    BLOCKING.with(|b| b.set(Some(false)));
}

/// A blocking call was made on a thread that must not block (the page's main
/// thread in the browser). Use the `try_*` or `async` variant there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WouldBlockOnMainThread;

impl fmt::Display for WouldBlockOnMainThread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "this call would block, and this thread must not block (the browser's main \
             thread traps on Atomics.wait); use the try_* or async variant",
        )
    }
}

impl std::error::Error for WouldBlockOnMainThread {}

/// Starts a helper thread that runs the given body to its end (it may block).
pub type ThreadStarter = fn(Box<dyn FnOnce() + Send + 'static>) -> std::io::Result<()>;

/// Installs how core starts its helper thread (the timer thread behind
/// `chan::after`, `chan::tick`, deadlines and job timeouts) where
/// `std::thread` cannot: `brigade-wasm` installs one that starts a Web Worker.
/// Natively, a `std::thread` is used when none is installed. Returns whether
/// this call installed it (the first call wins).
pub fn set_thread_starter(starter: ThreadStarter) -> bool {
    crate::timer::set_starter(starter)
}

/// Starts the timer thread now instead of at the first timer (in the browser,
/// call it from the page's main thread once the starter is installed).
pub fn start_timer_thread() {
    crate::timer::start_now();
}

/// Runs a future to completion on the current thread, parking the thread while
/// it is pending. For worker threads that drive async job handlers; never call
/// it where blocking is not allowed.
#[cfg(not(loom))]
pub(crate) fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }
    thread_local! {
        // One waker per thread: a worker drives one future at a time.
        static WAKER: Waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    }

    debug_assert!(can_block(), "block_on on a thread that must not block");
    let mut f = std::pin::pin!(f);
    WAKER.with(|waker| {
        let mut cx = Context::from_waker(waker);
        loop {
            if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    })
}

#[cfg(loom)]
pub(crate) use loom::future::block_on;
