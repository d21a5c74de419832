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
//! Run: `cargo +stable run --release --manifest-path bench/kernels/Cargo.toml -- [RUNS]`
//! (default 5 timed runs per kernel).

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

use brigade::Context;
use data::Data;
use job::{intern, Job};

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

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("RUNS must be a whole number"))
        .unwrap_or(5)
        .max(1);
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
