//! What a job ends as: exactly one [`Outcome`] per accepted job, delivered to
//! the pool's results channel or to the job's [`JobHandle`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use crate::chan::{Receiver, RecvError};
use crate::runtime::{Duration, WouldBlockOnMainThread};

/// Identifies one submitted job; unique within its pool, increasing from 1.
pub type JobId = u64;

/// Where a job was when its time limit passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Waiting in the queue longer than the pool's `max_queue_wait`.
    Queued,
    /// Running longer than its timeout.
    Running,
}

/// Why a job was canceled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CancelReason {
    /// `Pool::cancel(id)`, or the context given at submission was canceled.
    Job,
    /// The pool was aborted (`abort`, or `shutdown` past its deadline).
    Pool,
}

/// Why a job produced no value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Failure<E> {
    /// The handler returned this error (after any retries).
    Error(E),
    /// The handler panicked with this message; the pool kept serving.
    Panicked(String),
    /// The job was canceled before or while it ran.
    Canceled(CancelReason),
    /// The job ran out of time.
    TimedOut(Phase),
    /// The worker running the job was lost: its thread ended from outside
    /// (see [`Pool::lose_worker`](crate::Pool::lose_worker)).
    Lost(Loss),
}

/// Why a worker was lost, as [`Pool::lose_worker`](crate::Pool::lose_worker)
/// is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Loss {
    /// Its thread died (terminated from outside, crashed, out of memory).
    Died,
    /// It was stopped on purpose because its job ran past a hard time
    /// limit (in the browser: its Web Worker was terminated).
    Killed,
}

impl<E> Failure<E> {
    /// A short, stable name for metrics and logs: `error`, `panicked`,
    /// `canceled`, `timed_out` (a worker killed past its job's hard limit
    /// included), `lost`.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Error(_) => "error",
            Failure::Panicked(_) => "panicked",
            Failure::Canceled(_) => "canceled",
            Failure::TimedOut(_) | Failure::Lost(Loss::Killed) => "timed_out",
            Failure::Lost(_) => "lost",
        }
    }
}

impl<E: fmt::Display> fmt::Display for Failure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Error(e) => write!(f, "job failed: {e}"),
            Failure::Panicked(m) => write!(f, "job panicked: {m}"),
            Failure::Canceled(CancelReason::Job) => f.write_str("job canceled"),
            Failure::Canceled(CancelReason::Pool) => {
                f.write_str("job canceled: the pool was aborted")
            }
            Failure::TimedOut(Phase::Queued) => f.write_str("job timed out waiting in the queue"),
            Failure::TimedOut(Phase::Running) => f.write_str("job timed out while running"),
            Failure::Lost(Loss::Died) => f.write_str("job lost: its worker's thread died"),
            Failure::Lost(Loss::Killed) => {
                f.write_str("job timed out: its worker was killed past the hard time limit")
            }
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for Failure<E> {}

/// What happened to one job. Every accepted job produces exactly one.
#[derive(Debug)]
#[non_exhaustive]
pub struct Outcome<J, O, E> {
    /// The id the submission returned.
    pub id: JobId,
    /// The job itself, handed back whatever happened.
    pub job: J,
    /// The handler's value, or why there is none.
    pub result: Result<O, Failure<E>>,
    /// How many times the handler ran (0 if the job never started).
    pub attempts: u32,
    /// Time from submission to the first start (or to being dropped from the queue).
    pub queued_for: Duration,
    /// Time from the first start to the end, retries and backoff included.
    pub ran_for: Duration,
    /// When the job ended, on the pool's clock: the time since the pool was
    /// built ([`Pool::uptime`](crate::Pool::uptime)). With `ran_for` and
    /// `queued_for` it places the job on a timeline.
    pub ended_at: Duration,
    /// Index of the worker that ran it; `None` if it never ran.
    pub worker: Option<usize>,
}

impl<J, O, E> Outcome<J, O, E> {
    /// Whether the job produced a value.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// A job running now, as [`Pool::running`](crate::Pool::running) reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Running {
    /// The job's id.
    pub id: JobId,
    /// Index of the worker running it.
    pub worker: usize,
    /// Time since its first start, retries and backoff included.
    pub running_for: Duration,
}

/// The job a handler is running, from inside it: [`current_job`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct JobInfo {
    /// The job's id, as `submit` returned it.
    pub id: JobId,
    /// Which attempt this call is: 1, then 2 for the first retry, and so on.
    pub attempt: u32,
}

