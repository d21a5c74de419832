//! The timer service behind `chan::after`, `chan::tick` and context deadlines.
//!
//! Natively, one lazily started thread keeps an ordered map of deadlines and
//! sleeps on a condition variable until the earliest (Go's runtime keeps per-P
//! heaps for the same job). Timers can be cancelled (a job that finishes before
//! its timeout drops its timer at once), so the map is ordered by
//! `(deadline, sequence)` and removal is `O(log n)`. In the browser, core cannot
//! start threads, so the `brigade-wasm` crate installs a driver built on
//! `setTimeout` with [`set_timer_driver`](crate::runtime::set_timer_driver).
//!
//! # Invariants
//! Each scheduled callback runs at most once (exactly once unless cancelled),
//! outside the service's lock, at or after its deadline.

use crate::runtime::Instant;

/// A callback run when a timer fires.
pub(crate) type Task = Box<dyn FnOnce() + Send + 'static>;

pub(crate) use crate::runtime::TimerDriver as Driver;

static DRIVER: std::sync::OnceLock<Driver> = std::sync::OnceLock::new();

/// Installs `driver` as the way timers are run; the first call wins.
pub(crate) fn set_driver(driver: Driver) -> bool {
    DRIVER.set(driver).is_ok()
}

/// A scheduled timer, for [`cancel`]. Timers run by an installed driver cannot
/// be cancelled; their tasks must tolerate running late and uselessly.
#[derive(Debug)]
pub(crate) struct Key(Option<(Instant, u64)>);

/// Runs `task` at `at` (or soon after).
pub(crate) fn schedule(at: Instant, task: Task) -> Key {
    if let Some(driver) = DRIVER.get() {
        driver(at.saturating_duration_since(Instant::now()), task);
        return Key(None);
    }
    #[cfg(not(target_arch = "wasm32"))]
    return native::schedule(at, task);
    #[cfg(target_arch = "wasm32")]
    panic!("brigade: no timer driver installed; brigade-wasm installs one when the module starts");
}

/// Drops a timer that has not fired yet, so its task and memory go now.
pub(crate) fn cancel(key: Key) {
    #[cfg(not(target_arch = "wasm32"))]
    if let Key(Some(k)) = key {
        native::cancel(k);
    }
    #[cfg(target_arch = "wasm32")]
    let _ = key.0;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::collections::BTreeMap;
    use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};

    use super::{Instant, Key, Task};

    #[derive(Default)]
    struct Timers {
        entries: BTreeMap<(Instant, u64), Task>,
        seq: u64,
    }

    struct Service {
        timers: Mutex<Timers>,
        cv: Condvar,
    }

    fn service() -> &'static Service {
        static SERVICE: OnceLock<&'static Service> = OnceLock::new();
        SERVICE.get_or_init(|| {
            let s: &'static Service = Box::leak(Box::new(Service {
                timers: Mutex::default(),
                cv: Condvar::new(),
            }));
            std::thread::Builder::new()
                .name("brigade-timer".into())
                .spawn(move || run(s))
                .expect("brigade: could not start the timer thread");
            s
        })
    }

    fn lock(s: &Service) -> MutexGuard<'_, Timers> {
        s.timers.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn schedule(at: Instant, task: Task) -> Key {
        let s = service();
        let mut t = lock(s);
        t.seq += 1;
        let key = (at, t.seq);
        let earliest = t.entries.keys().next().is_none_or(|&first| key < first);
        t.entries.insert(key, task);
        if earliest {
            s.cv.notify_one();
        }
        Key(Some(key))
    }

    pub(super) fn cancel(key: (Instant, u64)) {
        let task = lock(service()).entries.remove(&key);
        drop(task); // outside the lock: the task may own channels
    }

    fn run(s: &'static Service) {
        let mut t = lock(s);
        loop {
            let now = Instant::now();
            match t.entries.first_key_value().map(|(&k, _)| k) {
                Some(key) if key.0 <= now => {
                    let task = t.entries.remove(&key).expect("just seen");
                    drop(t);
                    task();
                    t = lock(s);
                }
                Some(key) => {
                    t =
                        s.cv.wait_timeout(t, key.0 - now)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                }
                None => t = s.cv.wait(t).unwrap_or_else(|e| e.into_inner()),
            }
        }
    }
}
