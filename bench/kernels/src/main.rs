//! The built-in kernels (`sha256`, `mandelbrot`, `thumbnail` of
//! `wasm/src/kinds.rs`) timed natively, on the inputs `bench/browser/bench.js`
//! gives them in the browser: the native side of `bench/run.sh wasm`'s
//! wasm ÷ native rows. The same Rust source runs in both (included here by
//! path); here it is called directly, one job at a time on this thread, input
//! built before the clock.
//!
//! Prints `<key> <median ms>` per kernel (keys as in bench.js), after one
//! untimed run of each.
//!
//! With `scaling` first, it measures CPU scaling instead (`bench/run.sh
//! scaling`): a 1024x1024 Mandelbrot image (256 iterations) as [`TILES`] tiles
//! of whole rows, each tile one `mandelbrot` job, on 1, 2, ... MAX workers:
//! through brigade's `Pool` (submit every tile, read every outcome) and through
//! rayon's `par_iter` on a pool of as many threads. Prints `scaling-brigade-<n>
//! <median ms>` and `scaling-rayon-<n> <median ms>`.
//!
//! Run: `cargo +stable run --release --manifest-path bench/kernels/Cargo.toml --
//! [scaling [MAX]] [RUNS]` (default 5 timed runs, MAX the machine's cores).

// Only the kernels are used of the modules included below.
#![allow(dead_code, unused_imports)]

#[path = "../../../wasm/src/data/mod.rs"]
mod data;
#[path = "../../../wasm/src/job.rs"]
mod job;
#[path = "../../../wasm/src/kinds.rs"]
mod kinds;

/// What `kinds.rs` asks of `wasm/src/parallel.rs`: no rayon pool here, so a
/// job with `parallel: true` would run on this thread (none of these asks).
mod parallel {
    pub(crate) fn pool() -> Option<&'static rayon::ThreadPool> {
        None
    }
}

use std::time::Instant;

use brigade::{Context, Pool};
use data::Data;
use job::{intern, Job};
use rayon::prelude::*;

/// A deterministic RGBA image, `w` x `h`, as bench.js's `gradient`.
fn gradient(w: usize, h: usize) -> Vec<u8> {
    let mut rgba = vec![0u8; w * h * 4];
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) * 4;
            rgba[i] = (x & 255) as u8;
            rgba[i + 1] = (y & 255) as u8;
            rgba[i + 2] = ((x * y) & 255) as u8;
            rgba[i + 3] = 255;
        }
    }
    rgba
}

fn job(kind: &str, input: Data) -> Job {
    Job {
        kind: intern(kind),
        input,
        awaited: false,
        tag: 0.0,
        hard_ms: None,
    }
}

/// Tiles of the scaling image: 16 rows each.
const TILES: usize = 64;
const SIDE: usize = 1024;

/// The scaling image's tiles, top to bottom.
fn tiles() -> Vec<Job> {
    let scale = 3.0 / SIDE as f64;
    let rows = SIDE / TILES;
    (0..TILES)
        .map(|t| {
            job(
                "mandelbrot",
                Data::object([
                    ("x", Data::Number(-2.2)),
                    ("y", Data::Number(-1.5 + (t * rows) as f64 * scale)),
                    ("scale", Data::Number(scale)),
                    ("width", Data::Number(SIDE as f64)),
                    ("height", Data::Number(rows as f64)),
                    ("maxIter", Data::Number(256.0)),
                ]),
            )
        })
        .collect()
}

/// The image through a brigade `Pool` of `workers` (started before the
/// clock): ms from the first submission to the last outcome.
fn brigade_image(workers: usize, tiles: &[Job]) -> f64 {
    let pool = Pool::builder()
        .workers(workers)
        .queue(TILES)
        .build(|job: &Job, ctx: &Context| kinds::run(job, ctx))
        .expect("pool");
    let t = Instant::now();
    for tile in tiles {
        pool.submit(tile.clone()).expect("open");
    }
    for _ in 0..tiles.len() {
        let outcome = pool.results().recv().expect("an outcome per tile");
        std::hint::black_box(outcome.result.expect("the tile renders"));
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    pool.close();
    pool.join().expect("join");
    ms
}

/// The image through rayon's `par_iter` on a pool of `threads` (built before
/// the clock).
fn rayon_image(threads: usize, tiles: &[Job]) -> f64 {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    let ctx = Context::background();
    let t = Instant::now();
    let out: Vec<_> = pool.install(|| {
        tiles
            .par_iter()
            .map(|tile| kinds::run(tile, &ctx).expect("the tile renders"))
            .collect()
    });
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    std::hint::black_box(out);
    ms
}

fn median(mut ms: Vec<f64>) -> f64 {
    ms.sort_by(f64::total_cmp);
    ms[(ms.len() - 1) / 2]
}

fn scaling(max: usize, runs: usize) {
    let tiles = tiles();
    for n in 1..=max {
        // One untimed image each, then `runs` of each, alternating.
        brigade_image(n, &tiles);
        rayon_image(n, &tiles);
        let (mut b, mut r) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            b.push(brigade_image(n, &tiles));
            r.push(rayon_image(n, &tiles));
        }
        println!("scaling-brigade-{n} {:.3}", median(b));
        println!("scaling-rayon-{n} {:.3}", median(r));
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let number = |a: &str| -> usize { a.parse().expect("RUNS and MAX must be whole numbers") };
    if args.first().map(String::as_str) == Some("scaling") {
        args.remove(0);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let max = args.first().map_or(cores, |a| number(a)).max(1);
        let runs = args.get(1).map_or(5, |a| number(a)).max(1);
        scaling(max, runs);
        return;
    }
    let runs: usize = args.first().map_or(5, |a| number(a)).max(1);
    let n = |x: f64| Data::Number(x);
    let kernels = [
        (
            "kernel-sha256",
            job(
                "sha256",
                Data::Bytes((0..4usize << 20).map(|i| ((i * 31) & 255) as u8).collect()),
            ),
        ),
        (
            "kernel-mandelbrot",
            job(
                "mandelbrot",
                Data::object([
                    ("x", n(-2.2)),
                    ("y", n(-1.5)),
                    ("scale", n(3.0 / 512.0)),
                    ("width", n(512.0)),
                    ("height", n(512.0)),
                    ("maxIter", n(256.0)),
                ]),
            ),
        ),
        (
            "kernel-thumbnail",
            job(
                "thumbnail",
                Data::object([
                    ("width", n(1024.0)),
                    ("height", n(1024.0)),
                    ("maxSide", n(256.0)),
                    ("rgba", Data::Bytes(gradient(1024, 1024))),
                ]),
            ),
        ),
    ];
    let ctx = Context::background();
    for (key, job) in &kernels {
        kinds::run(job, &ctx).unwrap_or_else(|e| panic!("{key}: {e}"));
        let mut ms: Vec<f64> = (0..runs)
            .map(|_| {
                let t = Instant::now();
                let out = kinds::run(job, &ctx).unwrap_or_else(|e| panic!("{key}: {e}"));
                let took = t.elapsed().as_secs_f64() * 1000.0;
                std::hint::black_box(out);
                took
            })
            .collect();
        ms.sort_by(f64::total_cmp);
        println!("{key} {:.3}", ms[(runs - 1) / 2]);
    }
}
