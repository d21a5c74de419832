//! Model checking of `WaitGroup` with loom.
#![cfg(loom)]

use std::sync::atomic::{AtomicUsize, Ordering};

use brigade::WaitGroup;
use loom::thread;

#[test]
fn wait_returns_after_the_other_thread_is_done() {
    loom::model(|| {
        let wg = WaitGroup::new();
        wg.add(1);
        let w = wg.clone();
        let h = thread::spawn(move || w.done());
        wg.wait().unwrap();
        assert_eq!(wg.count(), 0);
        h.join().unwrap();
    });
}

#[test]
fn wait_returns_only_after_every_done() {
    loom::model(|| {
        let wg = WaitGroup::new();
        let done = loom::sync::Arc::new(AtomicUsize::new(0));
        wg.add(2);
        let hs: Vec<_> = (0..2)
            .map(|_| {
                let (wg, done) = (wg.clone(), done.clone());
                thread::spawn(move || {
                    done.fetch_add(1, Ordering::SeqCst);
                    wg.done();
                })
            })
            .collect();
        wg.wait().unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 2);
        hs.into_iter().for_each(|h| h.join().unwrap());
    });
}
