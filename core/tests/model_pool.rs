//! The pool's outcome accounting against a model of its lifecycle: random
//! sequences of `submit`, `try_submit`, `cancel`, `resize`, `close` and
//! `abort` on a small pool (1 to 3 workers, a queue of 0 to 4), with jobs
//! that succeed, fail, panic or sleep briefly, as their value says.
//!
//! The model cannot say when a worker takes a job, so it does not predict
//! outcomes; it records what each job may end as, and checks the pool
//! against it as each operation returns and at the end (close, every
//! outcome read, join):
//! - a closed pool refuses every submission, and a refused one hands its job
//!   back; an open pool's `submit` accepts, with an id above every earlier one;
//! - every accepted id has exactly one outcome, which hands its job back;
//! - a job that never ran ended `Canceled`: `Job` only if `cancel(id)` came
//!   after it was accepted, `Pool` only if `abort` did; after `abort`, at
//!   least as many jobs ended so as were still queued when it returned;
//! - a job that ran ended as its value says: a value, its error or its
//!   panic, or, if it looks at its context (fails or sleeps), `Canceled` as
//!   above; `cancel` returned `true` only for a job that ran;
//! - `metrics()` counts every outcome by kind, and `submitted` is their sum;
//!   `on_panic` saw each panic; no canceled id stays (`pending_cancels`).
//!
//! Plain proptest over generated operation sequences, not
//! `proptest-state-machine`: what the pool does next depends on its
//! workers' timing (whether `try_submit` finds room, whether a canceled job
//! had started), which a reference state machine cannot know in advance.
//!
//! `PROPTEST_CASES` sequences (proptest's default, 256, unless set: the deep
//! run, `make check-deep`, sets 10,000).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Once};
use std::thread;
use std::time::Duration;

use brigade::chan::{RecvTimeoutError, SendError, TrySendError};
use brigade::pool::{BuildError, CancelReason, Failure, JobId, Outcome};
use brigade::{Context, Pool};
use proptest::collection::vec;
use proptest::prelude::*;

/// The message of the jobs that panic on purpose; a panic hook keeps them quiet.
const PANIC: &str = "model_pool: a job panicked on purpose";

/// How long the end of a sequence may wait for each outcome before the
/// test calls the pool stuck.
const STUCK: Duration = Duration::from_secs(30);

/// What a job does when it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Succeed,
    Fail,
    Panic,
    /// Sleeps this many microseconds, unless its context ends first (then it
    /// fails, and the pool reports why the context ended).
    Sleep(u16),
}

/// A job: its kind and a tag that tells it apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Work {
    tag: u32,
    kind: Kind,
}

type Model = Pool<Work, u32, u32>;

/// Ends each job as its value says.
fn handler(w: &Work, ctx: &Context) -> Result<u32, u32> {
    match w.kind {
        Kind::Succeed => Ok(w.tag),
        Kind::Fail => Err(w.tag),
        Kind::Panic => std::panic::panic_any(PANIC),
        Kind::Sleep(us) => match ctx.done().recv_timeout(Duration::from_micros(us.into())) {
            Err(RecvTimeoutError::Timeout) => Ok(w.tag),
            _ => Err(w.tag),
        },
    }
}

/// Keeps the jobs' own panics out of the output; every other panic (a
/// failed assertion) is reported as usual.
fn quiet_job_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&PANIC) {
                report(info);
            }
        }));
    });
}

/// Which id `cancel` is given.
#[derive(Clone, Copy, Debug)]
enum Target {
    /// An accepted job's, by position among them (modulo their number).
    Accepted(usize),
    /// 0, which no job has.
    Zero,
    /// An id far above any issued.
    Unissued,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Submit(Kind),
    TrySubmit(Kind),
    Cancel(Target),
    /// `resize(n)`; 0 must be refused.
    Resize(usize),
    Close,
    Abort,
    /// The test thread sleeps this many microseconds, letting jobs run.
    Pause(u16),
}

/// What the model knows of one accepted job.
#[derive(Debug)]
struct Job {
    work: Work,
    /// `cancel(id)` was called after it was accepted.
    canceled: bool,
    /// One of those calls returned `true`: the job was running.
    seen_running: bool,
    /// `abort` was called after it was accepted.
    aborted: bool,
}

struct Run {
    pool: Model,
    panics: Arc<AtomicU64>,
    jobs: HashMap<JobId, Job>,
    /// Accepted ids in order.
    order: Vec<JobId>,
    closed: bool,
    /// The most jobs `queued()` reported right after an `abort` returned.
    queued_at_abort: usize,
    tags: u32,
}

impl Run {
    fn new(workers: usize, queue: usize) -> Self {
        let panics = Arc::new(AtomicU64::new(0));
        let seen = panics.clone();
        let pool = Pool::builder()
            .workers(workers)
            .queue(queue)
            .on_panic(move |_, msg| {
                assert_eq!(msg, PANIC);
                seen.fetch_add(1, Ordering::SeqCst);
            })
            .build(handler)
            .expect("a small pool builds");
        Run {
            pool,
            panics,
            jobs: HashMap::new(),
            order: Vec::new(),
            closed: false,
            queued_at_abort: 0,
            tags: 0,
        }
    }

