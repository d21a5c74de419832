//! The JavaScript-facing pool handle. `js/index.js` wraps it in the public
//! `Pool` class (error classes, AbortSignal, async iteration, events, option
//! checking); this file only converts between JavaScript and `core`.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll, Waker};

use brigade::chan::{Receiver, RecvError, TrySendError};
use brigade::pool::{Distribution, Failure, Job as PoolJob, Loss, Metrics};
use brigade::runtime::Duration;
use brigade::{CancelFunc, Context, Outcome, Place, RateLimit, Retry};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::bell::Bell;
use crate::bootstrap::{install_runtime, WebWorkerSpawner, Workers};
use crate::data::{CloneError, Data};
use crate::handlers::Handlers;
use crate::job::{self, Fault, Job};
use crate::kinds;
use crate::progress::Progress;

type Inner = brigade::Pool<Job, Data, Fault>;

/// Pool settings, checked by `js/index.js` before they get here.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    workers: usize,
    queue: usize,
    timeout_ms: Option<f64>,
    hard_timeout_ms: Option<f64>,
    saturation_window_ms: Option<f64>,
    retry: Option<RetryConfig>,
    rate_limit: Option<RateConfig>,
    handlers: Option<HandlersConfig>,
    #[serde(default)]
    rayon_threads: usize,
}

