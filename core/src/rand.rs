//! Cheap per-thread randomness for select's poll order and backoff jitter.
//!
//! `fastrand`'s generator, seeded per thread from a global counter mixed with the
//! clock, so no entropy source is needed (there is none on `wasm32` without JS).

use std::cell::Cell;

use crate::loom::{AtomicU64, Ordering};

#[cfg(not(loom))]
static SEEDS: AtomicU64 = AtomicU64::new(0x2545_f491_4f6c_dd1d);

fn next_seed() -> u64 {
    #[cfg(loom)]
    {
        // Deterministic under the model checker.
        let _ = AtomicU64::new(0).load(Ordering::Relaxed);
        0x9e37_79b9_7f4a_7c15
    }
    #[cfg(not(loom))]
    {
        let n = SEEDS.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        let t = crate::runtime::Instant::now().elapsed().as_nanos() as u64;
        n ^ t.rotate_left(17)
    }
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
pub(crate) fn shuffle<T>(v: &mut [T]) {
    with_rng(|r| r.shuffle(v));
}

/// A uniform value in `0..=max`.
#[allow(dead_code)]
pub(crate) fn below_or_eq(max: u64) -> u64 {
    with_rng(|r| r.u64(0..=max))
}
