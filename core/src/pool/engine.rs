//! The pool's engine: the state workers share, the task that carries a job to
//! its outcome, and how one job is served (cancellation checks, per-job
//! context, rate limit, retries with backoff, panic containment, metrics).
//!
//! # Invariants
//! 1. Every accepted job produces exactly one outcome. A [`Task`] delivers it
//!    in [`Task::finish`]. A task carries no reference to the pool (the
//!    submitter would raise and a worker lower a shared count per job), so the
//!    places a task could be dropped unfinished deliver `Canceled(Pool)`
//!    themselves: the queue is owned by [`Shared`], whose `Drop` drains it; a
//!    worker holds the task it serves in a [`Serving`] guard.
//! 2. `counters.submitted` is raised before a task enters the queue (and
//!    lowered if it is refused), so at quiescence it equals the sum of the
//!    outcome counts. An outcome is counted once, before it is delivered: by
//!    the worker that ran the job, in its record, or else in the shared
//!    counters.
//! 3. A running job's [`CancelFunc`] is published in its worker's slot before
//!    the worker re-checks the canceled set, and `Pool::cancel` records the id
//!    before looking at the slots: one of the two always sees the other.
//! 4. An id stays in the canceled set until its outcome is delivered, or, if
//!    its job had ended before it was canceled, until the pool is next seen
//!    with no accepted job in flight (`purge_canceled`). A job whose id is
//!    above every canceled id skips the set's lock.
//!
//! # Memory ordering
//! - A job crosses from its submitter to a worker, and its outcome back,
//!   through channels, which order everything written before a send before
//!   the receive that takes it.
//! - Slot state (the running job, its cancel function, the worker's record)
//!   is under the slot's lock; the canceled set, the slots list and the
//!   exited record under their own locks. Invariant 3 rests on the slot lock:
//!   `cancel` marks the id before taking it, the worker publishes its cancel
//!   function under it before re-checking the set.
//! - `closed` and `aborted` are stored with `Release` and loaded with
//!   `Acquire`: a worker that sees the pool closed also sees what was done
//!   before closing it. `live` and `retirements_due` move by `AcqRel`
//!   read-modify-writes, so exactly one worker sees each transition (the last
//!   one out closes the results).
//! - `canceled_count` and `canceled_max` are written under the set's lock
//!   and read without it with `Acquire` as a hint: a reader that misses a
//!   fresh insert takes the slow path through the slot lock (invariant 3).
//! - Outcome counts are raised with `Release` and read with `Acquire`
//!   (`Counters`), and a worker's record is read under its slot's lock, so
//!   `settled` sees the `submitted` raise of every job it counts as ended.
//! - Per-job counters that only `metrics` reads (`retried`, rate-limit
//!   waits) are `Relaxed`: a snapshot is not a synchronization point.
//! - Every atomic and lock here comes from `crate::loom`, so the models in
//!   `tests/loom_pool.rs` explore them.
//!
//! # Deadlock safety
//! Locks are never nested, except:
//! - slot → context (canceling a job's context while holding its slot), and
//!   contexts never take slot locks;
//! - slots → exited and slots → slot → exited (a snapshot and a worker's
//!   exit): both hold the slots lock first, so they never meet half-way;
//! - merged → slots → … (a snapshot holds the record it merges into
//!   throughout): only `metrics` takes `merged`.

use std::collections::HashSet;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use crossbeam_utils::CachePadded;

use crate::chan::{Receiver, Sender};
use crate::loom::{lock, AtomicBool, AtomicU64, AtomicUsize, Mutex, Ordering};
use crate::rate_limit::RateLimitError;
use crate::runtime::{block_on, Duration, Instant, Stamp};
use crate::{CancelFunc, Context, ContextError, RateLimit, Retry, WaitGroup};

use super::metrics::{Counters, Distribution, Ended, Metrics, Record};
use super::outcome::{
    AsCurrent, CancelReason, Failure, JobId, JobInfo, Loss, Outcome, Phase, Running,
};

/// The future an async handler returns, type-erased. It is polled only on the
/// worker thread that created it, so it need not be `Send`.
pub(crate) type HandlerFuture<O, E> = Pin<Box<dyn Future<Output = Result<O, E>>>>;

/// A handler that runs the job to its end on the worker's thread.
pub(crate) type BlockingFn<J, O, E> = Box<dyn Fn(&J, &Context) -> Result<O, E> + Send + Sync>;
/// A handler that returns a future for the worker to await.
pub(crate) type AsyncFn<J, O, E> = Box<dyn Fn(&J, &Context) -> HandlerFuture<O, E> + Send + Sync>;

/// The handler, type-erased.
pub(crate) enum Handler<J, O, E> {
    Blocking(BlockingFn<J, O, E>),
    /// Its future is raced against the job's context.
    Async(AsyncFn<J, O, E>),
}

/// How one call of the handler ended.
enum Call<O, E> {
    Returned(Result<O, E>),
    Panicked(String),
    /// The job's context ended while an async handler was pending; its future
    /// was dropped.
    ContextEnded,
}

impl<O, E> Call<O, E> {
    fn caught(payload: Box<dyn std::any::Any + Send>) -> Self {
        Call::Panicked(panic_message(payload.as_ref()))
    }
}