thread_local! {
    static CURRENT: std::cell::Cell<Option<JobInfo>> = const { std::cell::Cell::new(None) };
}

/// The job the calling handler is running, or `None` outside a handler.
/// Inside an async handler, it answers while the worker polls the handler's
/// future (the handler's own code), not on threads the future hands work to.
///
/// ```
/// use brigade::pool::current_job;
/// use brigade::{Context, Pool};
///
/// let pool = Pool::builder()
///     .workers(1)
///     .build(|_: &(), _: &Context| Ok::<_, ()>(current_job().map(|j| (j.id, j.attempt))))
///     .unwrap();
/// let handle = pool.run(()).unwrap();
/// let id = handle.id();
/// assert_eq!(handle.wait().unwrap().result, Ok(Some((id, 1))));
/// assert_eq!(current_job(), None);
/// ```
pub fn current_job() -> Option<JobInfo> {
    CURRENT.with(std::cell::Cell::get)
}

/// Makes `info` the [`current_job`] until dropped, then restores the one
/// before. A guard rather than a closure around the call: on `wasm32` with
/// exception handling, LLVM's optimizer crashes (SIGSEGV, nightly-2026-05-20)
/// on the closure form nested around `catch_unwind` in the async handler's
/// poll.
pub(crate) struct AsCurrent(Option<JobInfo>);

impl AsCurrent {
    pub(crate) fn set(info: JobInfo) -> Self {
        AsCurrent(CURRENT.with(|c| c.replace(Some(info))))
    }
}

impl Drop for AsCurrent {
    fn drop(&mut self) {
        let before = self.0;
        CURRENT.with(|c| c.set(before));
    }
}

/// The one outcome of a job submitted with `Pool::run`.
///
/// Wait for it with [`wait`](Self::wait), or `.await` it.
#[derive(Debug)]
pub struct JobHandle<J, O, E> {
    pub(crate) id: JobId,
    pub(crate) rx: Receiver<Outcome<J, O, E>>,
    /// For [`cancel`](Self::cancel); a handle does not keep the pool.
    pub(crate) pool: std::sync::Weak<super::engine::Shared<J, O, E>>,
}

/// [`JobHandle::wait`] could not produce the outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandleError {
    /// Waiting would block a thread that must not block.
    WouldBlockOnMainThread,
}

impl fmt::Display for HandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        WouldBlockOnMainThread.fmt(f)
    }
}

impl std::error::Error for HandleError {}

impl<J, O, E> JobHandle<J, O, E> {
    /// The job's id.
    pub fn id(&self) -> JobId {
        self.id
    }

    /// Cancels the job, as `Pool::cancel(id)`: if it is queued, it ends
    /// `Canceled` without running; if it is running, its context is
    /// canceled. Returns whether a running job was canceled now.
    pub fn cancel(&self) -> bool {
        self.pool.upgrade().is_some_and(|p| p.cancel(self.id))
    }

    /// Waits for the outcome.
    ///
    /// # Errors
    /// [`HandleError::WouldBlockOnMainThread`] where the thread must not block.
    pub fn wait(self) -> Result<Outcome<J, O, E>, HandleError> {
        match self.rx.recv() {
            Ok(o) => Ok(o),
            Err(RecvError::WouldBlockOnMainThread) => Err(HandleError::WouldBlockOnMainThread),
            Err(_) => unreachable!("a job handle's channel closes only after its outcome"),
        }
    }

    /// The outcome if it is there already.
    pub fn try_wait(&self) -> Option<Outcome<J, O, E>> {
        self.rx.try_recv().ok()
    }
}

impl<J: Send + 'static, O: Send + 'static, E: Send + 'static> IntoFuture for JobHandle<J, O, E> {
    type Output = Outcome<J, O, E>;
    type IntoFuture = Pin<Box<dyn Future<Output = Outcome<J, O, E>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            match self.rx.recv_async().await {
                Ok(o) => o,
                Err(_) => unreachable!("a job handle's channel closes only after its outcome"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn an_outcome_of_word_sized_values_is_fourteen_words() {
        // `bench/go/pool/main.go` moves results of this size (`sizedResult`)
        // to read the cost of the outcome's size alone; it must follow.
        assert_eq!(std::mem::size_of::<Outcome<u64, u64, ()>>(), 112);
    }
}
