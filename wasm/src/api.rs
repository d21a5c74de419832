//! The JavaScript-facing pool handle. `js/index.js` wraps it in the public
//! `Pool` class (error classes, async iteration, option checking).

use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use brigade::chan::{SendError, TrySendError};
use brigade::pool::Failure;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::bootstrap::{install_timer_driver, WebWorkerSpawner};
use crate::kinds::{self, Job};

type Inner = brigade::Pool<Job, Value, String>;

/// A pool of Web Workers sharing this module's memory; see `js/index.js`.
#[wasm_bindgen]
pub struct PoolHandle {
    // A panic in a binding call cannot leave the pool half-updated: every
    // state change in core happens under a lock, before anything can panic.
    inner: AssertUnwindSafe<Rc<Inner>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorRecord {
    name: &'static str,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultRecord {
    id: u64,
    ok: bool,
    value: Option<Value>,
    error: Option<ErrorRecord>,
    worker: Option<usize>,
    queued_ms: f64,
    run_ms: f64,
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(Into::into)
}

fn job(kind: String, input: JsValue) -> Result<Job, JsValue> {
    let input: Value = if input.is_undefined() {
        Value::Null
    } else {
        serde_wasm_bindgen::from_value(input)
            .map_err(|e| JsError::new(&format!("job input for {kind:?} is not plain data: {e}")))?
    };
    Ok(Job { kind, input })
}

#[wasm_bindgen]
impl PoolHandle {
    /// Starts `workers` Web Workers serving a queue of capacity `queue`.
    #[wasm_bindgen(constructor)]
    pub fn new(workers: usize, queue: usize) -> Result<PoolHandle, JsError> {
        install_timer_driver();
        let inner = brigade::Pool::builder()
            .workers(workers)
            .queue(queue)
            .spawner(WebWorkerSpawner)
            .build(|job: &Job, _ctx: &brigade::Context| kinds::run(job))
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(PoolHandle {
            inner: AssertUnwindSafe(Rc::new(inner)),
        })
    }

    /// Queues a job now; returns its id, or throws `"full"` / `"closed"`.
    #[wasm_bindgen(js_name = trySubmit)]
    pub fn try_submit(&self, kind: String, input: JsValue) -> Result<f64, JsValue> {
        match self.inner.try_submit(job(kind, input)?) {
            Ok(id) => Ok(id as f64),
            Err(TrySendError::Full(_)) => Err(JsValue::from_str("full")),
            Err(_) => Err(JsValue::from_str("closed")),
        }
    }

    /// Queues a job, waiting (asynchronously) for room; resolves to its id.
    pub fn submit(&self, kind: String, input: JsValue) -> Result<js_sys::Promise, JsValue> {
        let job = job(kind, input)?;
        let inner = Rc::clone(&self.inner);
        Ok(future_to_promise(AssertUnwindSafe(async move {
            match inner.submit_async(job).await {
                Ok(id) => Ok(JsValue::from_f64(id as f64)),
                Err(SendError::Closed(_)) | Err(_) => Err(JsValue::from_str("closed")),
            }
        })))
    }

    /// Resolves to the next outcome, or `null` once the pool is closed and drained.
    #[wasm_bindgen(js_name = nextResult)]
    pub fn next_result(&self) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(AssertUnwindSafe(async move {
            let Ok(o) = inner.results().recv_async().await else {
                return Ok(JsValue::NULL);
            };
            let error = |name, message| Some(ErrorRecord { name, message });
            let (value, error) = match o.result {
                Ok(v) => (Some(v), None),
                Err(Failure::Error(m)) => (None, error("JobError", m)),
                Err(Failure::Panicked(m)) => (None, error("PanicError", m)),
                Err(f @ Failure::Canceled(_)) => (None, error("AbortError", f.to_string())),
                Err(f @ Failure::TimedOut(_)) => (None, error("TimeoutError", f.to_string())),
                Err(f) => (None, error("JobError", f.to_string())),
            };
            to_js(&ResultRecord {
                id: o.id,
                ok: error.is_none(),
                value,
                error,
                worker: o.worker,
                queued_ms: o.queued_for.as_secs_f64() * 1000.0,
                run_ms: o.ran_for.as_secs_f64() * 1000.0,
            })
        }))
    }

    /// Stops intake; queued jobs still run, then the results end.
    pub fn close(&self) -> bool {
        self.inner.close()
    }

    /// Jobs waiting in the queue.
    pub fn queued(&self) -> usize {
        self.inner.queued()
    }

    /// The number of workers.
    pub fn workers(&self) -> usize {
        self.inner.workers()
    }
}