/// Calls a blocking handler once, containing panics.
fn call_blocking<J, O, E>(
    h: &BlockingFn<J, O, E>,
    job: &J,
    ctx: &Context,
    info: JobInfo,
) -> Call<O, E> {
    let _current = AsCurrent::set(info);
    match catch_unwind(AssertUnwindSafe(|| h(job, ctx))) {
        Ok(r) => Call::Returned(r),
        Err(payload) => Call::caught(payload),
    }
}

/// A job that passed its checks and runs on a worker: what [`Shared::begin`]
/// set up for it and [`Shared::end`] needs.
struct Run<'a, J, O, E> {
    task: Serving<'a, J, O, E>,
    start: Stamp,
    /// `start` on the pool's clock.
    start_at: Duration,
    queued_for: Duration,
    ctx: Context,
    cancel: CancelFunc,
    /// The context was made for this job alone (its own deadline or parent),
    /// so it is canceled at the end rather than kept for the next job.
    fresh: bool,
    #[cfg(feature = "tracing")]
    span: tracing::span::EnteredSpan,
}

/// A job's times, as its outcome reports them.
struct Times {
    queued_for: Duration,
    ran_for: Duration,
    /// On the pool's clock.
    ended_at: Duration,
}

impl Times {
    /// A job that ended without running, `queued_for` after its submission.
    fn never_ran(queued_for: Duration, ended_at: Duration) -> Self {
        Times {
            queued_for,
            ran_for: Duration::ZERO,
            ended_at,
        }
    }
}

/// What [`Shared::lose`] needs to end the job of a worker whose thread died:
/// a copy of the job, where its outcome goes, and its times. Kept only by
/// pools built with `Builder::recover_lost_workers`.
pub(crate) struct Spare<J, O, E> {
    id: JobId,
    job: J,
    handle: Option<Sender<Outcome<J, O, E>>>,
    watch: Option<Watch<E>>,
    queued_for: Duration,
    start_at: Duration,
}

/// Copies a job for its [`Spare`].
pub(crate) type Keep<J> = fn(&J) -> J;

/// Called with the job id and message when a handler panics.
pub(crate) type PanicHook = Arc<dyn Fn(JobId, &str) + Send + Sync>;

/// Told of a job's end just before its outcome is delivered, once: the
/// [`Group`](crate::Group) a job was submitted through (`Place::submit`).
pub(crate) type Watch<E> = Arc<dyn Fn(JobId, Option<&Failure<E>>) + Send + Sync>;

/// Per-job settings given at submission.
pub(crate) struct JobOptions<E> {
    pub(crate) ctx: Option<Context>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry: Option<Retry<E>>,
    pub(crate) watch: Option<Watch<E>>,
}

/// One worker's slot: the job it runs now and what the worker measured.
pub(crate) struct Slot<J, O, E> {
    /// Padded: the worker locks it twice per job, and another worker's slot
    /// may be allocated right next to it.
    pub(crate) state: CachePadded<Mutex<SlotState<J, O, E>>>,
    /// When the worker was started, on the pool's clock.
    born: Duration,
    /// The worker's index in its pool.
    pub(crate) index: usize,
    /// Set by [`Shared::lose`]: the worker was retired from outside, and
    /// leaves without counting itself out again if its thread still runs.
    pub(crate) lost: AtomicBool,
}

pub(crate) struct SlotState<J, O, E> {
    /// The job running now: its id and its start on the pool's clock.
    current: Option<(JobId, Duration)>,
    /// The cancel of the context the worker last started a job on. A worker
    /// runs job after job on one context, so this changes only with it,
    /// which spares every job a reference count raised and lowered. (An
    /// idle worker thus keeps its last job's context allocated, ended.)
    cancel: Option<CancelFunc>,
    record: Record,
    /// The running job's spare, in pools that keep them (see
    /// [`Shared::keep`]): the worker and [`Shared::lose`] each take it out
    /// under this lock, and whoever takes it delivers the outcome.
    spare: Option<Spare<J, O, E>>,
}

impl<J, O, E> Slot<J, O, E> {
    pub(crate) fn new(index: usize, born: Duration, window: Duration) -> Self {
        Slot {
            index,
            state: CachePadded::new(Mutex::new(SlotState {
                current: None,
                cancel: None,
                record: Record::new(window),
                spare: None,
            })),
            born,
            lost: AtomicBool::new(false),
        }
    }
}

