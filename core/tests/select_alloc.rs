//! `select!` keeps its cases on the caller's stack: when a case is ready, it
//! allocates nothing. A counting allocator checks it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use brigade::{chan, select};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract for `alloc` is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn select_with_a_ready_case_or_a_default_allocates_nothing() {
    let (a_tx, a_rx) = chan::bounded::<u64>(4);
    let (b_tx, b_rx) = chan::bounded::<u64>(4);
    let (c_tx, _c_rx) = chan::bounded::<u64>(4);
    a_tx.send(1).unwrap();
    b_tx.send(2).unwrap();
    let mut got = 0;
    let n = allocations_in(|| {
        for _ in 0..2 {
            got += select! {
                recv(a_rx) -> v => v.unwrap(),
                recv(b_rx) -> v => v.unwrap(),
            };
        }
        select! {
            send(c_tx, 3) -> r => r.unwrap(),
            recv(a_rx) -> _ => unreachable!("a is empty"),
        }
        select! {
            recv(a_rx) -> _ => unreachable!("a is empty"),
            default => {},
        }
    });
    assert_eq!(got, 3);
    assert_eq!(n, 0, "select! allocated {n} times with a case ready");
}