/// The handlers module: its absolute URL and its function exports, found by
/// `js/index.js` when it imported the module on the page.
#[derive(Deserialize)]
struct HandlersConfig {
    url: String,
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetryConfig {
    attempts: u32,
    base_ms: f64,
    max_ms: f64,
    jitter: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RateConfig {
    per_second: f64,
    burst: u32,
}

/// When `pool` started, in ms on the page's `performance.now()` clock: the
/// pool's uptime read between two readings of the page's clock, keeping the
/// closest pair of a few tries, so a pause of the page's thread between the
/// readings (a busy machine) cannot shift every time the records report.
fn epoch_of(pool: &Inner) -> f64 {
    let mut best = (f64::INFINITY, 0.0);
    for _ in 0..5 {
        let before = now();
        let up = ms_of(pool.uptime());
        let after = now();
        let width = after - before;
        if width < best.0 {
            best = (width, (before + after) / 2.0 - up);
        }
        if width < 0.05 {
            break;
        }
    }
    best.1
}

/// How long past its hard limit a job may still run before its Web Worker
/// is terminated: its context ends at the limit, and a handler that
/// notices (any async one, every built-in kind) ends by itself within this.
const HARD_GRACE_MS: f64 = 25.0;

/// The smaller of two optional limits.
fn min_ms(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A duration in ms, as JavaScript counts time.
fn ms_of(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v / 1000.0)
}

/// The names of the built-in job kinds, which `js/index.js` checks a job's
/// kind against before it crosses into the module.
#[wasm_bindgen(js_name = builtInKinds)]
pub fn built_in_kinds() -> Vec<String> {
    kinds::KINDS.iter().map(|k| (*k).to_owned()).collect()
}

/// The limits and defaults of the options (see `options.rs`), as
/// `{ "retry.attempts": { min, max, integer, default? }, … }`.
#[wasm_bindgen(js_name = optionRules)]
pub fn option_rules() -> Result<JsValue, JsValue> {
    crate::options::rules()
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(Into::into)
}

/// Traps, on purpose: the test hook for what the JavaScript API does after a
/// trap (`tests/e2e/api.test.mjs`). Not part of the API.
#[wasm_bindgen(js_name = __brigadeTrapForTests)]
pub fn trap_for_tests() {
    core::arch::wasm32::unreachable()
}

/// The size of the module's memory in bytes (for the test of what a
/// terminated Web Worker leaves behind). Not part of the API.
#[wasm_bindgen(js_name = __brigadeMemoryBytesForTests)]
pub fn memory_bytes_for_tests() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let buffer: js_sys::SharedArrayBuffer = memory.buffer().unchecked_into();
    buffer.byte_length() as f64
}

/// A pool of Web Workers sharing this module's memory; see `js/index.js`.
#[wasm_bindgen]
pub struct PoolHandle {
    // A panic in a binding call cannot leave the pool half-updated: every
    // state change in core happens under a lock, before anything can panic.
    inner: AssertUnwindSafe<Rc<Inner>>,
    /// The page's wait for the next outcome, kept between `pollResults` calls.
    /// (A panic in a poll leaves at worst a wait that is dropped and
    /// started again: the channel restores a value handed to it.)
    next: AssertUnwindSafe<RefCell<Option<NextOutcome>>>,
    bell: Arc<Bell>,
    waker: Waker,
    /// Progress reported by running jobs (see `progress.rs`).
    progress: AssertUnwindSafe<Receiver<(f64, Data)>>,
    // A panic in a binding call cannot leave it half-changed: `terminating`
    // is its only state that changes.
    page: AssertUnwindSafe<Rc<Page>>,
    /// The pool's Web Workers, with their gates.
    workers: Arc<Workers>,
    /// The pool's own limits, in ms.
    hard_default: Option<f64>,
    timeout_default: Option<f64>,
    /// The kinds the pool runs: the built-in ones and its handlers'.
    kinds: HashSet<&'static str>,
}

type NextOutcome = Pin<Box<dyn Future<Output = Result<Outcome<Job, Data, Fault>, RecvError>>>>;

#[wasm_bindgen(inline_js = "
export function record(id, kind, value, name, message, stack, errorName, props, worker, attempts, queuedMs, runMs, startedAt, endedAt, awaited) {
  let error = null;
  if (name !== undefined) {
    error = { name, message };
    if (stack !== undefined) error.stack = stack;
    if (errorName !== undefined) error.errorName = errorName;
    if (props !== undefined) error.props = props;
    // A failed job has no value: that slot carries the thrown error's cause.
    if (value !== undefined) error.cause = value;
    value = undefined;
  }
  const r = {
    id, kind, ok: error === null, value, error, worker: worker ?? null, attempts, queuedMs, runMs,
    startedAt: startedAt ?? null, endedAt,
  };
  // Out of sight of Object.keys and JSON: only the page's router reads it.
  if (awaited) r[Symbol.for('brigade.awaited')] = true;
  return r;
}
export function now() {
  return performance.now();
}")]
extern "C" {
    /// Builds a result record on the JavaScript side in one call: setting its
    /// fields one by one from Rust decodes every key string out of the shared
    /// memory, which cost more than the job.
    #[allow(clippy::too_many_arguments)]
    fn record(
        id: f64,
        kind: &str,
        value: JsValue,
        name: Option<&str>,
        message: Option<&str>,
        stack: Option<String>,
        error_name: Option<String>,
        props: JsValue,
        worker: Option<f64>,
        attempts: f64,
        queued_ms: f64,
        run_ms: f64,
        started_at: Option<f64>,
        ended_at: f64,
        awaited: bool,
    ) -> JsValue;

    /// `performance.now()` of the calling thread (the page's, where the
    /// bindings run).
    fn now() -> f64;
}

/// Converts an outcome to `{ id, kind, ok, value, error: { name, message,
/// stack?, errorName?, cause?, props? }, worker, attempts, queuedMs, runMs, startedAt,
/// endedAt }`, the last two on the page's clock (`startedAt` null for a job
/// that never ran): `epoch` is the pool's start on that clock.
fn outcome_to_js(o: Outcome<Job, Data, Fault>, epoch: f64, terminating: bool) -> JsValue {
    let mut props = JsValue::UNDEFINED;
    let (value, name, message, stack, error_name) = match o.result {
        Ok(v) => (v.to_js(), None, None, None, None),
        Err(f) => {
            let name = match &f {
                Failure::Error(_) => "JobError",
                Failure::Panicked(_) => "PanicError",
                Failure::Canceled(_) => "AbortError",
                Failure::Lost(_) if terminating => "AbortError",
                Failure::TimedOut(_) | Failure::Lost(Loss::Killed) => "TimeoutError",
                Failure::Lost(_) => "WorkerLostError",
                _ => "JobError",
            };
            let worker = o.worker.unwrap_or_default();
            let (message, stack, error_name, cause) = match f {
                Failure::Error(Fault {
                    message,
                    stack,
                    name,
                    cause,
                    props: own,
                }) => {
                    if let Some(own) = own {
                        props = own.to_js();
                    }
                    (message, stack, name, cause)
                }
                Failure::Panicked(m) => (m, None, None, None),
                // `errorName` says the worker was lost: the page's error
                // gets a WorkerLostError as its cause.
                Failure::Lost(loss) => {
                    let message = match loss {
                        _ if terminating => format!(
                            "the pool was terminated: worker {worker} was still running the job"
                        ),
                        Loss::Killed => format!(
                            "the job ran past its hardTimeoutMs: worker {worker} was terminated and replaced"
                        ),
                        _ => format!("worker {worker} was lost while running the job (its Web Worker ended)"),
                    };
                    (message, None, Some("WorkerLostError".to_owned()), None)
                }
                other => (other.to_string(), None, None, None),
            };
            // `record` takes the cause in the value's place (see there).
            let cause = cause.map_or(JsValue::UNDEFINED, |c| c.to_js());
            (cause, Some(name), Some(message), stack, error_name)
        }
    };
    let ended_at = epoch + ms_of(o.ended_at);
    record(
        o.id as f64,
        o.job.kind,
        value,
        name,
        message.as_deref(),
        stack,
        error_name,
        props,
        o.worker.map(|w| w as f64),
        o.attempts.into(),
        ms_of(o.queued_for),
        ms_of(o.ran_for),
        o.worker.map(|_| ended_at - ms_of(o.ran_for)),
        ended_at,
        o.job.awaited,
    )
}

/// `first` and the outcomes ready behind it, at most `max` in all, as an array
/// of records.
fn batch(page: &Page, first: Outcome<Job, Data, Fault>, max: usize) -> JsValue {
    let batch = js_sys::Array::new();
    let terminating = page.terminating.get();
    batch.push(&outcome_to_js(first, page.epoch, terminating));
    for o in page.inner.results().try_iter().take(max.saturating_sub(1)) {
        batch.push(&outcome_to_js(o, page.epoch, terminating));
    }
    batch.into()
}

/// What turning outcomes into records needs, shared with the futures that
/// wait for them.
struct Page {
    inner: Rc<Inner>,
    /// When the pool started, in ms on the page's `performance.now()`
    /// clock: an outcome's `ended_at` (on the pool's clock) plus this is its
    /// end on the page's.
    epoch: f64,
    /// `terminate()` is under way: jobs whose worker it kills end aborted.
    terminating: Cell<bool>,
}

/// Why the pool refused a job, as `trySubmit` and `submit` throw it: a
/// code the page compares with `Refusal.Full` and `Refusal.Closed`.
#[wasm_bindgen]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The queue is full.
    Full = 1,
    /// The pool no longer takes jobs.
    Closed = 2,
}

