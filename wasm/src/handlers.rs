//! JavaScript job handlers: the named exports of an ES module that every pool
//! worker imports (`Pool.create({ handlers })`).
//!
//! A job whose kind names one of the module's function exports is served by
//! calling that export on the worker, with the input converted to JavaScript
//! there and `{ signal }` as the second argument. The call may
//! return a value or a promise; the worker awaits it without blocking its
//! event loop (the pool's async handler path in `core`), so handlers may use
//! timers, `fetch` and other async APIs. If the job's context ends first
//! (timeout, cancellation, `terminate`), the signal is aborted and the job ends
//! at once; whatever the handler resolves to later is dropped.

use std::collections::HashSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::data::Data;
use crate::job::{Fault, Job};
use crate::progress::Progress;

#[wasm_bindgen(module = "/js/worker.js")]
extern "C" {
    /// Imports the module at `url` once per worker and calls its export
    /// `name(input, info)`; always returns a promise.
    #[wasm_bindgen(js_name = callHandler)]
    fn call_handler(url: &str, name: &str, input: JsValue, info: JsValue) -> js_sys::Promise;
}

/// The handlers module of one pool.
#[derive(Debug)]
pub struct Handlers {
    url: String,
    names: HashSet<String>,
    progress: Progress,
}

impl Handlers {
    /// The module at `url` (absolute) with these function exports; their
    /// progress reports go to `progress`.
    pub fn new(url: String, names: impl IntoIterator<Item = String>, progress: Progress) -> Self {
        Handlers {
            url,
            names: names.into_iter().collect(),
            progress,
        }
    }

    /// Whether `kind` names one of the module's exports.
    pub fn serves(&self, kind: &str) -> bool {
        self.names.contains(kind)
    }

    /// Starts the call of `job`'s handler on this worker; the returned future
    /// settles with the handler's result.
    pub fn call(&self, job: &Job) -> impl Future<Output = Result<Data, Fault>> + 'static {
        let abort = web_sys::AbortController::new().ok();
        let info = js_sys::Object::new();
        if let Some(a) = &abort {
            set(&info, "signal", &a.signal());
        }
        // `info.progress(value)`: to the page if it wants this job's
        // progress, else nowhere (worker.js supplies a function that does
        // nothing). The closure lives as long as the call.
        let report = (job.tag != 0.0).then(|| {
            // A panic in `report` cannot leave the channel half-changed: it
            // changes under its lock.
            let progress = AssertUnwindSafe(self.progress.clone());
            let tag = job.tag;
            Closure::<dyn Fn(JsValue) -> Result<(), JsValue>>::new(move |v: JsValue| {
                // Called from the handler's JavaScript: the channel's lock
                // is taken inside the worker's gate (see gate.rs).
                let _inside = crate::gate::enter();
                let value = Data::from_js(&v, "progress")
                    .map_err(|e| JsValue::from(js_sys::TypeError::new(&e.to_string())))?;
                progress.report(tag, value);
                Ok(())
            })
        });
        if let Some(r) = &report {
            set(&info, "progress", r.as_ref());
        }
        let promise = call_handler(&self.url, job.kind, job.input.to_js(), info.into());
        let kind = job.kind;
        // Aborts the signal if the pool drops this future before it settles.
        let guard = AbortOnDrop(abort);
        async move {
            let settled = JsFuture::from(promise).await;
            guard.disarm();
            drop(report);
            match settled {
                // The message starts with the path (`output.when: ...`), as a
                // job input's DataCloneError does.
                Ok(v) => Data::from_js(&v, "output").map_err(|e| Fault {
                    name: Some("DataCloneError".to_owned()),
                    ..Fault::from(format!("{e} (returned by handler {kind:?})"))
                }),
                Err(thrown) => Err(fault(&thrown)),
            }
        }
    }
}

fn set(o: &js_sys::Object, k: &str, v: &JsValue) {
    let _ = js_sys::Reflect::set(o, &JsValue::from_str(k), v);
}

/// What a handler threw: an `Error`'s message, name, stack, cause and own
/// enumerable properties (`err.code = 'E42'`: each one that is job data), or
/// the value as text.
fn fault(thrown: &JsValue) -> Fault {
    match thrown.dyn_ref::<js_sys::Error>() {
        Some(e) => Fault {
            message: String::from(e.message()),
            stack: js_sys::Reflect::get(e, &JsValue::from_str("stack"))
                .ok()
                .and_then(|s| s.as_string()),
            name: Some(String::from(e.name())),
            // The cause crosses as job data does (an Error with its own
            // name, message, stack and cause); one that cannot is left out.
            cause: Some(e.cause())
                .filter(|c| !c.is_undefined())
                .and_then(|c| Data::from_js(&c, "cause").ok()),
            props: own_props(e),
        },
        None => Fault::from(
            thrown
                .as_string()
                .unwrap_or_else(|| format!("a handler threw a non-Error value: {thrown:?}")),
        ),
    }
}

/// The own enumerable properties of `e` that can cross as job data, if any.
fn own_props(e: &js_sys::Error) -> Option<Data> {
    let fields: Vec<(String, Data)> = js_sys::Object::keys(e)
        .iter()
        .filter_map(|k| {
            let key = k.as_string()?;
            let value = js_sys::Reflect::get(e, &k).ok()?;
            Some((key.clone(), Data::from_js(&value, &key).ok()?))
        })
        .collect();
    (!fields.is_empty()).then_some(Data::Object(fields))
}

struct AbortOnDrop(Option<web_sys::AbortController>);

impl AbortOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(a) = self.0.take() {
            a.abort();
        }
    }
}
