//! One place that decides which synchronization primitives the crate uses.
//!
//! - under `--cfg loom`, the model checker's versions, so `loom` explores every
//!   interleaving of the engine code (tokio's `src/loom` shim is the model);
//! - on `wasm32`, `wasm_sync`'s `Mutex`/`Condvar`, which spin instead of executing
//!   `memory.atomic.wait` on the page's main thread (where the browser traps) and
//!   wait normally on Web Workers;
//! - everywhere else, the standard library's (except for the channel state's
//!   lock, which is `parking_lot`'s natively: `chan/flavors/locked.rs` says why).
//!
//! Poisoning is ignored on purpose: every critical section in the engine leaves its
//! state consistent before it can panic (it only moves values between queues), and a
//! panicking job must never wedge the channels other jobs use.

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Arc, Condvar, Mutex, MutexGuard,
};

#[cfg(all(not(loom), target_arch = "wasm32"))]
pub(crate) use std::sync::MutexGuard;
#[cfg(all(not(loom), target_arch = "wasm32"))]
pub(crate) use wasm_sync::{Condvar, Mutex};

/// The standard library's `OnceLock` everywhere. It waits only when another
/// thread is initialising the same cell at that moment; the one process-wide
/// cell the browser's main thread touches (the timer service) is initialised
/// there first, before any worker can race it. `wasm_sync::OnceLock::set` was
/// seen to spin forever on the main thread in Chromium 156.
#[cfg(target_arch = "wasm32")]
pub(crate) use std::sync::OnceLock;

#[cfg(all(not(loom), not(target_arch = "wasm32")))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

/// Process-wide lazily initialised statics (the timer service) are not part of
/// any loom model; they use the standard library's.
#[cfg(loom)]
pub(crate) use std::sync::OnceLock;

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering},
    Arc,
};

/// A cell written and read by one thread at a time, as loom's: under loom it
/// checks that no two accesses overlap; elsewhere it is the standard library's.
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

#[cfg(not(loom))]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(v: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(v))
    }

    /// Runs `f` with a pointer to the contents.
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Locks `m`, ignoring poisoning (see the module docs for why that is sound here).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}