/// A cancel switch for one job: the job runs under its context, so
/// canceling it ends the job before it starts even while its submission is
/// still on its way into the queue (where `Pool::cancel` by id cannot reach
/// it yet). `js/api/pool.js` gives one to a job that waits for room and has
/// an AbortSignal.
#[wasm_bindgen]
pub struct JobCancel {
    // A panic in a binding call cannot leave a context half-canceled: its
    // state changes under its lock.
    ctx: AssertUnwindSafe<Context>,
    cancel: AssertUnwindSafe<CancelFunc>,
}

#[wasm_bindgen]
impl JobCancel {
    /// A switch not yet canceled.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> JobCancel {
        let (ctx, cancel) = Context::with_cancel(&Context::background());
        JobCancel {
            ctx: AssertUnwindSafe(ctx),
            cancel: AssertUnwindSafe(cancel),
        }
    }

    /// Another handle on the same switch (one to give away with a job).
    #[wasm_bindgen(js_name = cloneHandle)]
    pub fn clone_handle(&self) -> JobCancel {
        JobCancel {
            ctx: AssertUnwindSafe(self.ctx.0.clone()),
            cancel: AssertUnwindSafe(self.cancel.0.clone()),
        }
    }

    /// Cancels the job: if it has not started it never will.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

/// An input that cannot cross to the workers, as an `Error` named
/// `DataCloneError` whose message starts with the path (`input.items[3]: a
/// function (f) cannot be cloned`), for `js/api/pool.js` to turn into its class.
fn data_clone_error(e: &CloneError) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("DataCloneError");
    err.into()
}

