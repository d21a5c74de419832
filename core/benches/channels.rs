//! Channel micro-benchmarks, side by side: brigade, crossbeam-channel, flume and
//! `std::sync::mpsc` (in the scenarios with one consumer: its receiver cannot be
//! shared and it has no select).
//!
//! Every scenario moves [`MESSAGES`] `u64`s per iteration, so a time per iteration
//! divided by [`MESSAGES`] is a time per message. `bench/go/channels.go` runs the
//! same scenarios with Go's channels and `bench/run.sh channels` puts all of them in
//! one table of ratios (`bench/results/channels.md`).
//!
//! Scenarios, each at capacity 0 (rendezvous), 1, [`BATCH`] and unbounded:
//! - `seq`: one thread sends a batch (as many values as the buffer holds, all of
//!   them when unbounded), then receives it; no capacity 0, which would deadlock.
//! - `spsc`: one producer thread, one consumer thread.
//! - `mpsc`: [`THREADS`] producers, one consumer.
//! - `mpmc`: [`THREADS`] producers, [`THREADS`] consumers.
//! - `select`: [`THREADS`] producers each feed their own channel; one consumer
//!   receives through a select over the [`THREADS`] channels.
//!
//! - `handoff`: no channel. Threads pass a turn around a ring [`MESSAGES`] times,
//!   each waiting for its turn: `park` (2 threads) with `std::thread::park`,
//!   passing it on with `unpark` (what an OS-thread channel does when a peer
//!   must wait); `spin` (2 threads) by spinning on the flag; `yield` (twice as
//!   many threads as cores) by `yield_now`. It gives this machine's floor for a
//!   message that needs one thread to wait for another: one thread waking
//!   another, one cache line crossing between two cores, and one switch between
//!   threads sharing a core.
//!
//! Timing: the threads of one iteration are spawned first and wait on a barrier;
//! the clock runs from their release until the last of them has been joined, so
//! thread start-up is not counted (Go's goroutines start far cheaper than threads,
//! and that is not what is measured here).

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Barrier, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};

/// Values moved per iteration.
const MESSAGES: usize = 20_000;
/// Producers (and consumers in `mpmc`, channels in `select`).
const THREADS: usize = 4;
/// The "N" buffer size.
const BATCH: usize = 64;

/// A channel's capacity.
#[derive(Clone, Copy)]
enum Cap {
    Bounded(usize),
    Unbounded,
}

impl Cap {
    const ALL: [Cap; 4] = [
        Cap::Bounded(0),
        Cap::Bounded(1),
        Cap::Bounded(BATCH),
        Cap::Unbounded,
    ];

    fn label(self) -> String {
        match self {
            Cap::Bounded(n) => n.to_string(),
            Cap::Unbounded => "unbounded".to_string(),
        }
    }
}

/// The operations a scenario with one consumer needs from a channel library.
trait Flavor {
    const NAME: &'static str;
    type Tx: Clone + Send + 'static;
    type Rx: Send + 'static;
    fn channel(cap: Cap) -> (Self::Tx, Self::Rx);
    fn send(tx: &Self::Tx, v: u64);
    fn recv(rx: &Self::Rx) -> u64;
}

/// What `mpmc` and `select` need on top: receivers that clone, and a select.
trait Multi: Flavor<Rx: Clone> {
    /// Receives one value through a select over all of `rxs`.
    fn select_recv(rxs: &[Self::Rx; THREADS]) -> u64;
}

struct Brigade;

impl Flavor for Brigade {
    const NAME: &'static str = "brigade";
    type Tx = brigade::chan::Sender<u64>;
    type Rx = brigade::chan::Receiver<u64>;

    fn channel(cap: Cap) -> (Self::Tx, Self::Rx) {
        match cap {
            Cap::Bounded(n) => brigade::chan::bounded(n),
            Cap::Unbounded => brigade::chan::unbounded(),
        }
    }

    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("open");
    }

    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().expect("open")
    }
}

