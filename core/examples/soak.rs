//! A soak of the pool: millions of jobs that succeed, fail, panic, time out
//! or are canceled, while the pool is resized, checked for exactly one
//! outcome per job and for memory that stays flat.
//!
//! ```sh
//! cargo run --release -p brigade --example soak -- 10000000
//! ```
//!
//! Each submitted id gets a bit; an outcome whose bit is already set is a
//! duplicate, an id whose bit is never set is lost. Resident memory is read
//! from `/proc/self/statm` once a tenth of the jobs are through (the warm-up:
//! workers, histograms and the queue's blocks are all allocated by then) and
//! at the end. The last line is the figures `make check-deep` reports; the
//! process exits non-zero if any job was lost or duplicated.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use brigade::pool::{Failure, Outcome};
use brigade::{Context, Pool, Retry};

/// What a job does, from its value: a fixed mix, spread by a hash.
fn fate(n: u64) -> u64 {
    n.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29) % 100_000
}

/// Resident memory in KiB (Linux).
fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("statm is readable");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|f| f.parse().ok())
        .expect("statm's second field is resident pages");
    pages * 4
}

fn main() {
    let jobs: u64 = std::env::args().nth(1).map_or(10_000_000, |a| {
        a.parse().expect("the job count is a number")
    });
    // Panics are part of the mix; their messages would flood the terminal.
    std::panic::set_hook(Box::new(|_| {}));

    let pool = Arc::new(
        Pool::builder()
            .workers(4)
            .queue(256)
            .timeout(Duration::from_millis(2))
            .retry(Retry::attempts(2).backoff(Duration::ZERO, Duration::from_micros(50)))
            .build(|n: &u64, ctx: &Context| match fate(*n) {
                0..=999 => panic!("job {n} panics"),
                1_000..=5_999 => Err(format!("job {n} fails")),
                // Waits past its 2 ms timeout, unless canceled first.
                6_000..=6_009 => {
                    let _ = ctx.done().recv_timeout(Duration::from_millis(50));
                    Err(format!("job {n} stopped"))
                }
                _ => Ok(*n),
            })
            .expect("a valid pool"),
    );

    let words = (jobs as usize + 1).div_ceil(64);
    let started = Instant::now();
    let warm_rss = Arc::new(AtomicU64::new(0));
    let drain = {
        let results = pool.results().clone();
        let warm_rss = warm_rss.clone();
        thread::spawn(move || {
            let mut seen = vec![0u64; words];
            let (mut outcomes, mut duplicated) = (0u64, 0u64);
            let mut kinds = [0u64; 6];
            for o in results.iter() {
                let o: Outcome<u64, u64, String> = o;
                let (w, bit) = ((o.id / 64) as usize, 1u64 << (o.id % 64));
                if seen[w] & bit != 0 {
                    duplicated += 1;
                }
                seen[w] |= bit;
                outcomes += 1;
                kinds[match &o.result {
                    Ok(_) => 0,
                    Err(Failure::Error(_)) => 1,
                    Err(Failure::Panicked(_)) => 2,
                    Err(Failure::TimedOut(_)) => 3,
                    Err(Failure::Canceled(_)) => 4,
                    Err(_) => 5,
                }] += 1;
                if outcomes == jobs / 10 {
                    warm_rss.store(rss_kib(), Ordering::Relaxed);
                }
            }
            let lost = (1..=jobs)
                .filter(|id| seen[(id / 64) as usize] & (1 << (id % 64)) == 0)
                .count() as u64;
            (outcomes, duplicated, lost, kinds)
        })
    };

    let mut recent = Vec::with_capacity(64);
    for n in 1..=jobs {
        let id = pool.submit(n).expect("the pool is open");
        recent.push(id);
        if recent.len() == 64 {
            // Cancel one of the last 64: queued, running or already ended.
            pool.cancel(recent[(fate(n) % 64) as usize]);
            recent.clear();
        }
        if n % 250_000 == 0 {
            pool.resize(2 + (fate(n) % 5) as usize)
                .expect("a valid size");
        }
    }
    pool.close();
    let (outcomes, duplicated, lost, kinds) = drain.join().expect("the drainer ends");
    pool.join().expect("this thread may block");
    let secs = started.elapsed().as_secs_f64();
    let (warm, end) = (warm_rss.load(Ordering::Relaxed), rss_kib());
    let m = pool.metrics();
    println!(
        "by outcome: succeeded {} failed {} panicked {} timed out {} canceled {} other {}; retried {}",
        kinds[0], kinds[1], kinds[2], kinds[3], kinds[4], kinds[5], m.retried
    );
    println!(
        "soak: jobs {jobs} outcomes {outcomes} lost {lost} duplicated {duplicated} \
         rss_warm_kib {warm} rss_end_kib {end} growth_kib {} seconds {secs:.1}",
        end as i64 - warm as i64
    );
    if lost != 0 || duplicated != 0 || outcomes != jobs || m.finished() != jobs {
        eprintln!("soak: FAILED (metrics count {} finished)", m.finished());
        std::process::exit(1);
    }
}