fn job(
    kind: &'static str,
    input: &JsValue,
    (timeout_ms, hard_ms): (Option<f64>, Option<f64>),
    awaited: bool,
    tag: Option<f64>,
) -> Result<PoolJob<Job, Fault>, JsValue> {
    // An input the shared memory cannot hold panics as it is copied in
    // (`bootstrap::out_of_memory`): that is a RangeError of this call.
    let converted = std::panic::catch_unwind(AssertUnwindSafe(|| Data::from_js(input, "input")));
    let input = match converted {
        Ok(data) => data.map_err(|e| data_clone_error(&e))?,
        Err(panic) => {
            let message = panic.downcast_ref::<String>().map_or(
                "the input does not fit in the shared memory",
                String::as_str,
            );
            return Err(js_sys::RangeError::new(message).into());
        }
    };
    let mut j = PoolJob::new(Job {
        kind,
        input,
        awaited,
        tag: tag.unwrap_or(0.0),
        hard_ms,
    });
    if let Some(t) = timeout_ms {
        j = j.timeout(ms(t));
    }
    Ok(j)
}

/// A time distribution in ms: percentiles, and the histogram's buckets
/// (`le`, the upper bound; `count`, the samples at or below it, cumulative as
/// Prometheus counts them; `count` of the whole is the `+Inf` bucket).
#[derive(Serialize)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
    count: u64,
    buckets: Vec<Bucket>,
}

#[derive(Serialize)]
struct Bucket {
    le: f64,
    count: u64,
}

impl From<&Distribution> for Percentiles {
    fn from(q: &Distribution) -> Self {
        Percentiles {
            p50: ms_of(q.p50),
            p90: ms_of(q.p90),
            p99: ms_of(q.p99),
            max: ms_of(q.max),
            count: q.count,
            buckets: q
                .buckets
                .iter()
                .map(|&(le, count)| Bucket {
                    le: ms_of(le),
                    count,
                })
                .collect(),
        }
    }
}

/// A job running now, as `running()` lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunningJob {
    id: f64,
    worker: usize,
    /// On the page's clock.
    started_at: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    workers: usize,
    busy: usize,
    idle: usize,
    queued: usize,
    capacity: usize,
    submitted: u64,
    succeeded: u64,
    failed: u64,
    canceled: u64,
    timed_out: u64,
    panicked: u64,
    lost: u64,
    retried: u64,
    rate_limited_waits: u64,
    wait: Percentiles,
    run: Percentiles,
    saturation: f64,
    saturation_series: Vec<f64>,
    saturation_window_ms: f64,
}

impl From<&Metrics> for Stats {
    fn from(m: &Metrics) -> Self {
        Stats {
            workers: m.workers,
            busy: m.busy,
            idle: m.idle,
            queued: m.queued,
            capacity: m.capacity,
            submitted: m.submitted,
            succeeded: m.succeeded,
            failed: m.failed,
            canceled: m.canceled,
            timed_out: m.timed_out,
            panicked: m.panicked,
            lost: m.lost,
            retried: m.retried,
            rate_limited_waits: m.rate_limited_waits,
            wait: (&m.wait).into(),
            run: (&m.run).into(),
            saturation: m.saturation,
            saturation_series: m.saturation_series.clone(),
            saturation_window_ms: ms_of(m.saturation_window),
        }
    }
}

