//! `pool.group()` (`js/api/pool.js`) on `core`'s [`Group`]: the group's tasks
//! are the pool's jobs, submitted through [`Group`]'s places.
//!
//! So the group's rules hold in the workers, not on the page: a job runs
//! under the group's context, and its failure cancels that context from the
//! worker it failed on, before its outcome leaves for the page; running
//! siblings see their context end, queued ones end canceled without
//! starting, even while the page's main thread is busy. The limit is the
//! group's semaphore, which the page waits on asynchronously
//! ([`GroupHandle::reserve`]).
//!
//! The page keeps what only it has: each job's promise, the values in order,
//! the error objects. A job's end reaches the group before its record reaches
//! the page, so by the time the page sees a job fail, [`GroupHandle::failed_job`]
//! names the job whose failure is the group's.

use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use brigade::pool::Failure;
use brigade::{CancelFunc, Context, Group, Place};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::api::{JobCancel, PoolHandle};
use crate::job::Fault;

type Errgroup = Group<Failure<Fault>>;

/// One `pool.group()`: core's [`Group`] over the pool's jobs.
#[wasm_bindgen]
pub struct GroupHandle {
    // A panic in a binding call cannot leave the group half-changed: its
    // state changes under its locks.
    group: AssertUnwindSafe<Rc<Errgroup>>,
    /// Cancels the group's parent context: the page's `signal` for it.
    parent: AssertUnwindSafe<CancelFunc>,
}

#[wasm_bindgen]
impl GroupHandle {
    /// A group running at most `limit` jobs at once (no limit if `None`).
    #[wasm_bindgen(constructor)]
    pub fn new(limit: Option<u32>) -> Result<GroupHandle, JsError> {
        let (parent, cancel) = Context::with_cancel(&Context::background());
        let group = match limit {
            None => Group::with_context(&parent),
            Some(0) => return Err(JsError::new("a group's limit must be at least 1, got 0")),
            Some(n) => Group::with_context(&parent).limit(n as usize),
        };
        Ok(GroupHandle {
            group: AssertUnwindSafe(Rc::new(group)),
            parent: AssertUnwindSafe(cancel),
        })
    }

    /// Resolves to a [`GroupPlace`] once the group is below its limit.
    pub fn reserve(&self) -> js_sys::Promise {
        let group = Rc::clone(&self.group);
        future_to_promise(AssertUnwindSafe(async move {
            let place = group.reserve_async().await;
            Ok(GroupPlace {
                place: AssertUnwindSafe(RefCell::new(Some(place))),
            }
            .into())
        }))
    }

    /// Cancels the group's parent context, and with it the group's (the
    /// page's `signal` for the group aborted): running jobs see their
    /// context end, queued ones end canceled without starting.
    pub fn cancel(&self) {
        self.parent.cancel();
    }

    /// Whether the group's context has ended (a failure, or `cancel`).
    #[wasm_bindgen(js_name = isCanceled)]
    pub fn is_canceled(&self) -> bool {
        self.group.context().is_done()
    }

    /// The id of the job whose failure is the group's error, if one failed.
    #[wasm_bindgen(js_name = failedJob)]
    pub fn failed_job(&self) -> Option<f64> {
        self.group.failed_job().map(|id| id as f64)
    }

    /// Resolves once every job submitted to the group has ended, to the id
    /// of the job whose failure is the group's error, or `null`; the
    /// group's context is canceled then, as Go's `Wait` does.
    pub fn wait(&self) -> js_sys::Promise {
        let group = Rc::clone(&self.group);
        future_to_promise(AssertUnwindSafe(async move {
            // The error itself is the page's: it has the job's error object.
            let _ = group.wait_async().await;
            Ok(group
                .failed_job()
                .map_or(JsValue::NULL, |id| JsValue::from_f64(id as f64)))
        }))
    }
}

/// A place under a group's limit, for one job: [`GroupPlace::try_submit`]
/// or [`GroupPlace::submit`] makes the job a task of the group. The page
/// frees it after either (or instead of either, which frees the place).
#[wasm_bindgen]
pub struct GroupPlace {
    place: AssertUnwindSafe<RefCell<Option<Place<Failure<Fault>>>>>,
}

impl GroupPlace {
    fn take(&self) -> Result<Place<Failure<Fault>>, JsValue> {
        self.place
            .borrow_mut()
            .take()
            .ok_or_else(|| js_sys::Error::new("this group place was used already").into())
    }
}

#[wasm_bindgen]
impl GroupPlace {
    /// `PoolHandle::trySubmit` of a job of the group.
    #[wasm_bindgen(js_name = trySubmit)]
    #[allow(clippy::too_many_arguments)]
    pub fn try_submit(
        &self,
        pool: &PoolHandle,
        kind: &str,
        input: JsValue,
        timeout_ms: Option<f64>,
        awaited: Option<bool>,
        tag: Option<f64>,
        hard_ms: Option<f64>,
    ) -> Result<f64, JsValue> {
        let job = pool.job(kind, &input, (timeout_ms, hard_ms), awaited, tag)?;
        pool.try_submit_job(job, Some(self.take()?))
    }

    /// `PoolHandle::submit` of a job of the group.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &self,
        pool: &PoolHandle,
        kind: &str,
        input: JsValue,
        timeout_ms: Option<f64>,
        awaited: Option<bool>,
        cancel: Option<JobCancel>,
        tag: Option<f64>,
        hard_ms: Option<f64>,
    ) -> Result<js_sys::Promise, JsValue> {
        let job = pool.job(kind, &input, (timeout_ms, hard_ms), awaited, tag)?;
        Ok(pool.submit_job(job, cancel, Some(self.take()?)))
    }
}
