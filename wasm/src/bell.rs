//! What wakes the page's results loop: a counter in shared memory. Whoever
//! has something for the page (a worker whose job's outcome completes the
//! page's wait, a handler reporting progress) bumps it and notifies it, and
//! the page awaits `Atomics.waitAsync` on it (`js/api/pool.js`). That is one
//! promise per sleep and no executor in between, the same path as a bare
//! shared-memory echo.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;
use std::task::Wake;

/// The page's results bell; see the module docs.
#[derive(Debug, Default)]
pub struct Bell(AtomicI32);

impl Bell {
    /// Rings the bell: the page's loop, if it waits, wakes.
    pub fn ring(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        #[cfg(target_arch = "wasm32")]
        // SAFETY: the address is that of a live `AtomicI32` (`self` is borrowed).
        unsafe {
            core::arch::wasm32::memory_atomic_notify(self.0.as_ptr(), u32::MAX);
        }
    }

    /// The counter's address in the module's memory, for the page's view.
    pub fn as_ptr(&self) -> *mut i32 {
        self.0.as_ptr()
    }
}

impl Wake for Bell {
    fn wake(self: Arc<Self>) {
        self.ring();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ring();
    }
}