impl Multi for Brigade {
    fn select_recv(rxs: &[Self::Rx; THREADS]) -> u64 {
        let [a, b, c, d] = rxs;
        brigade::select! {
            recv(a) -> v => v,
            recv(b) -> v => v,
            recv(c) -> v => v,
            recv(d) -> v => v,
        }
        .expect("open")
    }
}

struct Crossbeam;

impl Flavor for Crossbeam {
    const NAME: &'static str = "crossbeam";
    type Tx = crossbeam_channel::Sender<u64>;
    type Rx = crossbeam_channel::Receiver<u64>;

    fn channel(cap: Cap) -> (Self::Tx, Self::Rx) {
        match cap {
            Cap::Bounded(n) => crossbeam_channel::bounded(n),
            Cap::Unbounded => crossbeam_channel::unbounded(),
        }
    }

    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("open");
    }

    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().expect("open")
    }
}

impl Multi for Crossbeam {
    fn select_recv(rxs: &[Self::Rx; THREADS]) -> u64 {
        let [a, b, c, d] = rxs;
        crossbeam_channel::select! {
            recv(a) -> v => v,
            recv(b) -> v => v,
            recv(c) -> v => v,
            recv(d) -> v => v,
        }
        .expect("open")
    }
}

struct Flume;

impl Flavor for Flume {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<u64>;
    type Rx = flume::Receiver<u64>;

    fn channel(cap: Cap) -> (Self::Tx, Self::Rx) {
        match cap {
            Cap::Bounded(n) => flume::bounded(n),
            Cap::Unbounded => flume::unbounded(),
        }
    }

    fn send(tx: &Self::Tx, v: u64) {
        tx.send(v).expect("open");
    }

    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().expect("open")
    }
}

impl Multi for Flume {
    fn select_recv(rxs: &[Self::Rx; THREADS]) -> u64 {
        let [a, b, c, d] = rxs;
        flume::Selector::new()
            .recv(a, |v| v)
            .recv(b, |v| v)
            .recv(c, |v| v)
            .recv(d, |v| v)
            .wait()
            .expect("open")
    }
}

struct Std;

/// `std::sync::mpsc`'s two sender types: `sync_channel`'s for a bounded
/// channel, `channel`'s for an unbounded one.
#[derive(Clone)]
enum StdTx {
    Bounded(std::sync::mpsc::SyncSender<u64>),
    Unbounded(std::sync::mpsc::Sender<u64>),
}

impl Flavor for Std {
    const NAME: &'static str = "std";
    type Tx = StdTx;
    type Rx = std::sync::mpsc::Receiver<u64>;

    fn channel(cap: Cap) -> (Self::Tx, Self::Rx) {
        match cap {
            Cap::Bounded(n) => {
                let (tx, rx) = std::sync::mpsc::sync_channel(n);
                (StdTx::Bounded(tx), rx)
            }
            Cap::Unbounded => {
                let (tx, rx) = std::sync::mpsc::channel();
                (StdTx::Unbounded(tx), rx)
            }
        }
    }

    fn send(tx: &Self::Tx, v: u64) {
        match tx {
            StdTx::Bounded(tx) => tx.send(v),
            StdTx::Unbounded(tx) => tx.send(v),
        }
        .expect("open");
    }

    fn recv(rx: &Self::Rx) -> u64 {
        rx.recv().expect("open")
    }
}

type Worker = Box<dyn FnOnce() + Send>;

/// Runs each worker on its own thread, releases them together and returns the
/// time from the first one's start until the last one has finished, each read
/// on the worker's own thread. (A clock started by this thread after the
/// release can start late: with more threads than cores it may not run again
/// until the workers are mostly done.)
fn timed(workers: Vec<Worker>) -> Duration {
    let start = Barrier::new(workers.len() + 1);
    thread::scope(|s| {
        let handles: Vec<_> = workers
            .into_iter()
            .map(|w| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    let began = Instant::now();
                    w();
                    (began, Instant::now())
                })
            })
            .collect();
        start.wait();
        span(handles)
    })
}

