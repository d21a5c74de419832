//! The timer service behind `chan::after`, `chan::tick`, context deadlines and
//! job timeouts.
//!
//! One helper thread keeps an ordered map of deadlines and sleeps on a
//! condition variable until the earliest (Go's runtime keeps per-P heaps for
//! the same job). Timers can be canceled (a job that finishes before its
//! timeout drops its timer at once), so the map is ordered by
//! `(deadline, sequence)` and removal is `O(log n)`.
//!
//! The thread is a native thread, or, in the browser, a Web Worker that
//! `brigade-wasm` starts through [`set_thread_starter`](crate::runtime::set_thread_starter).
//! It must be a thread of its own: a timer driven by `setTimeout` on the thread
//! that asked for it would never fire while that thread is blocked running the
//! very job it should time out.
//!
//! # Invariants
//! Each scheduled callback runs at most once (exactly once unless canceled),
//! on the timer thread, outside the service's lock, at or after its deadline.

use std::collections::BTreeMap;

use crate::loom::{lock, Condvar, Mutex, OnceLock};
use crate::runtime::{Instant, ThreadStarter};

/// A callback run when a timer fires.
pub(crate) type Task = Box<dyn FnOnce() + Send + 'static>;

static STARTER: OnceLock<ThreadStarter> = OnceLock::new();

/// Installs how the timer thread is started; the first call wins.
pub(crate) fn set_starter(starter: ThreadStarter) -> bool {
    STARTER.set(starter).is_ok()
}

/// A scheduled timer, for [`cancel`].
#[derive(Debug)]
#[cfg_attr(test, derive(Clone))]
pub(crate) struct Key((Instant, u64));

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
            timers: Mutex::new(Timers::default()),
            cv: Condvar::new(),
        }));
        start(Box::new(move || run(s)));
        s
    })
}

fn start(body: Task) {
    if let Some(starter) = STARTER.get() {
        starter(body).expect("brigade: could not start the timer thread");
        return;
    }
    #[cfg(not(target_arch = "wasm32"))]
    std::thread::Builder::new()
        .name("brigade-timer".into())
        .spawn(body)
        .expect("brigade: could not start the timer thread");
    #[cfg(target_arch = "wasm32")]
    panic!("brigade: no thread starter installed for the timer; brigade-wasm installs one when a pool starts");
}

/// Starts the timer thread now rather than at the first timer.
pub(crate) fn start_now() {
    let _ = service();
}

/// Runs `task` at `at` (or soon after) on the timer thread.
pub(crate) fn schedule(at: Instant, task: Task) -> Key {
    let s = service();
    let mut t = lock(&s.timers);
    t.seq += 1;
    let key = (at, t.seq);
    let earliest = t.entries.keys().next().is_none_or(|&first| key < first);
    t.entries.insert(key, task);
    if earliest {
        s.cv.notify_one();
    }
    Key(key)
}

/// Whether the timer of `key` is still waiting to fire.
#[cfg(test)]
pub(crate) fn is_scheduled(key: &Key) -> bool {
    lock(&service().timers).entries.contains_key(&key.0)
}

/// Drops a timer that has not fired yet, so its task and memory go now.
pub(crate) fn cancel(key: Key) {
    let task = lock(&service().timers).entries.remove(&key.0);
    drop(task); // outside the lock: the task may own channels
}

fn run(s: &'static Service) {
    crate::runtime::allow_blocking();
    let mut t = lock(&s.timers);
    loop {
        let now = Instant::now();
        match t.entries.first_key_value().map(|(&k, _)| k) {
            Some(key) if key.0 <= now => {
                let task = t.entries.remove(&key).expect("just seen");
                drop(t);
                task();
                t = lock(&s.timers);
            }
            Some(key) => {
                t = match s.cv.wait_timeout(t, key.0 - now) {
                    Ok((g, _)) => g,
                    Err(e) => e.into_inner().0,
                };
            }
            None => {
                t = match s.cv.wait(t) {
                    Ok(g) => g,
                    Err(e) => e.into_inner(),
                };
            }
        }
    }
}
