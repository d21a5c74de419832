//! The timer service behind `chan::after`, `chan::tick` and context deadlines.
//!
//! Natively, one lazily started thread keeps a min-heap of deadlines and sleeps
//! on a condition variable until the earliest (the classic single-thread timer
//! wheel's simplest form; Go's runtime keeps per-P heaps for the same job). In the
//! browser, core cannot start threads, so the `brigade-wasm` crate installs a
//! driver built on `setTimeout` with [`set_driver`](crate::runtime::set_timer_driver).
//!
//! # Invariants
//! Each scheduled callback runs exactly once, outside the service's lock, at or
//! after its deadline.

use crate::runtime::Instant;

/// A callback run when a timer fires.
pub(crate) type Task = Box<dyn FnOnce() + Send + 'static>;

pub(crate) use crate::runtime::TimerDriver as Driver;

static DRIVER: std::sync::OnceLock<Driver> = std::sync::OnceLock::new();

/// Installs `driver` as the way timers are run; the first call wins.
pub(crate) fn set_driver(driver: Driver) -> bool {
    DRIVER.set(driver).is_ok()
}

/// Runs `task` at `at` (or soon after).
pub(crate) fn schedule(at: Instant, task: Task) {
    if let Some(driver) = DRIVER.get() {
        driver(at.saturating_duration_since(Instant::now()), task);
        return;
    }
    #[cfg(not(target_arch = "wasm32"))]
    native::schedule(at, task);
    #[cfg(target_arch = "wasm32")]
    panic!("brigade: no timer driver installed; brigade-wasm installs one when the module starts");
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::sync::{Condvar, Mutex, OnceLock};

    use super::{Instant, Task};

    struct Entry {
        at: Instant,
        seq: u64,
        task: Task,
    }

    impl PartialEq for Entry {
        fn eq(&self, o: &Self) -> bool {
            (self.at, self.seq) == (o.at, o.seq)
        }
    }
    impl Eq for Entry {}
    impl PartialOrd for Entry {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Entry {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            (self.at, self.seq).cmp(&(o.at, o.seq))
        }
    }

    #[derive(Default)]
    struct Heap {
        entries: BinaryHeap<Reverse<Entry>>,
        seq: u64,
    }

    struct Service {
        heap: Mutex<Heap>,
        cv: Condvar,
    }

    fn service() -> &'static Service {
        static SERVICE: OnceLock<&'static Service> = OnceLock::new();
        SERVICE.get_or_init(|| {
            let s: &'static Service = Box::leak(Box::new(Service {
                heap: Mutex::default(),
                cv: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("brigade-timer".into())
                .spawn(move || run(s))
                .expect("brigade: could not start the timer thread");
            s
        })
    }

    pub(super) fn schedule(at: Instant, task: Task) {
        let s = service();
        let mut h = s.heap.lock().unwrap_or_else(|e| e.into_inner());
        h.seq += 1;
        let seq = h.seq;
        let earliest = h.entries.peek().is_none_or(|Reverse(e)| at < e.at);
        h.entries.push(Reverse(Entry { at, seq, task }));
        if earliest {
            s.cv.notify_one();
        }
    }

    fn run(s: &'static Service) {
        let mut h = s.heap.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let now = Instant::now();
            match h.entries.peek() {
                Some(Reverse(e)) if e.at <= now => {
                    let Reverse(e) = h.entries.pop().expect("peeked");
                    drop(h);
                    (e.task)();
                    h = s.heap.lock().unwrap_or_else(|e| e.into_inner());
                }
                Some(Reverse(e)) => {
                    let wait = e.at - now;
                    h =
                        s.cv.wait_timeout(h, wait)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                }
                None => h = s.cv.wait(h).unwrap_or_else(|e| e.into_inner()),
            }
        }
    }
}
