//! The module's allocator: the system one (dlmalloc), with thread stacks
//! kept for the next thread.
//!
//! wasm-bindgen gives each new thread a stack of [`STACK_BYTES`] from this
//! allocator as it starts, and frees it through this allocator when the
//! thread is destroyed (`bootstrap::reap_worker` for a Web Worker that was
//! terminated). Freed to dlmalloc, a dead thread's stack is free memory
//! like any other: allocations of other threads split it before the next
//! thread asks for a whole one, the memory grows by another stack, and a
//! pool that loses or kills workers grows by hundreds of KiB per loss. Kept
//! here instead, in a few slots, the stack goes whole to the next thread
//! that starts. A slot is one atomic pointer: no lock, and nothing that
//! needs thread-local storage, which a starting thread does not have yet
//! when it allocates its stack.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The stack wasm-bindgen gives each thread (its default), and its alignment.
pub const STACK_BYTES: usize = 2 << 20;
const STACK_ALIGN: usize = 16;

/// How many freed stacks are kept for later threads; more are freed.
const SLOTS: usize = 8;

/// The global allocator of the module; see the module docs.
pub struct Allocator {
    kept: [AtomicPtr<u8>; SLOTS],
}

#[global_allocator]
static ALLOCATOR: Allocator = Allocator {
    kept: [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS],
};

/// Whether `layout` is a thread stack's (or anything else of that size and
/// alignment, which can take a kept stack as well).
fn is_stack(layout: Layout) -> bool {
    layout.size() == STACK_BYTES && layout.align() == STACK_ALIGN
}

impl Allocator {
    /// A kept stack, if there is one.
    fn take(&self) -> Option<*mut u8> {
        self.kept.iter().find_map(|slot| {
            let p = slot.swap(ptr::null_mut(), Ordering::AcqRel);
            (!p.is_null()).then_some(p)
        })
    }

    /// Keeps `p` if a slot is free; `false` if none is.
    fn keep(&self, p: *mut u8) -> bool {
        self.kept.iter().any(|slot| {
            slot.compare_exchange(ptr::null_mut(), p, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        })
    }
}

// SAFETY: every block handed out comes from `System` with the caller's
// layout, or is a kept block that `System` handed out with the same size and
// alignment (only stack-shaped layouts take or keep one); a block is in at
// most one slot, and `swap` gives it to one caller only.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if is_stack(layout) {
            if let Some(p) = self.take() {
                return p;
            }
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if is_stack(layout) {
            if let Some(p) = self.take() {
                // SAFETY: `p` is a live block of `layout.size()` bytes.
                unsafe { ptr::write_bytes(p, 0, layout.size()) };
                return p;
            }
        }
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        if is_stack(layout) && self.keep(p) {
            return;
        }
        // SAFETY: the caller's contract, passed on; kept blocks came from
        // `System` with this layout.
        unsafe { System.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on. A block of a stack's
        // shape on either side goes through `alloc` and `dealloc` above.
        unsafe {
            let new = Layout::from_size_align_unchecked(new_size, layout.align());
            if !is_stack(layout) && !is_stack(new) {
                return System.realloc(p, layout, new_size);
            }
            let q = self.alloc(new);
            if !q.is_null() {
                ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
                self.dealloc(p, layout);
            }
            q
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn a_freed_stack_goes_whole_to_the_next_one() {
        let stack = Layout::from_size_align(STACK_BYTES, STACK_ALIGN).unwrap();
        // SAFETY: nonzero layouts; each block is freed once, with its layout.
        unsafe {
            let a = std::alloc::alloc(stack);
            assert!(!a.is_null());
            a.write(7);
            std::alloc::dealloc(a, stack);
            // Small allocations in between do not take it.
            let small: Vec<Box<[u8; 64]>> = (0..1000).map(|_| Box::new([1; 64])).collect();
            let b = std::alloc::alloc(stack);
            assert_eq!(b, a, "the kept stack");
            let z = std::alloc::alloc_zeroed(stack);
            assert!((0..STACK_BYTES).step_by(4096).all(|i| *z.add(i) == 0));
            std::alloc::dealloc(z, stack);
            std::alloc::dealloc(b, stack);
            drop(small);
            // Other shapes pass through, and realloc keeps their bytes.
            let other = Layout::from_size_align(STACK_BYTES, 1).unwrap();
            let c = std::alloc::alloc(other);
            assert!(c != a && c != z);
            c.write(9);
            let d = std::alloc::realloc(c, other, 3 * STACK_BYTES);
            assert_eq!(d.read(), 9);
            std::alloc::dealloc(d, Layout::from_size_align(3 * STACK_BYTES, 1).unwrap());
        }
    }
}
