//! When a pool worker's Web Worker may be terminated: the gate between the
//! worker's JavaScript and the module's shared state.
//!
//! Terminating a Web Worker stops it wherever it is. If it is inside the
//! module holding a lock of the shared memory (the allocator's, a channel's,
//! the pool's), that lock is never released and every other thread that
//! takes it waits for ever. So a worker is terminated only through its gate,
//! and only while it is *killable*: not inside any code that takes a shared
//! lock.
//!
//! The gate is one word in shared memory with three states:
//! - `INSIDE`: the worker runs the pool's code (its loop, a job's Rust part)
//!   or reports progress. Not killable.
//! - `KILLABLE`: the worker is outside that code: between polls of its loop,
//!   running a JavaScript handler or waiting in its event loop.
//! - `DOOMED`: the page has claimed the right to terminate it.
//!
//! The worker moves `KILLABLE → INSIDE` with a compare-and-swap before it
//! enters guarded code ([`poll_inside`] around every poll of the worker's
//! loop, where all of the pool's code runs, and [`enter`] for a progress
//! report, which the handler's JavaScript makes), and stores `KILLABLE`
//! when it leaves. The page moves `KILLABLE → DOOMED` with a compare-and-swap
//! ([`Gate::doom`]) and only then terminates the Web Worker. The two
//! compare-and-swaps on one word decide: either the page dooms the worker
//! while it is outside (and the worker, if it runs on for a moment before
//! the browser stops it, parks for ever at the next gate instead of entering),
//! or the worker got inside first and the page tries again later. A handler
//! stuck in a JavaScript loop is outside, so it can always be terminated;
//! a Rust kernel runs inside, and is stopped through its context instead.
//!
//! Not gated: the async executor's own bookkeeping when a promise the
//! worker awaits settles, which runs between polls and may allocate. The
//! allocator is not gated because it runs before a new thread's
//! thread-local storage exists, where the gate could not be looked up; a
//! kill landing inside such an allocation would leave the allocator's lock
//! held.
//!
//! # Memory ordering
//! Every access to the word is `SeqCst` on one location, so its
//! modification order is the only order that matters: the compare-and-swaps
//! cannot both succeed from `KILLABLE`.

use std::cell::Cell;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicI32, AtomicU64};
use std::sync::Arc;

const INSIDE: i32 = 0;
const KILLABLE: i32 = 1;
const DOOMED: i32 = 2;

/// One pool worker's gate; see the module docs. It also carries the hard
/// limit of the job the worker's handler runs now, for the page's
/// supervisor.
#[derive(Debug, Default)]
pub struct Gate(AtomicI32, AtomicU64);

impl Gate {
    /// Claims the worker for termination: `true` if it was outside the
    /// module's code, and then it never enters it again.
    pub fn doom(&self) -> bool {
        self.0
            .compare_exchange(KILLABLE, DOOMED, SeqCst, SeqCst)
            .is_ok()
    }

    /// The hard limit in ms of the job whose handler runs now, if it has one.
    pub fn hard_ms(&self) -> Option<f64> {
        Some(f64::from_bits(self.1.load(Relaxed))).filter(|&ms| ms > 0.0)
    }

    /// Whether [`doom`](Self::doom) succeeded.
    pub fn is_doomed(&self) -> bool {
        self.0.load(SeqCst) == DOOMED
    }

    /// Moves to `INSIDE`; `false` if already inside. Parks for ever if doomed.
    fn go_inside(&self) -> bool {
        match self.0.compare_exchange(KILLABLE, INSIDE, SeqCst, SeqCst) {
            Ok(_) => true,
            Err(INSIDE) => false,
            Err(_) => park_forever(&self.0),
        }
    }

    fn go_outside(&self) {
        self.0.store(KILLABLE, SeqCst);
    }
}

/// A doomed worker waits here until the browser stops it.
fn park_forever(word: &AtomicI32) -> ! {
    loop {
        #[cfg(target_arch = "wasm32")]
        // SAFETY: `word` is a live, aligned i32 in the shared memory; the
        // wait only reads it.
        unsafe {
            core::arch::wasm32::memory_atomic_wait32(word.as_ptr(), DOOMED, -1);
        }
        #[cfg(not(target_arch = "wasm32"))]
        std::thread::park();
        let _ = word;
    }
}

thread_local! {
    /// The gate of the pool worker on this thread; null elsewhere (the
    /// page, the timer thread, rayon's threads).
    static CURRENT: Cell<*const Gate> = const { Cell::new(std::ptr::null()) };
}

/// Makes `gate` this thread's gate; the thread starts inside. The caller
/// keeps the gate alive until [`uninstall`].
pub fn install(gate: &Arc<Gate>) {
    CURRENT.with(|c| c.set(Arc::as_ptr(gate)));
}

/// This thread is no longer a pool worker: its loop ended.
pub fn uninstall(gate: &Arc<Gate>) {
    CURRENT.with(|c| {
        if c.get() == Arc::as_ptr(gate) {
            c.set(std::ptr::null());
        }
    });
}

/// The current thread's gate, if it is a pool worker's.
fn current() -> Option<&'static Gate> {
    // SAFETY: an installed gate is kept alive until `uninstall`, and the
    // guards made from it end within the poll or call that made them.
    CURRENT
        .try_with(|c| unsafe { c.get().as_ref() })
        .ok()
        .flatten()
}

/// Inside the gate until dropped (see [`enter`]).
pub struct Guard(Option<&'static Gate>);

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(g) = self.0 {
            g.go_outside();
        }
    }
}

/// Goes inside this thread's gate for as long as the guard lives: before
/// taking any lock of the shared memory from code a killable worker may run
/// (a progress report). Nested calls are free.
pub fn enter() -> Guard {
    Guard(current().filter(|g| g.go_inside()))
}

/// Inside for one poll of the worker's loop; outside again after it, so
/// the worker is killable while its loop is not running (a JavaScript
/// handler, the event loop).
pub fn poll_inside() -> Guard {
    match current() {
        Some(g) => {
            g.go_inside();
            Guard(Some(g))
        }
        None => Guard(None),
    }
}

/// Publishes `hard_ms` as the hard limit of the job on this thread's gate,
/// until the returned guard drops (when the handler's call ends).
pub fn arm(hard_ms: f64) -> Disarm {
    let gate = current();
    if let Some(g) = gate {
        g.1.store(hard_ms.to_bits(), Relaxed);
    }
    Disarm(gate)
}

/// Clears the hard limit [`arm`] published.
pub struct Disarm(Option<&'static Gate>);

impl Drop for Disarm {
    fn drop(&mut self) {
        if let Some(g) = self.0 {
            g.1.store(0, Relaxed);
        }
    }
}