#[wasm_bindgen]
impl PoolHandle {
    /// Starts a pool from a checked config object (see `js/index.js`).
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<PoolHandle, JsError> {
        install_runtime();
        let c: Config =
            serde_wasm_bindgen::from_value(config).map_err(|e| JsError::new(&e.to_string()))?;
        if c.rayon_threads > 0 {
            crate::parallel::start(c.rayon_threads).map_err(|e| JsError::new(&e))?;
        }
        // Without JavaScript handlers no job needs a worker's event loop, so
        // idle workers may block, which wakes them faster.
        let spawner = if c.handlers.is_some() {
            WebWorkerSpawner::default()
        } else {
            WebWorkerSpawner::blocking()
        };
        let workers = spawner.workers();
        let mut b = brigade::Pool::builder()
            .workers(c.workers)
            .queue(c.queue)
            .recover_lost_workers_with(Job::skeleton)
            .spawner(spawner);
        // The context of a job ends at its hard limit too: a handler that
        // notices ends there, and only one that does not is terminated.
        if let Some(t) = min_ms(c.timeout_ms, c.hard_timeout_ms) {
            b = b.timeout(ms(t));
        }
        if let Some(w) = c.saturation_window_ms {
            b = b.saturation_window(ms(w));
        }
        if let Some(r) = c.retry {
            b = b.retry(
                Retry::attempts(r.attempts)
                    .backoff(ms(r.base_ms), ms(r.max_ms))
                    .jitter(r.jitter),
            );
        }
        if let Some(r) = c.rate_limit {
            b = b.rate_limit(RateLimit::per_second(r.per_second).burst(r.burst));
        }
        let bell = Arc::new(Bell::default());
        let (progress, progress_rx) = Progress::channel(Arc::clone(&bell));
        let mut kinds: HashSet<&'static str> = kinds::KINDS.iter().copied().collect();
        if let Some(h) = &c.handlers {
            kinds.extend(h.names.iter().map(|n| job::intern(n)));
        }
        let kind_progress = progress.clone();
        let handlers = c
            .handlers
            .map(|h| Arc::new(Handlers::new(h.url, h.names, progress)));
        let inner = b
            .build_async(move |job: &Job, ctx| {
                // A handler export serves its kind; otherwise a built-in kind
                // runs right here, before the future is first polled.
                // The supervisor on the page reads the job's hard limit
                // from the worker's gate while the handler runs.
                let armed = job.hard_ms.map(crate::gate::arm);
                let call = match &handlers {
                    Some(h) if h.serves(job.kind) => Err(h.call(job)),
                    // A built-in kind's progress (`mandelbrot`'s) goes to the
                    // page as a handler's does, if the page asked for it.
                    _ if job.tag != 0.0 => {
                        let tag = job.tag;
                        let report = |value| kind_progress.report(tag, value);
                        Ok(kinds::run_reporting(job, ctx, &report).map_err(Fault::from))
                    }
                    _ => Ok(kinds::run(job, ctx).map_err(Fault::from)),
                };
                async move {
                    let done = match call {
                        Ok(done) => done,
                        Err(js) => js.await,
                    };
                    drop(armed);
                    done
                }
            })
            .map_err(|e| JsError::new(&e.to_string()))?;
        let epoch = epoch_of(&inner);
        let inner = Rc::new(inner);
        Ok(PoolHandle {
            inner: AssertUnwindSafe(Rc::clone(&inner)),
            next: AssertUnwindSafe(RefCell::new(None)),
            waker: Waker::from(Arc::clone(&bell)),
            bell,
            progress: AssertUnwindSafe(progress_rx),
            page: AssertUnwindSafe(Rc::new(Page {
                inner,
                epoch,
                terminating: Cell::new(false),
            })),
            workers,
            hard_default: c.hard_timeout_ms,
            timeout_default: c.timeout_ms,
            kinds,
        })
    }

