//! Worker pool per-job overhead, side by side: brigade's [`Pool`], `rayon::spawn`,
//! the `threadpool` crate and `tokio::task::spawn_blocking`, each running [`JOBS`] no-op jobs per iteration on
//! [`WORKERS`] threads. A time per iteration divided by [`JOBS`] is a time per job.
//! `bench/go/pool/main.go` runs the same workload through a Go pool made of
//! goroutines and channels, and `bench/run.sh pool` puts all of them in one table
//! of ratios (`bench/results/pool.md`).
//!
//! Contenders, all with [`WORKERS`] worker threads:
//! - `brigade`: [`Pool`] with a queue of [`QUEUE`]; the bench thread submits, a
//!   second thread drains [`Pool::results`] (one [`brigade::Outcome`] per job),
//!   then the pool is closed and joined.
//! - `brigade-chan`: not a pool library but Go's program written with brigade's
//!   channels: [`WORKERS`] threads ranging over a `chan::bounded(QUEUE)` of jobs and
//!   sending to a `chan::bounded(QUEUE)` of results, drained by a second thread. It
//!   separates what the channel costs from what the pool adds on top.
//! - `brigade-chan-sized` and `crossbeam-chan-sized`: `brigade-chan` again, but
//!   moving values the size of what the pool moves per job (a [`SizedJob`] the
//!   size of the pool's task, a [`SizedResult`] the size of an
//!   [`Outcome`](brigade::Outcome)), with an unbounded results channel as the
//!   pool's; once on brigade's channels and once on crossbeam-channel's. The
//!   first tells what the bigger values cost; the second compares brigade's
//!   channels with crossbeam's on that same traffic (both lock-free there).
//! - `rayon`: `rayon::spawn` on the global pool (built with [`WORKERS`] threads);
//!   each job bumps a static counter and the one that brings it to [`JOBS`] wakes
//!   the bench thread.
//! - `threadpool`: `ThreadPool::execute`, then `join`.
//! - `tokio-blocking`: `spawn_blocking` on a tokio runtime whose blocking pool
//!   has at most [`WORKERS`] threads (and one async worker, idle); each job
//!   bumps a counter and the last one wakes the bench thread, as for `rayon`.
//!
//! Timing: workers are started before the clock and are not counted (Go's
//! goroutines start far cheaper than threads, and that is not what is measured);
//! the clock runs from the first submission until every job is done and, for the
//! pools that have one, the last result is received.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use brigade::{chan, Context, Outcome, Pool};
use criterion::{Criterion, SamplingMode, Throughput};

/// No-op jobs per iteration.
const JOBS: usize = 1_000_000;
/// Worker threads in every pool (the machine this was written for has 2 cores).
const WORKERS: usize = 2;
/// The job queue's capacity where there is one to set (brigade, Go).
const QUEUE: usize = 1024;

fn brigade_pool() -> Duration {
    let pool = Pool::builder()
        .workers(WORKERS)
        .queue(QUEUE)
        .build(|n: &u64, _ctx: &Context| Ok::<u64, ()>(*n))
        .expect("pool");
    let elapsed = thread::scope(|s| {
        let results = pool.results().clone();
        let drain = s.spawn(move || results.iter().map(|o| black_box(o).is_ok() as usize).sum());
        let t0 = Instant::now();
        for i in 0..JOBS {
            pool.submit(i as u64).expect("open");
        }
        pool.close();
        let ok: usize = drain.join().expect("drain panicked");
        pool.join().expect("join");
        let elapsed = t0.elapsed();
        assert_eq!(ok, JOBS);
        elapsed
    });
    drop(pool);
    elapsed
}

/// A job as big as the pool's task for a `u64` job: four words (the pool's
/// engine has a test that keeps it so).
#[derive(Clone, Copy)]
struct SizedJob([u64; 4]);
/// A result as big as the pool's [`Outcome`] for `u64` jobs and outputs.
#[derive(Clone, Copy)]
struct SizedResult([u64; size_of::<Outcome<u64, u64, ()>>() / 8]);

/// Defines `$name`: Go's pool program on the channels that `$jobs` and
/// `$results` open. The bench thread sends [`JOBS`] jobs made by `$job` from
/// their index, [`WORKERS`] threads range over them and send `$work` of each,
/// and a second thread drains the results. brigade's and crossbeam-channel's
/// ends share the method names used here.
macro_rules! go_program {
    ($name:ident, $jobs:expr, $results:expr, $job:expr, $work:expr) => {
        fn $name() -> Duration {
            let (jobs_tx, jobs_rx) = $jobs;
            let (results_tx, results_rx) = $results;
            thread::scope(|s| {
                for _ in 0..WORKERS {
                    let jobs = jobs_rx.clone();
                    let results = results_tx.clone();
                    s.spawn(move || {
                        for j in jobs.iter() {
                            results.send($work(black_box(j))).expect("open");
                        }
                    });
                }
                // The workers hold the only other ends: results close after the
                // last of them exits, as Go's WaitGroup closes its results channel.
                drop((jobs_rx, results_tx));
                let drain = s.spawn(move || results_rx.iter().map(|r| black_box(r)).count());
                let t0 = Instant::now();
                for i in 0..JOBS {
                    jobs_tx.send($job(i as u64)).expect("open");
                }
                drop(jobs_tx);
                let done = drain.join().expect("drain panicked");
                let elapsed = t0.elapsed();
                assert_eq!(done, JOBS);
                elapsed
            })
        }
    };
}