pub(crate) struct Shared<J, O, E> {
    pub(crate) handler: Handler<J, O, E>,
    /// The queue's receiving end, which the workers take jobs from. Owned
    /// here so that what is left in it when the pool is gone ends `Canceled`.
    pub(crate) jobs: Receiver<Task<J, O, E>>,
    pub(crate) results: Sender<Outcome<J, O, E>>,
    /// On cache lines of their own, away from the fields every job reads:
    /// the submitter writes them on every job. Padding also aligns `Shared`,
    /// which keeps the reference counts of its `Arc` off those fields' lines.
    pub(crate) counters: CachePadded<Counters>,
    pub(crate) ctx: Option<Context>,
    /// Parent of job contexts when neither the job nor the pool has one.
    pub(crate) root: Context,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_queue_wait: Option<Duration>,
    pub(crate) retry: Option<Retry<E>>,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) on_panic: Option<PanicHook>,
    pub(crate) aborted: AtomicBool,
    pub(crate) closed: AtomicBool,
    /// Ids canceled by `Pool::cancel` whose outcome has not been delivered.
    pub(crate) canceled: Mutex<HashSet<JobId>>,
    /// How many ids `canceled` holds: read without its lock on every job.
    pub(crate) canceled_count: AtomicUsize,
    /// The largest id ever put in `canceled`: a job with a larger id was
    /// submitted after the last cancel and skips the lock.
    pub(crate) canceled_max: AtomicU64,
    /// Raised by every insertion into `canceled`, so a purge can tell that
    /// none raced its check ([`Shared::purge_canceled`]).
    pub(crate) canceled_inserts: AtomicU64,
    pub(crate) slots: Mutex<Vec<Arc<Slot<J, O, E>>>>,
    /// What the workers that have exited measured.
    pub(crate) exited: Mutex<Record>,
    /// Where `metrics` merges every worker's record.
    pub(crate) merged: Mutex<Record>,
    /// `Builder::discard_outcomes`: outcomes without a handle go nowhere.
    pub(crate) discard: bool,
    /// The width of a window of the saturation series.
    pub(crate) window: Duration,
    pub(crate) live: AtomicUsize,
    /// Workers asked to retire by `Pool::resize` and not retired yet.
    pub(crate) retirements_due: AtomicUsize,
    /// One count per running worker, for `Pool::join` and `shutdown`.
    pub(crate) running: WaitGroup,
    pub(crate) started: Stamp,
    /// Set by `Builder::recover_lost_workers`: a copy of each running job is
    /// kept in its worker's slot, so that a lost worker's job can still end
    /// with an outcome.
    pub(crate) keep: Option<Keep<J>>,
}

/// A job on its way to its outcome.
///
/// Kept to four words for a `u64` job: a task crosses from the submitting
/// thread to a worker through the queue's buffer, and each cache line it
/// spans is one more line moved between cores per job.
pub(crate) struct Task<J, O, E> {
    pub(crate) id: JobId,
    job: J,
    pub(crate) submitted: Stamp,
    /// Boxed, and only when the job has any: most jobs have neither options
    /// nor a handle.
    extra: Option<Box<Extra<J, O, E>>>,
    /// Debug builds check that no task is dropped without its outcome.
    #[cfg(debug_assertions)]
    owed: Owed,
}

/// What few tasks carry.
struct Extra<J, O, E> {
    opts: JobOptions<E>,
    /// Where the outcome goes instead of the results channel (`Pool::run`).
    handle: Option<Sender<Outcome<J, O, E>>>,
}

/// Panics when dropped outside a panic: every task leaves through
/// [`Task::finish`] or [`Task::into_job`], which pay it; a task dropped any
/// other way would be an outcome lost.
#[cfg(debug_assertions)]
struct Owed;

#[cfg(debug_assertions)]
impl Owed {
    fn paid(self) {
        std::mem::forget(self);
    }
}

#[cfg(debug_assertions)]
impl Drop for Owed {
    fn drop(&mut self) {
        assert!(
            std::thread::panicking(),
            "a task was dropped without an outcome"
        );
    }
}

impl<J, O, E> Task<J, O, E> {
    pub(crate) fn new(
        id: JobId,
        job: J,
        opts: JobOptions<E>,
        handle: Option<Sender<Outcome<J, O, E>>>,
    ) -> Self {
        let has_opts = opts.ctx.is_some()
            || opts.timeout.is_some()
            || opts.retry.is_some()
            || opts.watch.is_some();
        Task {
            id,
            job,
            submitted: Stamp::now(),
            extra: (has_opts || handle.is_some()).then(|| Box::new(Extra { opts, handle })),
            #[cfg(debug_assertions)]
            owed: Owed,
        }
    }

    fn opts(&self) -> Option<&JobOptions<E>> {
        self.extra.as_ref().map(|x| &x.opts)
    }

    fn ctx(&self) -> Option<&Context> {
        self.opts().and_then(|o| o.ctx.as_ref())
    }

    fn timeout(&self) -> Option<Duration> {
        self.opts().and_then(|o| o.timeout)
    }

    fn retry(&self) -> Option<&Retry<E>> {
        self.opts().and_then(|o| o.retry.as_ref())
    }

    /// Drops a task whose outcome [`Shared::lose`] delivered from its spare.
    fn discard(self) {
        #[cfg(debug_assertions)]
        self.owed.paid();
    }

    /// Takes the job back out of a task the queue refused (no outcome is owed).
    pub(crate) fn into_job(self) -> J {
        #[cfg(debug_assertions)]
        self.owed.paid();
        self.job
    }

    fn job(&self) -> &J {
        &self.job
    }

    /// Delivers the outcome; consumes the task.
    fn finish(
        self,
        shared: &Shared<J, O, E>,
        result: Result<O, Failure<E>>,
        attempts: u32,
        worker: Option<usize>,
        times: Times,
    ) {
        #[cfg(debug_assertions)]
        self.owed.paid();
        let outcome = Outcome {
            id: self.id,
            job: self.job,
            result,
            attempts,
            queued_for: times.queued_for,
            ran_for: times.ran_for,
            ended_at: times.ended_at,
            worker,
        };
        let (handle, watch) = match self.extra {
            Some(x) => (x.handle, x.opts.watch),
            None => (None, None),
        };
        shared.deliver(outcome, handle, watch);
    }

