//! The binding layer in Chromium: real Web Workers on the shared memory, and the
//! main-thread rule (blocking calls fail fast instead of trapping).
#![cfg(target_arch = "wasm32")]

use brigade::chan::{self, RecvError, SendError, TryRecvError};
use brigade_wasm::api::PoolHandle;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn pool(workers: usize, queue: usize) -> PoolHandle {
    // Workers import this test binary's glue, not the package's.
    brigade_wasm::bootstrap::use_own_glue();
    harness_hook_on_main_thread_only();
    let config = js_sys::Object::new();
    js_sys::Reflect::set(&config, &"workers".into(), &JsValue::from(workers as u32)).unwrap();
    js_sys::Reflect::set(&config, &"queue".into(), &JsValue::from(queue as u32)).unwrap();
    PoolHandle::new(config.into()).expect("pool starts")
}

thread_local! {
    static MAIN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Keeps the test harness's panic hook to the page's main thread.
///
/// wasm-bindgen-test's hook appends the message to the running test's
/// output, found through a "scoped thread local" that is in fact one static
/// that every thread of the shared memory sees. A job that panics on a Web
/// Worker runs the hook while the main thread may be setting or clearing
/// that static; the hook then panics itself, the panic aborts, and
/// wasm-bindgen marks the whole instance terminated ("RuntimeError:
/// unreachable" on every worker, "Module terminated" on the page). Panics on
/// workers need no hook here: the pool turns them into `PanicError`
/// records, which the tests check.
fn harness_hook_on_main_thread_only() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        MAIN.with(|m| m.set(true));
        let harness = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if MAIN.with(std::cell::Cell::get) {
                harness(info);
            }
        }));
    });
}

/// Every result record of a closed pool, taken in batches of at most 4.
async fn drain(pool: &PoolHandle) -> Vec<JsValue> {
    let mut all = Vec::new();
    loop {
        let batch = JsFuture::from(pool.next_results(4)).await.unwrap();
        if batch.is_null() {
            return all;
        }
        let batch: js_sys::Array = batch.unchecked_into();
        assert!(
            (1..=4).contains(&batch.length()),
            "a batch holds 1 to 4 records"
        );
        all.extend(batch.iter());
    }
}

#[wasm_bindgen_test]
fn page_is_cross_origin_isolated() {
    let isolated = get(&js_sys::global(), "crossOriginIsolated");
    assert_eq!(
        isolated.as_bool(),
        Some(true),
        "the test page must be cross-origin isolated"
    );
}

#[wasm_bindgen_test]
fn memory_is_shared() {
    let buffer = get(&wasm_bindgen::memory(), "buffer");
    assert!(buffer.is_instance_of::<js_sys::SharedArrayBuffer>());
}

#[wasm_bindgen_test]
async fn pool_serves_jobs_on_two_web_workers() {
    let pool = pool(2, 4);
    for i in 1..=20 {
        let id = JsFuture::from(
            pool.submit("square", JsValue::from(i), None, None, None, None, None)
                .unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(id.as_f64(), Some(i as f64));
    }
    pool.close();
    let mut seen = [false; 21];
    let mut workers = std::collections::BTreeSet::new();
    for r in drain(&pool).await {
        let id = get(&r, "id").as_f64().unwrap() as usize;
        assert!(!seen[id], "job {id} reported twice");
        seen[id] = true;
        assert_eq!(get(&r, "value").as_f64(), Some((id * id) as f64));
        workers.insert(get(&r, "worker").as_f64().unwrap() as usize);
    }
    assert!(seen[1..].iter().all(|&s| s), "every job reported");
    assert!(workers.iter().all(|&w| w < 2));
}

#[wasm_bindgen_test]
async fn a_panicking_job_is_contained_and_the_pool_keeps_serving() {
    // Twenty pools, three panics each, on both workers while this thread is
    // mid-test: without `harness_hook_on_main_thread_only`, 6 of 8 runs of
    // this test aborted the instance.
    for round in 0..20 {
        let pool = pool(2, 8);
        let input = js_sys::Object::new();
        js_sys::Reflect::set(&input, &"message".into(), &"boom".into()).unwrap();
        let input: JsValue = input.into();
        for _ in 0..3 {
            JsFuture::from(
                pool.submit("panic", input.clone(), None, None, None, None, None)
                    .unwrap(),
            )
            .await
            .unwrap();
        }
        for i in 0..10 {
            JsFuture::from(
                pool.submit("square", JsValue::from(i), None, None, None, None, None)
                    .unwrap(),
            )
            .await
            .unwrap();
        }
        pool.close();
        let (mut panics, mut ok) = (0, 0);
        for r in drain(&pool).await {
            if get(&r, "ok").as_bool() == Some(true) {
                ok += 1;
            } else {
                let err = get(&r, "error");
                assert_eq!(get(&err, "name").as_string().as_deref(), Some("PanicError"));
                assert_eq!(get(&err, "message").as_string().as_deref(), Some("boom"));
                panics += 1;
            }
        }
        assert_eq!((panics, ok), (3, 10), "round {round}");
    }
}

#[wasm_bindgen_test]
fn blocking_calls_on_the_main_thread_fail_fast() {
    let (tx, rx) = chan::bounded::<u32>(0);
    assert_eq!(rx.recv(), Err(RecvError::WouldBlockOnMainThread));
    assert_eq!(tx.send(7), Err(SendError::WouldBlockOnMainThread(7)));
    assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    let wg = brigade::WaitGroup::new();
    wg.add(1);
    assert!(wg.wait().is_err());
}

#[wasm_bindgen_test]
async fn rayon_runs_inside_a_job_on_web_workers_of_its_own() {
    brigade_wasm::bootstrap::use_own_glue();
    brigade_wasm::parallel::start(2).expect("rayon starts");
    let (tx, rx) = chan::bounded(1);
    // A pool worker's view: it may block while rayon's threads do the work.
    brigade_wasm::bootstrap::spawn(
        "rayon-caller",
        Box::new(move || {
            Box::pin(async move {
                use rayon::prelude::*;
                let pool = brigade_wasm::parallel::pool().expect("started");
                let (threads, indices, sum) = pool.install(|| {
                    let indices: std::collections::BTreeSet<usize> = (0..10_000)
                        .into_par_iter()
                        .map(|_| rayon::current_thread_index().expect("on a rayon thread"))
                        .collect();
                    let sum: u64 = (1..=1_000_000u64).into_par_iter().sum();
                    (rayon::current_num_threads(), indices, sum)
                });
                tx.send((threads, indices, sum)).unwrap();
            })
        }),
    )
    .unwrap();
    let (threads, indices, sum) = rx.recv_async().await.unwrap();
    assert_eq!(threads, 2);
    assert!(
        !indices.is_empty() && indices.iter().all(|&i| i < 2),
        "{indices:?}"
    );
    assert_eq!(sum, 500_000_500_000);
}

#[wasm_bindgen_test]
fn jitter_is_seeded_from_crypto_get_random_values() {
    // The module's memory is shared: getrandom must copy through an
    // unshared buffer for `crypto.getRandomValues` to accept it.
    let a = brigade::__os_random_u64().expect("crypto.getRandomValues answers");
    let b = brigade::__os_random_u64().expect("crypto.getRandomValues answers");
    assert_ne!(a, b);
}