    /// The pool's name for `kind`, or a `TypeError` if the pool does not
    /// run it (the page checks first; this keeps the names few).
    fn kind(&self, kind: &str) -> Result<&'static str, JsValue> {
        self.kinds
            .get(kind)
            .copied()
            .ok_or_else(|| js_sys::TypeError::new(&format!("unknown job kind {kind:?}")).into())
    }

    /// The job `trySubmit` and `submit` queue: its kind checked against the
    /// pool's, its input converted, its limits worked out.
    pub(crate) fn job(
        &self,
        kind: &str,
        input: &JsValue,
        (timeout_ms, hard_ms): (Option<f64>, Option<f64>),
        awaited: Option<bool>,
        tag: Option<f64>,
    ) -> Result<PoolJob<Job, Fault>, JsValue> {
        let limits = self.limits(timeout_ms, hard_ms);
        job(
            self.kind(kind)?,
            input,
            limits,
            awaited.unwrap_or(false),
            tag,
        )
    }

    /// A job's limits: its context's own timeout (`None` where the pool's
    /// applies), the smaller of its timeout and its hard limit; and its hard
    /// limit, the pool's where it has none.
    fn limits(&self, timeout_ms: Option<f64>, hard_ms: Option<f64>) -> (Option<f64>, Option<f64>) {
        let hard = hard_ms.or(self.hard_default);
        if timeout_ms.is_none() && hard_ms.is_none() {
            return (None, hard);
        }
        (min_ms(timeout_ms.or(self.timeout_default), hard), hard)
    }

    /// Queues a job now; returns its id, or throws a [`Refusal`].
    /// `awaited` marks a job whose outcome a `run()` call waits for; `tag`
    /// names a job whose progress the page wants (see `progress.rs`).
    /// `hard_ms` is the job's own hard limit (see [`supervise`](Self::supervise)).
    #[wasm_bindgen(js_name = trySubmit)]
    #[allow(clippy::too_many_arguments)]
    pub fn try_submit(
        &self,
        kind: &str,
        input: JsValue,
        timeout_ms: Option<f64>,
        awaited: Option<bool>,
        tag: Option<f64>,
        hard_ms: Option<f64>,
    ) -> Result<f64, JsValue> {
        let job = self.job(kind, &input, (timeout_ms, hard_ms), awaited, tag)?;
        self.try_submit_job(job, None)
    }

    /// `trySubmit` of a checked job, as a task of a group if given its place.
    pub(crate) fn try_submit_job(
        &self,
        job: PoolJob<Job, Fault>,
        place: Option<Place<Failure<Fault>>>,
    ) -> Result<f64, JsValue> {
        let queued = match place {
            Some(place) => place.try_submit(&self.inner, job),
            None => self.inner.try_submit(job),
        };
        match queued {
            Ok(id) => Ok(id as f64),
            Err(TrySendError::Full(_)) => Err(Refusal::Full.into()),
            Err(_) => Err(Refusal::Closed.into()),
        }
    }

    /// Queues a job, waiting (asynchronously) for room; resolves to its id or
    /// rejects with [`Refusal::Closed`]. `awaited` as for `trySubmit`: the outcome of a
    /// job queued by a waiting sender can come out before the page sees its id,
    /// so the mark travels with the job. `cancel`, if given, is the job's
    /// switch (see [`JobCancel`]).
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &self,
        kind: &str,
        input: JsValue,
        timeout_ms: Option<f64>,
        awaited: Option<bool>,
        cancel: Option<JobCancel>,
        tag: Option<f64>,
        hard_ms: Option<f64>,
    ) -> Result<js_sys::Promise, JsValue> {
        let job = self.job(kind, &input, (timeout_ms, hard_ms), awaited, tag)?;
        Ok(self.submit_job(job, cancel, None))
    }

    /// `submit` of a checked job, as a task of a group if given its place.
    pub(crate) fn submit_job(
        &self,
        mut job: PoolJob<Job, Fault>,
        cancel: Option<JobCancel>,
        place: Option<Place<Failure<Fault>>>,
    ) -> js_sys::Promise {
        if let Some(c) = cancel {
            job = job.context(&c.ctx.0);
        }
        let inner = Rc::clone(&self.inner);
        future_to_promise(AssertUnwindSafe(async move {
            let queued = match place {
                Some(place) => place.submit_async(&inner, job).await,
                None => inner.submit_async(job).await,
            };
            match queued {
                Ok(id) => Ok(JsValue::from_f64(id as f64)),
                Err(_) => Err(Refusal::Closed.into()),
            }
        }))
    }

    /// Cancels job `id` (queued: it never runs; running: its context is canceled).
    pub fn cancel(&self, id: f64) -> bool {
        self.inner.cancel(id as u64)
    }

    /// Resolves to the outcomes of submitted jobs that are ready, at least one
    /// and at most `max` (waiting for the first), or to `null` once the pool is
    /// closed and drained. One wake-up of the page serves a whole batch.
    #[wasm_bindgen(js_name = nextResults)]
    pub fn next_results(&self, max: usize) -> js_sys::Promise {
        let page = Rc::clone(&self.page);
        future_to_promise(AssertUnwindSafe(async move {
            let Ok(first) = page.inner.results().recv_async().await else {
                return Ok(JsValue::NULL);
            };
            Ok(batch(&page, first, max))
        }))
    }

    /// The progress reported since the last call, at most `max` reports, as
    /// a flat array `[tag, value, tag, value, …]`; `undefined` if there is
    /// none. The bell rings when there is.
    #[wasm_bindgen(js_name = takeProgress)]
    pub fn take_progress(&self, max: usize) -> JsValue {
        let mut reports = self.progress.try_iter().take(max).peekable();
        if reports.peek().is_none() {
            return JsValue::UNDEFINED;
        }
        let out = js_sys::Array::new();
        for (tag, value) in reports {
            out.push(&JsValue::from_f64(tag));
            out.push(&value.to_js());
        }
        out.into()
    }

    /// A one-element view of the bell: `pollResults` returning `undefined`
    /// means "wait until this changes from what it was before the call".
    #[wasm_bindgen(js_name = resultsBell)]
    pub fn results_bell(&self) -> js_sys::Int32Array {
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        // Shared memory never detaches its buffer, so the view stays valid
        // when the memory grows.
        js_sys::Int32Array::new_with_byte_offset_and_length(
            &memory.buffer(),
            self.bell.as_ptr() as u32,
            1,
        )
    }

    /// The outcomes that are ready, at least one and at most `max`; `null`
    /// once the pool is closed and drained; `undefined` if none is ready yet,
    /// and then the bell rings when one is. Read the bell before calling, and
    /// wait with `Atomics.waitAsync(bell, 0, before)`, so a ring between the
    /// call and the wait is not missed.
    #[wasm_bindgen(js_name = pollResults)]
    pub fn poll_results(&self, max: usize) -> JsValue {
        let mut next = self.next.borrow_mut();
        let fut = next.get_or_insert_with(|| {
            let inner = Rc::clone(&self.inner);
            Box::pin(async move { inner.results().recv_async().await })
        });
        let first = match fut.as_mut().poll(&mut TaskContext::from_waker(&self.waker)) {
            Poll::Pending => return JsValue::UNDEFINED,
            Poll::Ready(r) => {
                *next = None;
                match r {
                    Ok(o) => o,
                    Err(_) => return JsValue::NULL,
                }
            }
        };
        batch(&self.page, first, max)
    }

    /// A snapshot of the pool's metrics (times in milliseconds).
    pub fn stats(&self) -> Result<JsValue, JsValue> {
        let s = Stats::from(&self.inner.metrics());
        s.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(Into::into)
    }

    /// The metrics in Prometheus' text format.
    #[wasm_bindgen(js_name = metricsText)]
    pub fn metrics_text(&self) -> String {
        self.inner.metrics().to_prometheus("brigade_pool")
    }

    /// Changes the number of workers.
    pub fn resize(&self, n: usize) -> Result<(), JsError> {
        self.inner
            .resize(n)
            .map_err(|e| JsError::new(&e.to_string()))
    }

    /// Stops intake; queued jobs still run, then the results end.
    pub fn close(&self) -> bool {
        self.inner.close()
    }

    /// Cancels everything now: queued jobs end canceled, running ones see
    /// their context canceled.
    pub fn abort(&self) {
        self.inner.abort();
    }

    /// Closes the pool; resolves once every worker has exited (every outcome
    /// delivered).
    pub fn drain(&self) -> js_sys::Promise {
        let inner = Rc::clone(&self.inner);
        future_to_promise(AssertUnwindSafe(async move {
            inner.join_async().await;
            Ok(JsValue::UNDEFINED)
        }))
    }

    /// The jobs running now: `[{ id, worker, startedAt }]` in worker order,
    /// `startedAt` on the page's clock.
    pub fn running(&self) -> Result<JsValue, JsValue> {
        let now = now();
        let running: Vec<RunningJob> = self
            .inner
            .running()
            .into_iter()
            .map(|r| RunningJob {
                id: r.id as f64,
                worker: r.worker,
                started_at: now - ms_of(r.running_for),
            })
            .collect();
        running
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(Into::into)
    }

    /// Terminates the Web Worker of every job running past its hard limit
    /// (plus a grace for handlers that end at the limit by themselves) if
    /// the worker can be terminated now (see `gate.rs`); each such job ends
    /// with a `TimeoutError` whose cause is a `WorkerLostError`, and a new
    /// worker takes the old one's place. A worker that cannot be terminated
    /// yet (it runs the module's code) is tried again at the next call.
    /// The page calls this every few ms while hard limits may apply.
    /// Returns how many workers were terminated.
    pub fn supervise(&self) -> u32 {
        let mut killed = 0;
        for r in self.inner.running() {
            let Some(hard) = self.workers.hard_ms(r.worker) else {
                continue;
            };
            if ms_of(r.running_for) > hard + HARD_GRACE_MS && self.workers.kill(r.worker) {
                // Err only if the worker is gone already: nothing to do.
                let _ = self.inner.lose_worker(r.worker, Loss::Killed);
                killed += 1;
            }
        }
        killed
    }

    /// Terminates the Web Worker of every running job that can be
    /// terminated now, for `terminate()` after `abort()`: their jobs end
    /// `AbortError`s. Returns how many jobs still run.
    #[wasm_bindgen(js_name = killRunning)]
    pub fn kill_running(&self) -> usize {
        self.page.terminating.set(true);
        let running = self.inner.running();
        let left = running.len();
        let killed = running
            .into_iter()
            .filter(|r| self.workers.kill(r.worker))
            .inspect(|r| drop(self.inner.lose_worker(r.worker, Loss::Killed)))
            .count();
        left - killed
    }

    /// The Web Worker `token` is gone (the page was granted its lock, and
    /// freed the thread's stack first: see `js/api/module.js`). If it was
    /// one of this pool's and died with its loop running, without being
    /// terminated by the pool, its job ends with a `WorkerLostError` and a
    /// new worker takes its place. The workers started in place of killed
    /// ones start now if none is left (see `Workers`). Returns whether it
    /// was this pool's.
    #[wasm_bindgen(js_name = workerGone)]
    pub fn worker_gone(&self, token: u32) -> bool {
        let ours = match self.workers.gone(token) {
            Some(Some(index)) => {
                let _ = self.inner.lose_worker(index, Loss::Died);
                true
            }
            Some(None) => true,
            None => false,
        };
        if ours {
            // Replacements of killed workers wait for them to be gone.
            for index in self.workers.start_deferred() {
                let _ = self.inner.lose_worker(index, Loss::Died);
            }
        }
        ours
    }

    /// The tokens of this pool's Web Workers that are not gone yet.
    #[wasm_bindgen(js_name = workerTokens)]
    pub fn worker_tokens(&self) -> Vec<u32> {
        self.workers.tokens()
    }

    /// The token of worker `index`'s Web Worker, for the test hook that
    /// terminates it from outside (`js/api/pool.js`).
    #[wasm_bindgen(js_name = workerToken)]
    pub fn worker_token(&self, index: usize) -> Option<u32> {
        self.workers.token_of(index)
    }

    /// Jobs waiting in the queue.
    pub fn queued(&self) -> usize {
        self.inner.queued()
    }

    /// Jobs running now (cheap: no histograms, unlike `stats`).
    pub fn busy(&self) -> usize {
        self.inner.busy()
    }

    /// The queue's capacity.
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// The number of workers asked for.
    pub fn workers(&self) -> usize {
        self.inner.workers()
    }
}