    /// Ends a task that will never run: `Canceled(Pool)`.
    fn abandon(self, shared: &Shared<J, O, E>) {
        let now = Stamp::now();
        let queued_for = now - self.submitted;
        let ended_at = now.saturating_duration_since(shared.started);
        let canceled = Err(Failure::Canceled(CancelReason::Pool));
        self.finish(
            shared,
            canceled,
            0,
            None,
            Times::never_ran(queued_for, ended_at),
        );
    }
}

/// The task a worker serves. Should it be dropped before the task finishes
/// (the worker's future dropped mid-job), the task still ends, `Canceled(Pool)`.
struct Serving<'a, J, O, E> {
    task: Option<Task<J, O, E>>,
    shared: &'a Shared<J, O, E>,
    /// The slot of the worker serving it.
    slot: &'a Slot<J, O, E>,
}

impl<J, O, E> Serving<'_, J, O, E> {
    /// Lets go of the task, for the caller to finish it.
    fn release(mut self) -> Task<J, O, E> {
        self.task.take().expect("released once")
    }
}

impl<J, O, E> std::ops::Deref for Serving<'_, J, O, E> {
    type Target = Task<J, O, E>;
    fn deref(&self) -> &Task<J, O, E> {
        self.task.as_ref().expect("held until finished")
    }
}

impl<J, O, E> Drop for Serving<'_, J, O, E> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            if self.shared.take_spare(self.slot) {
                task.abandon(self.shared);
            } else {
                task.discard();
            }
        }
    }
}

impl<J, O, E> Drop for Shared<J, O, E> {
    fn drop(&mut self) {
        // The pool and its workers are gone: what is still queued never runs.
        while let Ok(task) = self.jobs.try_recv() {
            task.abandon(self);
        }
    }
}

impl<J, O, E> Shared<J, O, E> {
    /// Takes the spare out of the worker's slot as the job ends. `false`
    /// means [`lose`](Self::lose) took it first: the outcome is delivered,
    /// and the worker must drop its task without one.
    fn take_spare(&self, slot: &Slot<J, O, E>) -> bool {
        self.keep.is_none() || lock(&slot.state).spare.take().is_some()
    }

    /// Retires worker `index`, whose thread ended from outside, as
    /// `worker_exit` would; its job, if it ran one, ends `Lost(loss)`.
    /// Returns the job's id, or `Err` if no live worker has this index.
    pub(crate) fn lose(&self, index: usize, loss: Loss) -> Result<Option<JobId>, ()> {
        let now = self.uptime();
        let spare = {
            let mut slots = lock(&self.slots);
            let pos = slots.iter().position(|s| s.index == index).ok_or(())?;
            let slot = slots.remove(pos);
            slot.lost.store(true, Ordering::Release);
            let mut state = lock(&slot.state);
            let spare = state.spare.take();
            if let Some(sp) = &spare {
                let lost: Result<O, Failure<E>> = Err(Failure::Lost(loss));
                state
                    .record
                    .job(sp.queued_for, sp.start_at, now, ended(&lost));
            }
            state.current = None;
            if let Some(cancel) = state.cancel.take() {
                cancel.cancel(); // releases the job's timer
            }
            state.record.alive_for(slot.born, now);
            lock(&self.exited).merge(&state.record);
            // The dead thread holds the slot for ever: keep it small.
            state.record.shrink();
            spare
        };
        let id = spare.map(|sp| {
            let outcome = Outcome {
                id: sp.id,
                job: sp.job,
                result: Err(Failure::Lost(loss)),
                attempts: 1,
                queued_for: sp.queued_for,
                ran_for: now.saturating_sub(sp.start_at),
                ended_at: now,
                worker: Some(index),
            };
            self.deliver(outcome, sp.handle, sp.watch);
            sp.id
        });
        self.left();
        Ok(id)
    }

    fn deliver(
        &self,
        outcome: Outcome<J, O, E>,
        handle: Option<Sender<Outcome<J, O, E>>>,
        watch: Option<Watch<E>>,
    ) {
        #[cfg(feature = "metrics")]
        metrics::counter!("brigade_jobs_total", "outcome" => match &outcome.result {
            Ok(_) => "succeeded",
            Err(f) => f.kind(),
        })
        .increment(1);
        if outcome.worker.is_none() {
            // A job that ran was counted in its worker's record.
            self.counters.ended(ended(&outcome.result));
        }
        if self.may_be_canceled(outcome.id) {
            let mut set = lock(&self.canceled);
            if set.remove(&outcome.id) {
                self.canceled_count.fetch_sub(1, Ordering::AcqRel);
            }
        }
        // Before the outcome is out: whoever holds it finds the job's group
        // already told.
        if let Some(watch) = watch {
            watch(outcome.id, outcome.result.as_ref().err());
        }
        // Neither send can wait: a handle holds one slot for its one outcome,
        // and results are unbounded. Both fail only if no one is listening.
        match handle {
            Some(h) => drop(h.try_send(outcome)),
            None if self.discard => {}
            None => drop(self.results.try_send(outcome)),
        }
    }

