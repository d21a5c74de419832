//! Cheap per-thread randomness for select's poll order and backoff jitter.
//!
//! `fastrand`'s generator, one per thread, seeded from the OS (`getrandom`;
//! `crypto.getRandomValues` in the browser): two processes, or two page
//! loads, started at the same instant draw different jitter, so a fleet
//! retrying one failure does not retry in lock-step.

use std::cell::Cell;

/// A random `u64` from the OS, or `None` if it refused. Public for the
/// browser tests, which check that `crypto.getRandomValues` works on the
/// shared memory of this build.
#[doc(hidden)]
pub fn os_random_u64() -> Option<u64> {
    getrandom::u64().ok()
}

#[cfg(not(loom))]
fn next_seed() -> u64 {
    // Should the OS refuse (it does not on any target brigade supports), a
    // per-process counter mixed with the wall clock still differs between
    // threads and, but for the same nanosecond, between processes.
    os_random_u64().unwrap_or_else(|| {
        use std::sync::atomic::{AtomicU64, Ordering};
        static SEEDS: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);
        let n = SEEDS.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        #[cfg(not(target_arch = "wasm32"))]
        use std::time::{SystemTime, UNIX_EPOCH};
        #[cfg(target_arch = "wasm32")]
        use web_time::{SystemTime, UNIX_EPOCH};
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        n ^ t.rotate_left(17)
    })
}

/// Deterministic under the model checker, which must replay executions exactly.
#[cfg(loom)]
fn next_seed() -> u64 {
    0x9e37_79b9_7f4a_7c15
}

thread_local! {
    static SEED: Cell<u64> = Cell::new(next_seed());
}

fn with_rng<R>(f: impl FnOnce(&mut fastrand::Rng) -> R) -> R {
    SEED.with(|s| {
        let mut rng = fastrand::Rng::with_seed(s.get());
        let r = f(&mut rng);
        s.set(rng.get_seed());
        r
    })
}

/// Shuffles `v` uniformly.
#[cfg(not(loom))]
pub(crate) fn shuffle<T>(v: &mut [T]) {
    with_rng(|r| r.shuffle(v));
}

/// Under the model checker every execution must replay exactly, and the
/// generator's state would carry over between executions on the same OS thread:
/// keep the order fixed there (loom explores the interleavings; fairness is
/// tested natively).
#[cfg(loom)]
pub(crate) fn shuffle<T>(_v: &mut [T]) {}

/// A uniform value in `0..=max`.
pub(crate) fn below_or_eq(max: u64) -> u64 {
    with_rng(|r| r.u64(0..=max))
}