    fn work(&mut self, kind: Kind) -> Work {
        self.tags += 1;
        Work {
            tag: self.tags,
            kind,
        }
    }

    fn accept(&mut self, id: JobId, work: Work) {
        if let Some(&last) = self.order.last() {
            assert!(id > last, "id {id} after {last}");
        }
        let job = Job {
            work,
            canceled: false,
            seen_running: false,
            aborted: false,
        };
        assert!(self.jobs.insert(id, job).is_none(), "id {id} given twice");
        self.order.push(id);
    }

    fn run(&mut self, op: Op) {
        match op {
            Op::Submit(kind) => {
                let work = self.work(kind);
                match self.pool.submit(work) {
                    Ok(id) => {
                        assert!(!self.closed, "submit: a closed pool accepted {work:?}");
                        self.accept(id, work);
                    }
                    Err(SendError::Closed(back)) => {
                        assert!(self.closed, "submit: an open pool refused {work:?}");
                        assert_eq!(back, work, "submit: the refused job came back changed");
                    }
                    Err(e) => panic!("submit: unexpected {e:?}"),
                }
            }
            Op::TrySubmit(kind) => {
                let work = self.work(kind);
                match self.pool.try_submit(work) {
                    Ok(id) => {
                        assert!(!self.closed, "try_submit: a closed pool accepted {work:?}");
                        self.accept(id, work);
                    }
                    Err(TrySendError::Full(back)) => {
                        assert!(!self.closed, "try_submit: a closed pool said Full");
                        assert_eq!(back, work, "try_submit: the refused job came back changed");
                    }
                    Err(TrySendError::Closed(back)) => {
                        assert!(self.closed, "try_submit: an open pool said Closed");
                        assert_eq!(back, work, "try_submit: the refused job came back changed");
                    }
                    Err(e) => panic!("try_submit: unexpected {e:?}"),
                }
            }
            Op::Cancel(Target::Accepted(i)) => {
                if self.order.is_empty() {
                    return;
                }
                let id = self.order[i % self.order.len()];
                let running = self.pool.cancel(id);
                let job = self.jobs.get_mut(&id).expect("accepted");
                job.canceled = true;
                job.seen_running |= running;
            }
            Op::Cancel(Target::Zero) => assert!(!self.pool.cancel(0), "cancel(0)"),
            Op::Cancel(Target::Unissued) => {
                assert!(!self.pool.cancel(u64::MAX / 2), "cancel of an unissued id");
            }
            Op::Resize(0) => {
                assert_eq!(
                    self.pool.resize(0),
                    Err(BuildError::Workers(0)),
                    "resize(0)"
                );
            }
            Op::Resize(n) => {
                assert_eq!(self.pool.resize(n), Ok(()), "resize({n})");
                assert_eq!(self.pool.workers(), n, "workers() after resize({n})");
            }
            Op::Close => {
                assert_eq!(self.pool.close(), !self.closed, "close: whether it closed");
                self.closed = true;
            }
            Op::Abort => {
                self.pool.abort();
                self.queued_at_abort = self.queued_at_abort.max(self.pool.queued());
                self.closed = true;
                for job in self.jobs.values_mut() {
                    job.aborted = true;
                }
            }
            Op::Pause(us) => thread::sleep(Duration::from_micros(us.into())),
        }
    }