    /// Whether `id` could be in `canceled`, read without its lock.
    fn may_be_canceled(&self, id: JobId) -> bool {
        self.canceled_count.load(Ordering::Acquire) > 0
            && id <= self.canceled_max.load(Ordering::Acquire)
    }

    pub(crate) fn is_canceled(&self, id: JobId) -> bool {
        self.may_be_canceled(id) && lock(&self.canceled).contains(&id)
    }

    /// Records `id` as canceled (`Pool::cancel`), for the worker that takes
    /// it from the queue and for the delivery of its outcome, which removes it.
    pub(crate) fn mark_canceled(&self, id: JobId) {
        let mut set = lock(&self.canceled);
        self.canceled_inserts.fetch_add(1, Ordering::AcqRel);
        if set.insert(id) {
            self.canceled_max.fetch_max(id, Ordering::AcqRel);
            self.canceled_count.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// `Pool::cancel` of an id that was handed out.
    pub(crate) fn cancel(&self, id: JobId) -> bool {
        self.mark_canceled(id);
        let running = self.cancel_running(|running| running == id) > 0;
        // An id whose job already ended stays in the set only until the pool
        // is next idle; if it is idle now, it goes now.
        self.purge_canceled();
        running
    }

    /// Empties `canceled` if no accepted job is in flight: then every id in
    /// it belongs to a job that ended before it was canceled, and would stay
    /// for ever, since no delivery is left to remove it. Called by `cancel`
    /// and by a worker that found the queue empty, so such ids go at the
    /// pool's next idle moment.
    pub(crate) fn purge_canceled(&self) {
        if self.canceled_count.load(Ordering::Acquire) == 0 {
            return;
        }
        let inserts = self.canceled_inserts.load(Ordering::Acquire);
        if !self.settled() {
            return;
        }
        let mut set = lock(&self.canceled);
        // An id canceled since `settled` looked may be a job submitted since.
        if self.canceled_inserts.load(Ordering::Acquire) == inserts {
            set.clear();
            self.canceled_count.store(0, Ordering::Release);
        }
    }

    /// Whether every job accepted so far has ended. The outcome counts are
    /// read before `submitted`, and a job is counted as submitted before it
    /// can end: so equal counts mean the jobs that had ended when the counts
    /// were read are all the jobs accepted by the time `submitted` was.
    fn settled(&self) -> bool {
        let ran: u64 = {
            let slots = lock(&self.slots);
            let mut n = lock(&self.exited).ended().total();
            for slot in slots.iter() {
                n += lock(&slot.state).record.ended().total();
            }
            n
        };
        let ended = ran + self.counters.tally().total();
        ended == self.counters.submitted.load(Ordering::Acquire)
    }

    fn pool_done(&self) -> bool {
        self.aborted.load(Ordering::Acquire) || self.ctx.as_ref().is_some_and(Context::is_done)
    }

    /// Why `ctx` ended, as a failure.
    fn ctx_failure(&self, err: ContextError) -> Failure<E> {
        match err {
            ContextError::DeadlineExceeded => Failure::TimedOut(Phase::Running),
            _ if self.pool_done() => Failure::Canceled(CancelReason::Pool),
            _ => Failure::Canceled(CancelReason::Job),
        }
    }

    /// Cancels the running jobs whose id `pick` selects.
    pub(crate) fn cancel_running(&self, pick: impl Fn(JobId) -> bool) -> usize {
        let slots: Vec<Arc<Slot<J, O, E>>> = lock(&self.slots).clone();
        let mut n = 0;
        for slot in slots {
            let state = lock(&slot.state);
            if let (Some((id, _)), Some(cancel)) = (state.current, &state.cancel) {
                if pick(id) {
                    cancel.cancel();
                    n += 1;
                }
            }
        }
        n
    }

    /// Runs one task to its outcome on worker `index`. The future completes in
    /// one poll unless the job waits: for the rate limit, a retry's backoff, or
    /// an async handler.
    /// Returns `false` if the worker was lost meanwhile ([`lose`](Self::lose)):
    /// it must leave (its `worker_exit` does nothing).
    pub(crate) async fn serve(
        &self,
        task: Task<J, O, E>,
        index: usize,
        slot: &Slot<J, O, E>,
        reuse: &mut Option<(Context, CancelFunc)>,
    ) -> bool {
        if let Some(run) = self.begin(task, index, slot, reuse) {
            let ran = self.attempts(&run.task, &run.ctx).await;
            self.end(run, ran, index, slot, reuse);
        }
        !slot.lost.load(Ordering::Acquire)
    }

    /// [`serve`](Self::serve) for a thread that may block: a native worker, or
    /// a Web Worker started to block (`WebWorkerSpawner::blocking` in `wasm`).
    /// A blocking handler with no retry and no rate limit, the common case,
    /// is called directly, without building a future: in a pool stripped of
    /// all other per-job work, the future and its poll took about 40 of 165
    /// ns per no-op job (`pool/brigade` in `core/benches/pool.rs`). A job
    /// that may wait goes through `serve`'s future.
    pub(crate) fn serve_blocking(
        &self,
        task: Task<J, O, E>,
        index: usize,
        slot: &Slot<J, O, E>,
        reuse: &mut Option<(Context, CancelFunc)>,
    ) -> bool {
        let Some(run) = self.begin(task, index, slot, reuse) else {
            return !slot.lost.load(Ordering::Acquire);
        };
        let ran = match &self.handler {
            Handler::Blocking(h)
                if self.rate_limit.is_none() && self.retry_for(&run.task).is_none() =>
            {
                let info = JobInfo {
                    id: run.task.id,
                    attempt: 1,
                };
                let call = call_blocking(h, run.task.job(), &run.ctx, info);
                let result = self.settle(run.task.id, &run.ctx, call);
                (result.unwrap_or_else(|e| Err(Failure::Error(e))), 1)
            }
            _ => block_on(self.attempts(&run.task, &run.ctx)),
        };
        self.end(run, ran, index, slot, reuse);
        !slot.lost.load(Ordering::Acquire)
    }

    /// Checks a task before it runs, ending it if it must not run, and sets up
    /// its run: the clock, the job's context, its worker's slot.
    fn begin<'a>(
        &'a self,
        task: Task<J, O, E>,
        #[cfg_attr(not(feature = "tracing"), allow(unused_variables))] index: usize,
        slot: &'a Slot<J, O, E>,
        reuse: &mut Option<(Context, CancelFunc)>,
    ) -> Option<Run<'a, J, O, E>> {
        let task = Serving {
            task: Some(task),
            shared: self,
            slot,
        };
        let start = Stamp::now();
        let queued_for = start - task.submitted;
        let start_at = start.saturating_duration_since(self.started);
        let never = |task: Serving<'_, J, O, E>, f: Failure<E>| {
            task.release().finish(
                self,
                Err(f),
                0,
                None,
                Times::never_ran(queued_for, start_at),
            );
            None
        };