/// A result made from a sized job, as a worker of the pool makes an outcome.
fn sized_work(j: SizedJob) -> SizedResult {
    let mut r = SizedResult([0; size_of::<SizedResult>() / 8]);
    r.0[0] = j.0[0];
    r
}

go_program!(
    brigade_chan,
    chan::bounded::<u64>(QUEUE),
    chan::bounded::<u64>(QUEUE),
    |i: u64| i,
    |n: u64| n
);
go_program!(
    brigade_sized,
    chan::bounded(QUEUE),
    chan::unbounded(),
    |i: u64| SizedJob([i; 4]),
    sized_work
);
go_program!(
    crossbeam_sized,
    crossbeam_channel::bounded(QUEUE),
    crossbeam_channel::unbounded(),
    |i: u64| SizedJob([i; 4]),
    sized_work
);

/// Jobs finished in the current `rayon` iteration.
static RAYON_DONE: AtomicUsize = AtomicUsize::new(0);
/// Set by the job that finishes an iteration.
static RAYON_ALL_DONE: Mutex<bool> = Mutex::new(false);
static RAYON_WAKE: Condvar = Condvar::new();

fn rayon_spawn() -> Duration {
    RAYON_DONE.store(0, Ordering::Relaxed);
    *RAYON_ALL_DONE.lock().expect("lock") = false;
    let t0 = Instant::now();
    for i in 0..JOBS {
        rayon::spawn(move || {
            black_box(i);
            if RAYON_DONE.fetch_add(1, Ordering::AcqRel) + 1 == JOBS {
                *RAYON_ALL_DONE.lock().expect("lock") = true;
                RAYON_WAKE.notify_one();
            }
        });
    }
    let mut done = RAYON_ALL_DONE.lock().expect("lock");
    while !*done {
        done = RAYON_WAKE.wait(done).expect("lock");
    }
    t0.elapsed()
}

fn threadpool_execute() -> Duration {
    let pool = threadpool::ThreadPool::new(WORKERS);
    let t0 = Instant::now();
    for i in 0..JOBS {
        pool.execute(move || {
            black_box(i);
        });
    }
    pool.join();
    let elapsed = t0.elapsed();
    assert_eq!(pool.panic_count(), 0);
    elapsed
}

/// Jobs finished in the current `tokio-blocking` iteration.
static TOKIO_DONE: AtomicUsize = AtomicUsize::new(0);
static TOKIO_ALL_DONE: Mutex<bool> = Mutex::new(false);
static TOKIO_WAKE: Condvar = Condvar::new();

/// The runtime whose blocking pool runs the `tokio-blocking` jobs.
fn tokio_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(WORKERS)
            .build()
            .expect("tokio runtime")
    })
}

fn tokio_spawn_blocking() -> Duration {
    let rt = tokio_runtime();
    TOKIO_DONE.store(0, Ordering::Relaxed);
    *TOKIO_ALL_DONE.lock().expect("lock") = false;
    let t0 = Instant::now();
    for i in 0..JOBS {
        // The handle is dropped: the job runs detached, as with rayon::spawn.
        drop(rt.spawn_blocking(move || {
            black_box(i);
            if TOKIO_DONE.fetch_add(1, Ordering::AcqRel) + 1 == JOBS {
                *TOKIO_ALL_DONE.lock().expect("lock") = true;
                TOKIO_WAKE.notify_one();
            }
        }));
    }
    let mut done = TOKIO_ALL_DONE.lock().expect("lock");
    while !*done {
        done = TOKIO_WAKE.wait(done).expect("lock");
    }
    t0.elapsed()
}

/// A name and one iteration's run.
type Contender = (&'static str, fn() -> Duration);

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("pool");
    g.throughput(Throughput::Elements(JOBS as u64));
    g.sampling_mode(SamplingMode::Flat);
    let contenders: [Contender; 7] = [
        ("brigade", brigade_pool),
        ("brigade-chan", brigade_chan),
        ("brigade-chan-sized", brigade_sized),
        ("crossbeam-chan-sized", crossbeam_sized),
        ("rayon", rayon_spawn),
        ("threadpool", threadpool_execute),
        ("tokio-blocking", tokio_spawn_blocking),
    ];
    for (name, run) in contenders {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run()).sum());
        });
    }
    g.finish();
}

fn config() -> Criterion {
    // One iteration moves a million jobs and takes from a fraction of a second to
    // a few seconds: criterion's minimum of 10 samples, one iteration each, is
    // plenty, and a short measurement time keeps it from asking for more.
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(1))
        .without_plots()
}

// What `criterion_group!`/`criterion_main!` expand to, written out: the macro's
// `pub fn` would trip the workspace's `missing_docs` lint.
fn main() {
    rayon::ThreadPoolBuilder::new()
        .num_threads(WORKERS)
        .build_global()
        .expect("rayon's global pool is built once, here");
    let mut c = config().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