    /// Closes the pool, reads every outcome, joins, and checks the lot.
    fn finish(self) {
        assert_eq!(self.pool.close(), !self.closed, "close at the end");
        let mut outcomes: Vec<Outcome<Work, u32, u32>> = Vec::new();
        loop {
            match self.pool.results().recv_timeout(STUCK) {
                Ok(o) => outcomes.push(o),
                Err(RecvTimeoutError::Closed) => break,
                Err(e) => panic!("results: {e:?} after {} outcomes", outcomes.len()),
            }
        }
        self.pool.join().expect("join on a test thread");

        let mut seen: HashSet<JobId> = HashSet::new();
        let mut never_ran_pool = 0;
        let (mut ok, mut failed, mut canceled, mut panicked) = (0, 0, 0, 0);
        for o in &outcomes {
            let job = self
                .jobs
                .get(&o.id)
                .unwrap_or_else(|| panic!("an outcome for id {}, never accepted", o.id));
            assert!(seen.insert(o.id), "two outcomes for id {}", o.id);
            assert_eq!(
                o.job, job.work,
                "outcome {}: the job came back changed",
                o.id
            );
            let context = format!("outcome {} of {job:?}: {:?}", o.id, o.result);
            match &o.result {
                Ok(_) => ok += 1,
                Err(Failure::Error(_)) => failed += 1,
                Err(Failure::Canceled(_)) => canceled += 1,
                Err(Failure::Panicked(_)) => panicked += 1,
                Err(_) => panic!("{context}: no job here times out or is lost"),
            }
            let ran = match (o.attempts, o.worker) {
                (0, None) => false,
                (1, Some(_)) => true,
                other => panic!("{context}: attempts and worker {other:?}"),
            };
            let canceled_ok = |reason: &CancelReason| match reason {
                CancelReason::Job => job.canceled,
                CancelReason::Pool => job.aborted,
                _ => false,
            };
            if !ran {
                assert!(!job.seen_running, "{context}: cancel said it was running");
                match &o.result {
                    Err(Failure::Canceled(r)) if canceled_ok(r) => {}
                    _ => panic!("{context}: a job that never ran"),
                }
                if o.result == Err(Failure::Canceled(CancelReason::Pool)) {
                    never_ran_pool += 1;
                }
                continue;
            }
            let tag = job.work.tag;
            let fine = match (job.work.kind, &o.result) {
                (Kind::Succeed | Kind::Sleep(_), Ok(v)) => *v == tag,
                (Kind::Fail, Err(Failure::Error(e))) => *e == tag,
                (Kind::Panic, Err(Failure::Panicked(msg))) => msg == PANIC,
                (Kind::Fail | Kind::Sleep(_), Err(Failure::Canceled(r))) => canceled_ok(r),
                _ => false,
            };
            assert!(fine, "{context}: not what this job may end as");
        }
        for id in &self.order {
            assert!(seen.contains(id), "job {id} has no outcome");
        }
        assert!(
            never_ran_pool >= self.queued_at_abort,
            "{} jobs were queued after abort, {never_ran_pool} ended Canceled(Pool) unrun",
            self.queued_at_abort
        );

        let m = self.pool.metrics();
        let counted = (m.submitted, m.succeeded, m.failed, m.canceled, m.panicked);
        let want = (self.order.len() as u64, ok, failed, canceled, panicked);
        assert_eq!(
            counted, want,
            "metrics: submitted, succeeded, failed, canceled, panicked"
        );
        assert_eq!((m.timed_out, m.lost), (0, 0), "metrics: timed out, lost");
        assert_eq!(
            m.submitted,
            m.succeeded + m.failed + m.canceled + m.timed_out + m.panicked + m.lost,
            "metrics: submitted is the sum of the outcomes"
        );
        assert_eq!(
            (m.workers, m.busy, m.queued),
            (0, 0, 0),
            "metrics after join"
        );
        assert_eq!(
            self.panics.load(Ordering::SeqCst),
            panicked,
            "on_panic calls"
        );
        // A canceled id whose job had ended while another was in flight
        // goes when the last worker leaves the closed pool.
        assert_eq!(
            self.pool.pending_cancels(),
            0,
            "canceled ids left after join"
        );
    }
}

fn check(workers: usize, queue: usize, ops: &[Op]) {
    quiet_job_panics();
    let mut run = Run::new(workers, queue);
    for &op in ops {
        run.run(op);
    }
    run.finish();
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Succeed),
        2 => Just(Kind::Fail),
        1 => Just(Kind::Panic),
        3 => (0..300u16).prop_map(Kind::Sleep),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => kind().prop_map(Op::Submit),
        6 => kind().prop_map(Op::TrySubmit),
        3 => any::<usize>().prop_map(|i| Op::Cancel(Target::Accepted(i))),
        1 => prop_oneof![Just(Target::Zero), Just(Target::Unissued)].prop_map(Op::Cancel),
        1 => (0..=3usize).prop_map(Op::Resize),
        1 => Just(Op::Close),
        1 => Just(Op::Abort),
        2 => (0..300u16).prop_map(Op::Pause),
    ]
}

#[test]
fn jobs_of_every_kind_end_as_their_value_says() {
    use Kind::*;
    let ops = [Succeed, Fail, Panic, Sleep(100), Sleep(50_000)].map(Op::Submit);
    check(2, 2, &ops);
    let canceled = [Op::Submit(Sleep(50_000)), Op::Cancel(Target::Accepted(0))];
    check(1, 0, &canceled);
}

#[test]
fn a_closed_pool_keeps_no_canceled_id_of_a_job_that_had_ended() {
    let pool = Pool::builder().workers(1).queue(0).build(handler).unwrap();
    let first = Work {
        tag: 1,
        kind: Kind::Succeed,
    };
    let id = pool.submit(first).unwrap();
    assert_eq!(pool.results().recv().unwrap().id, id);
    pool.submit(Work {
        tag: 2,
        kind: Kind::Sleep(50_000),
    })
    .unwrap();
    assert!(!pool.cancel(id), "the first job had ended");
    pool.close();
    assert_eq!(pool.results().iter().count(), 1);
    pool.join().unwrap();
    assert_eq!(pool.pending_cancels(), 0);
}

proptest! {
    #[test]
    fn the_pool_accounts_for_every_job(
        workers in 1..=3usize,
        queue in 0..=4usize,
        ops in vec(op(), 0..32),
    ) {
        check(workers, queue, &ops);
    }
}
