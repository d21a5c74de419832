//! Channels in shared memory under contention between the page's main thread
//! (non-blocking and async operations only) and two Web Workers.
#![cfg(target_arch = "wasm32")]

use brigade::chan::{self, RecvError, TrySendError};
use brigade_wasm::bootstrap::spawn;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const N: usize = 100_000;

#[wasm_bindgen_test]
async fn main_thread_and_two_workers_pass_100k_messages_without_loss() {
    // The way back on the lock-free ring, then on the lock-free list.
    echo_100k(chan::bounded(64)).await;
    echo_100k(chan::unbounded()).await;
}

/// Sends [`N`] messages from the main thread to two workers through a
/// buffered channel, and takes them back through `back`.
async fn echo_100k((back_tx, back_rx): (chan::Sender<u32>, chan::Receiver<u32>)) {
    // Workers import this test binary's glue, not the package's.
    brigade_wasm::bootstrap::use_own_glue();
    let (jobs_tx, jobs_rx) = chan::bounded::<u32>(64);
    for w in 0..2 {
        let (rx, tx) = (jobs_rx.clone(), back_tx.clone());
        spawn(
            &format!("echo-{w}"),
            Box::new(move || {
                Box::pin(async move {
                    if w == 0 {
                        // Blocking calls: allowed on a Web Worker (Atomics.wait).
                        while let Ok(v) = rx.recv() {
                            tx.send(v).unwrap();
                        }
                    } else {
                        while let Ok(v) = rx.recv_async().await {
                            tx.send_async(v).await.unwrap();
                        }
                    }
                })
            }),
        )
        .unwrap();
    }
    drop((jobs_rx, back_tx));

    let mut seen = vec![false; N];
    let (mut next, mut got) = (0usize, 0usize);
    let mut record = |v: u32| {
        let v = v as usize;
        assert!(!seen[v], "message {v} received twice");
        seen[v] = true;
    };
    while got < N {
        while next < N {
            match jobs_tx.try_send(next as u32) {
                Ok(()) => next += 1,
                Err(TrySendError::Full(_)) => break,
                Err(e) => panic!("{e}"),
            }
        }
        if next == N {
            jobs_tx.close();
        }
        record(back_rx.recv_async().await.unwrap());
        got += 1;
        while let Ok(v) = back_rx.try_recv() {
            record(v);
            got += 1;
        }
    }
    assert!(seen.iter().all(|&s| s), "every message came back");
    // The workers exit once the jobs are drained, closing the way back.
    assert_eq!(back_rx.recv_async().await, Err(RecvError::Closed));
    // And a blocking receive on the main thread reports instead of trapping.
    let (_tx, idle) = chan::bounded::<u32>(0);
    assert_eq!(idle.recv(), Err(RecvError::WouldBlockOnMainThread));
}