/// Joins the timed threads and returns the time from the earliest start to
/// the latest end they read.
fn span(handles: Vec<thread::ScopedJoinHandle<'_, (Instant, Instant)>>) -> Duration {
    let spans: Vec<(Instant, Instant)> = handles
        .into_iter()
        .map(|h| h.join().expect("a timed thread panicked"))
        .collect();
    let first = spans.iter().map(|s| s.0).min().expect("at least one");
    let last = spans.iter().map(|s| s.1).max().expect("at least one");
    last - first
}

fn producer<F: Flavor>(tx: F::Tx, n: usize) -> Worker {
    Box::new(move || {
        for i in 0..n {
            F::send(&tx, i as u64);
        }
    })
}

fn consumer<F: Flavor>(rx: F::Rx, n: usize) -> Worker {
    Box::new(move || {
        for _ in 0..n {
            black_box(F::recv(&rx));
        }
    })
}

fn seq<F: Flavor>(cap: Cap) -> Duration {
    let (tx, rx) = F::channel(cap);
    let batch = match cap {
        Cap::Bounded(n) => n,
        Cap::Unbounded => MESSAGES,
    };
    assert!(batch > 0, "seq at capacity 0 would deadlock");
    let t0 = Instant::now();
    let mut left = MESSAGES;
    while left > 0 {
        let k = batch.min(left);
        for i in 0..k {
            F::send(&tx, i as u64);
        }
        for _ in 0..k {
            black_box(F::recv(&rx));
        }
        left -= k;
    }
    t0.elapsed()
}

fn spsc<F: Flavor>(cap: Cap) -> Duration {
    let (tx, rx) = F::channel(cap);
    timed(vec![
        producer::<F>(tx, MESSAGES),
        consumer::<F>(rx, MESSAGES),
    ])
}

fn mpsc<F: Flavor>(cap: Cap) -> Duration {
    let (tx, rx) = F::channel(cap);
    let mut workers: Vec<Worker> = (0..THREADS)
        .map(|_| producer::<F>(tx.clone(), MESSAGES / THREADS))
        .collect();
    workers.push(consumer::<F>(rx, MESSAGES));
    timed(workers)
}

fn mpmc<F: Multi>(cap: Cap) -> Duration {
    let (tx, rx) = F::channel(cap);
    let mut workers: Vec<Worker> = (0..THREADS)
        .map(|_| producer::<F>(tx.clone(), MESSAGES / THREADS))
        .collect();
    workers.extend((0..THREADS).map(|_| consumer::<F>(rx.clone(), MESSAGES / THREADS)));
    timed(workers)
}

fn select<F: Multi>(cap: Cap) -> Duration {
    // The original senders stay alive in this frame until every value has been
    // received, so no channel closes under the select (a closed channel is always
    // ready and would turn the consumer into a busy loop).
    let (txs, rxs): (Vec<F::Tx>, Vec<F::Rx>) = (0..THREADS).map(|_| F::channel(cap)).unzip();
    let rxs: [F::Rx; THREADS] = rxs.try_into().ok().expect("THREADS receivers");
    let mut workers: Vec<Worker> = txs
        .iter()
        .map(|tx| producer::<F>(tx.clone(), MESSAGES / THREADS))
        .collect();
    workers.push(Box::new(move || {
        for _ in 0..MESSAGES {
            black_box(F::select_recv(&rxs));
        }
    }));
    let elapsed = timed(workers);
    drop(txs);
    elapsed
}

/// How a `handoff` thread waits for its turn.
#[derive(Clone, Copy)]
enum Wait {
    Park,
    Spin,
    Yield,
}