        if self.pool_done() {
            return never(task, Failure::Canceled(CancelReason::Pool));
        }
        if self.is_canceled(task.id) {
            return never(task, Failure::Canceled(CancelReason::Job));
        }
        if let Some(err) = task.ctx().and_then(Context::err) {
            let f = match err {
                ContextError::DeadlineExceeded => Failure::TimedOut(Phase::Queued),
                _ => Failure::Canceled(CancelReason::Job),
            };
            return never(task, f);
        }
        // Its deadline passed while it was queued, though the timer that ends
        // the context has not fired yet (a loaded host runs it late).
        if task
            .ctx()
            .and_then(Context::deadline)
            .is_some_and(|d| d <= Instant::now())
        {
            return never(task, Failure::TimedOut(Phase::Queued));
        }
        if self.max_queue_wait.is_some_and(|max| queued_for > max) {
            return never(task, Failure::TimedOut(Phase::Queued));
        }

        // The job's own context: under the submitter's, else the pool's. A job
        // with no deadline of its own reuses its worker's context, as long as
        // no cancellation has touched it (the common case costs no allocation).
        let timeout = task.timeout().or(self.timeout);
        let parent = task.ctx().or(self.ctx.as_ref()).unwrap_or(&self.root);
        let fresh = task.ctx().is_some() || timeout.is_some();
        let (ctx, cancel) = match (timeout, reuse.take()) {
            (Some(t), kept) => {
                *reuse = kept;
                Context::with_timeout(parent, t)
            }
            (None, Some(kept)) if !fresh && !kept.0.is_done() => kept,
            (None, _) => Context::with_cancel(parent),
        };
        let spare = self.keep.map(|keep| Spare {
            id: task.id,
            job: keep(task.job()),
            handle: task.extra.as_ref().and_then(|x| x.handle.clone()),
            watch: task.opts().and_then(|o| o.watch.clone()),
            queued_for,
            start_at,
        });
        {
            let mut state = lock(&slot.state);
            state.current = Some((task.id, start_at));
            if !state.cancel.as_ref().is_some_and(|c| c.same(&cancel)) {
                state.cancel = Some(cancel.clone());
            }
            if spare.is_some() {
                state.spare = spare;
            }
        }
        if self.is_canceled(task.id) || self.pool_done() {
            cancel.cancel(); // a cancel(id) or abort that raced the start
        }
        #[cfg(feature = "tracing")]
        let span = tracing::info_span!("brigade.job", id = task.id, worker = index).entered();
        Some(Run {
            task,
            start,
            start_at,
            queued_for,
            ctx,
            cancel,
            fresh,
            #[cfg(feature = "tracing")]
            span,
        })
    }

    /// Ends a run: records it in the worker's slot, keeps the context for the
    /// next job if it is untouched, and delivers the outcome.
    fn end(
        &self,
        run: Run<'_, J, O, E>,
        (result, attempts): (Result<O, Failure<E>>, u32),
        index: usize,
        slot: &Slot<J, O, E>,
        reuse: &mut Option<(Context, CancelFunc)>,
    ) {
        #[cfg(feature = "tracing")]
        {
            tracing::debug!(attempts, ok = result.is_ok(), "job ended");
            drop(run.span);
        }
        let ran_for = run.start.elapsed();
        let end = run.start_at + ran_for;
        {
            let mut state = lock(&slot.state);
            if self.keep.is_some() && state.spare.take().is_none() {
                // Lost: `lose` delivered the outcome and retired the slot.
                drop(state);
                run.cancel.cancel();
                let Run { task, .. } = run;
                task.release().discard();
                return;
            }
            state.current = None;
            state
                .record
                .job(run.queued_for, run.start_at, end, ended(&result));
        }
        if run.fresh || run.ctx.is_done() {
            run.cancel.cancel(); // releases the context's timer, as Go's `defer cancel()`
        } else if reuse.is_none() {
            *reuse = Some((run.ctx, run.cancel));
        }
        #[cfg(feature = "metrics")]
        {
            metrics::histogram!("brigade_job_wait_seconds").record(run.queued_for.as_secs_f64());
            metrics::histogram!("brigade_job_run_seconds").record(ran_for.as_secs_f64());
        }
        let times = Times {
            queued_for: run.queued_for,
            ran_for,
            ended_at: end,
        };
        run.task
            .release()
            .finish(self, result, attempts, Some(index), times);
    }

    /// The retry policy that applies to `task`: its own, else the pool's.
    fn retry_for<'a>(&'a self, task: &'a Task<J, O, E>) -> Option<&'a Retry<E>> {
        task.retry().or(self.retry.as_ref())
    }

    /// Runs the handler until it succeeds, fails for good, or its context ends.
    async fn attempts(&self, task: &Task<J, O, E>, ctx: &Context) -> (Result<O, Failure<E>>, u32) {
        let retry = self.retry_for(task);
        if let Some(r) = retry {
            r.deposit();
        }
        let mut attempts = 0;
        loop {
            if let Some(limit) = &self.rate_limit {
                // Boxed here and below: a future's size is that of its largest
                // await, and these rare waits would otherwise make every
                // job's future (moved into the worker's executor) 1 KiB.
                match Box::pin(limit.wait_async(ctx)).await {
                    Ok(waited) => {
                        if waited {
                            Counters::bump(&self.counters.rate_limited_waits);
                        }
                    }
                    Err(RateLimitError::Canceled(e)) => {
                        return (Err(self.ctx_failure(e)), attempts)
                    }
                    Err(RateLimitError::WouldBlockOnMainThread) => {
                        unreachable!("wait_async does not block")
                    }
                }
            }
            attempts += 1;
            let info = JobInfo {
                id: task.id,
                attempt: attempts,
            };
            let call = self.call(task.job(), ctx, info).await;
            let err = match self.settle(task.id, ctx, call) {
                Ok(result) => return (result, attempts),
                Err(e) => e,
            };
            let Some(r) = retry.filter(|r| r.should_retry(attempts, &err)) else {
                return (Err(Failure::Error(err)), attempts);
            };
            Counters::bump(&self.counters.retried);
            #[cfg(feature = "metrics")]
            metrics::counter!("brigade_retries_total").increment(1);
            if let Err(e) = Box::pin(ctx.sleep_async(r.delay(attempts))).await {
                return (Err(self.ctx_failure(e)), attempts);
            }
        }
    }

    /// What one call of the handler means for the job: its final result, or
    /// `Err` with the handler's error when a retry may still follow (the
    /// handler failed and its context is still live).
    fn settle(
        &self,
        id: JobId,
        ctx: &Context,
        call: Call<O, E>,
    ) -> Result<Result<O, Failure<E>>, E> {
        let err = match call {
            Call::Returned(Ok(v)) => return Ok(Ok(v)),
            Call::Returned(Err(e)) => e,
            Call::Panicked(msg) => {
                if let Some(hook) = &self.on_panic {
                    hook(id, &msg);
                }
                return Ok(Err(Failure::Panicked(msg)));
            }
            Call::ContextEnded => {
                let e = ctx.err().unwrap_or(ContextError::Canceled);
                return Ok(Err(self.ctx_failure(e)));
            }
        };
        match ctx.err() {
            Some(e) => Ok(Err(self.ctx_failure(e))),
            None => Err(err),
        }
    }

    /// Calls the handler once, containing panics. An async handler's future is
    /// raced against the job's context: if the context ends first, the future
    /// is dropped (canceled at its current await point).
    async fn call(&self, job: &J, ctx: &Context, info: JobInfo) -> Call<O, E> {
        match &self.handler {
            Handler::Blocking(h) => call_blocking(h, job, ctx, info),
            Handler::Async(h) => {
                let made = {
                    let _current = AsCurrent::set(info);
                    catch_unwind(AssertUnwindSafe(|| h(job, ctx)))
                };
                let mut fut = match made {
                    Ok(fut) => fut,
                    Err(payload) => return Call::caught(payload),
                };
                let mut done = Box::pin(ctx.done().recv_async());
                poll_fn(|cx| {
                    let polled = {
                        let _current = AsCurrent::set(info);
                        catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(cx)))
                    };
                    match polled {
                        Ok(Poll::Ready(r)) => return Poll::Ready(Call::Returned(r)),
                        Ok(Poll::Pending) => {}
                        Err(payload) => return Poll::Ready(Call::caught(payload)),
                    }
                    match done.as_mut().poll(cx) {
                        Poll::Ready(_) => Poll::Ready(Call::ContextEnded),
                        Poll::Pending => Poll::Pending,
                    }
                })
                .await
            }
        }
    }

    /// A worker is leaving: keep what it measured, and close the results after
    /// the last one once the pool no longer takes jobs. Does nothing for a
    /// worker [`lose`](Self::lose) retired.
    pub(crate) fn worker_exit(&self, slot: &Arc<Slot<J, O, E>>) {
        {
            // Under the slots lock, as a snapshot reads them: the worker's
            // record moves to `exited` unseen, never counted twice or missed.
            let now = self.uptime();
            let mut slots = lock(&self.slots);
            if slot.lost.load(Ordering::Acquire) {
                return; // `lose` retired it already
            }
            slots.retain(|s| !Arc::ptr_eq(s, slot));
            let mut state = lock(&slot.state);
            state.record.alive_for(slot.born, now);
            lock(&self.exited).merge(&state.record);
        }
        self.left();
    }

    /// One worker fewer: close the results after the last one once the pool
    /// no longer takes jobs.
    fn left(&self) {
        let left = self.live.fetch_sub(1, Ordering::AcqRel) - 1;
        if left == 0 && self.closed.load(Ordering::Acquire) {
            // No worker goes idle again to drop canceled ids of jobs that had
            // ended: the last one out does, before `join` can return.
            self.purge_canceled();
            self.results.close();
        }
        self.running.done();
    }

    /// Takes one pending retirement, if any.
    pub(crate) fn take_retirement(&self) -> bool {
        self.retirements_due
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    pub(crate) fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The number of workers running a job now.
    pub(crate) fn busy(&self) -> usize {
        let slots = lock(&self.slots);
        let running = |s: &&Arc<Slot<J, O, E>>| lock(&s.state).current.is_some();
        slots.iter().filter(running).count()
    }

    /// The jobs running now, one per busy worker, in worker order.
    pub(crate) fn running(&self) -> Vec<Running> {
        let slots = lock(&self.slots);
        let now = self.uptime();
        let mut running: Vec<Running> = slots
            .iter()
            .filter_map(|slot| {
                let (id, start) = lock(&slot.state).current?;
                Some(Running {
                    id,
                    worker: slot.index,
                    running_for: now.saturating_sub(start),
                })
            })
            .collect();
        running.sort_unstable_by_key(|r| r.worker);
        running
    }

    /// A snapshot of the counters and of every worker's record, with the
    /// time of the workers alive and the jobs running now added in.
    pub(crate) fn metrics(&self, queued: usize, capacity: usize) -> Metrics {
        let c = &self.counters;
        // Merged into the same record every time: no histogram is allocated
        // per snapshot.
        let mut all = lock(&self.merged);
        all.clear();
        let mut busy = 0;
        let now = {
            let slots = lock(&self.slots);
            let now = self.uptime();
            all.merge(&lock(&self.exited));
            for slot in slots.iter() {
                let state = lock(&slot.state);
                all.merge(&state.record);
                all.alive_for(slot.born, now);
                if let Some((_, start)) = state.current {
                    all.busy_for(start, now);
                    busy += 1;
                }
            }
            now
        };
        let (saturation_series, saturation) = all.saturation(now);
        let (busy_time, worker_time) = all.totals();
        let workers = self.live.load(Ordering::Acquire);
        let busy = busy.min(workers);
        let (shared, ran) = (c.tally(), all.ended());
        let ended = |e: Ended| shared.get(e) + ran.get(e);
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Metrics {
            workers,
            busy,
            idle: workers - busy,
            queued,
            capacity,
            submitted: load(&c.submitted),
            succeeded: ended(Ended::Succeeded),
            failed: ended(Ended::Failed),
            canceled: ended(Ended::Canceled),
            timed_out: ended(Ended::TimedOut),
            panicked: ended(Ended::Panicked),
            lost: ended(Ended::Lost),
            retried: load(&c.retried),
            rate_limited_waits: load(&c.rate_limited_waits),
            wait: Distribution::of(all.wait()),
            run: Distribution::of(all.run()),
            busy_time,
            worker_time,
            saturation,
            saturation_series,
            saturation_window: self.window,
        }
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-string payload".to_owned()
    }
}

/// How `result` ended, as the counters count it.
fn ended<O, E>(result: &Result<O, Failure<E>>) -> Ended {
    match result {
        Ok(_) => Ended::Succeeded,
        Err(Failure::Error(_)) => Ended::Failed,
        Err(Failure::Panicked(_)) => Ended::Panicked,
        Err(Failure::Canceled(_)) => Ended::Canceled,
        Err(Failure::TimedOut(_) | Failure::Lost(Loss::Killed)) => Ended::TimedOut,
        Err(Failure::Lost(_)) => Ended::Lost,
    }
}

#[cfg(test)]
mod tests {
    use super::Task;

    #[test]
    #[cfg_attr(miri, ignore = "under Miri the clock is std's `Instant`, two words")]
    fn a_task_with_a_word_sized_job_is_four_words() {
        // Every job's task crosses between cores through the queue: keep it to
        // half a cache line. (The debug builds' guard is zero-sized.)
        assert_eq!(std::mem::size_of::<Task<u64, u64, ()>>(), 32);
    }
}
