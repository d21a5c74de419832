//! What a pool's metrics cost in memory: the heap a worker adds (its slot
//! and the two time histograms it records into), and what one `metrics()`
//! snapshot allocates once the pool has taken one. Counted by a global
//! allocator, so this file holds one test: nothing else runs beside it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};

use brigade::{Context, Pool};

struct Counting;

/// Bytes allocated and not freed, and bytes allocated in all.
static LIVE: AtomicIsize = AtomicIsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to the system allocator, whose
// contract is the same; the counters only watch.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's guarantees for `layout`, passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout` (alloc or realloc above).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        ALLOCATED.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: as `dealloc`, and the caller's guarantees for `new_size`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The most heap one worker may add: its two histograms at two significant
/// figures over 1 µs–1 h, its slot and its thread's bookkeeping.
const MOST_PER_WORKER: isize = 96 * 1024;
/// The most one snapshot may allocate once the pool has taken one: the
/// `Metrics` it returns (two bucket lists and the saturation series).
const MOST_PER_SNAPSHOT: usize = 8 * 1024;

fn pool(workers: usize) -> Pool<u32, u32, ()> {
    Pool::builder()
        .workers(workers)
        .queue(16)
        .build(|n: &u32, _: &Context| Ok(*n))
        .expect("a valid pool")
}

fn live_after(workers: usize) -> (isize, Pool<u32, u32, ()>) {
    let before = LIVE.load(Ordering::SeqCst);
    let p = pool(workers);
    // Every worker has taken a job, so its thread is up and its slot used.
    for n in 0..workers as u32 * 4 {
        p.submit(n).expect("the pool is open");
        p.results().recv().expect("an outcome");
    }
    (LIVE.load(Ordering::SeqCst) - before, p)
}

#[test]
fn metrics_memory_per_worker_and_per_snapshot() {
    const MORE: usize = 32;
    let (one, small) = live_after(1);
    let (many, big) = live_after(1 + MORE);
    let per_worker = (many - one) / MORE as isize;
    println!("heap per worker: {per_worker} bytes");
    assert!(
        per_worker < MOST_PER_WORKER,
        "a worker adds {per_worker} bytes of heap, more than {MOST_PER_WORKER}"
    );

    drop(big.metrics()); // the first snapshot makes the record it merges into
    let before = ALLOCATED.load(Ordering::SeqCst);
    const SNAPSHOTS: usize = 10;
    for _ in 0..SNAPSHOTS {
        let m = big.metrics();
        assert_eq!(m.workers, 1 + MORE);
    }
    let per_snapshot = (ALLOCATED.load(Ordering::SeqCst) - before) / SNAPSHOTS;
    println!("allocated per metrics() call: {per_snapshot} bytes");
    assert!(
        per_snapshot < MOST_PER_SNAPSHOT,
        "a snapshot allocates {per_snapshot} bytes, more than {MOST_PER_SNAPSHOT}"
    );
    drop(small);
}