/// `threads` threads pass a turn around a ring, [`MESSAGES`] passes in all.
fn handoff(wait: Wait, threads: usize) -> Duration {
    // The number of passes made so far; thread `i` makes the passes `p` with
    // `p % threads == i`.
    let turn = AtomicUsize::new(0);
    let peers: Vec<OnceLock<Thread>> = (0..threads).map(|_| OnceLock::new()).collect();
    let start = Barrier::new(threads + 1);
    let side = |me: usize| {
        let (turn, peers, start) = (&turn, &peers, &start);
        move || {
            peers[me].set(thread::current()).expect("set once");
            start.wait();
            let began = Instant::now();
            let next = peers[(me + 1) % threads]
                .get()
                .expect("set before the barrier");
            let mut pass = me;
            while pass < MESSAGES {
                while turn.load(Ordering::Acquire) != pass {
                    match wait {
                        Wait::Park => thread::park(),
                        Wait::Spin => std::hint::spin_loop(),
                        Wait::Yield => thread::yield_now(),
                    }
                }
                turn.store(pass + 1, Ordering::Release);
                if let Wait::Park = wait {
                    next.unpark();
                }
                pass += threads;
            }
            (began, Instant::now())
        }
    };
    // Timed as `timed` does: a clock started here after the barrier started
    // late once, and "spin" read 2.8 ns per pass.
    thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|i| s.spawn(side(i))).collect();
        start.wait();
        span(handles)
    })
}

/// Benchmarks `scenario` for every library at every capacity in `caps`.
fn group(c: &mut Criterion, name: &str, caps: &[Cap], scenario: &[Scenario]) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(MESSAGES as u64));
    g.sampling_mode(SamplingMode::Flat);
    for &cap in caps {
        for &(lib, run) in scenario {
            g.bench_with_input(BenchmarkId::new(lib, cap.label()), &cap, |b, &cap| {
                b.iter_custom(|iters| (0..iters).map(|_| run(cap)).sum());
            });
        }
    }
    g.finish();
}

/// A library's name and one iteration of a scenario on it.
type Scenario = (&'static str, fn(Cap) -> Duration);

/// One scenario, instantiated for each library: `all` for the scenarios with
/// one consumer, `multi` for those std's channel cannot run.
macro_rules! scenarios {
    (all $f:ident) => {
        &[
            (Brigade::NAME, $f::<Brigade> as fn(Cap) -> Duration),
            (Crossbeam::NAME, $f::<Crossbeam>),
            (Flume::NAME, $f::<Flume>),
            (Std::NAME, $f::<Std>),
        ]
    };
    (multi $f:ident) => {
        &[
            (Brigade::NAME, $f::<Brigade> as fn(Cap) -> Duration),
            (Crossbeam::NAME, $f::<Crossbeam>),
            (Flume::NAME, $f::<Flume>),
        ]
    };
}

fn benches(c: &mut Criterion) {
    group(c, "seq", &Cap::ALL[1..], scenarios!(all seq));
    group(c, "spsc", &Cap::ALL, scenarios!(all spsc));
    group(c, "mpsc", &Cap::ALL, scenarios!(all mpsc));
    group(c, "mpmc", &Cap::ALL, scenarios!(multi mpmc));
    group(c, "select", &Cap::ALL, scenarios!(multi select));
    let mut g = c.benchmark_group("handoff");
    g.throughput(Throughput::Elements(MESSAGES as u64));
    g.sampling_mode(SamplingMode::Flat);
    // Twice as many threads as cores for `yield`: most passes then need the
    // thread whose turn it is to be switched in on a core another one held.
    let cores = thread::available_parallelism().map_or(2, |n| n.get());
    let ways = [
        ("park", Wait::Park, 2),
        ("spin", Wait::Spin, 2),
        ("yield", Wait::Yield, 2 * cores),
    ];
    for (name, wait, threads) in ways {
        g.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| handoff(wait, threads)).sum());
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(1))
        .without_plots()
}

// What `criterion_group!`/`criterion_main!` expand to, written out: the macro's
// `pub fn` would trip the workspace's `missing_docs` lint.
fn main() {
    let mut c = config().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
