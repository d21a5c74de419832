//! The built-in job kinds, implemented in Rust and run on the pool's workers.
//!
//! Each kind reads its input as [`Data`] and watches the job's [`Context`]
//! where it can take long (`sleep`, `spin`), so cancellation and timeouts stop
//! it early.

use std::sync::Mutex;

use brigade::chan::RecvTimeoutError;
use brigade::runtime::{Duration, Instant};
use brigade::Context;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::data::Data;
use crate::job::Job;

/// The names of the built-in kinds.
pub const KINDS: [&str; 10] = [
    "echo",
    "sleep",
    "spin",
    "sha256",
    "primes",
    "mandelbrot",
    "thumbnail",
    "square",
    "fail",
    "panic",
];

/// Runs `job` on the current thread.
///
/// # Errors
/// A message naming the problem: an unknown kind, a bad input, a canceled
/// context, or the `fail` kind's own message.
///
/// # Panics
/// The `panic` kind panics on purpose, to show that the pool contains it.
pub fn run(job: &Job, ctx: &Context) -> Result<Data, String> {
    run_reporting(job, ctx, &|_| {})
}

/// [`run`], with the job's progress handed to `report`: `mandelbrot` reports
/// the share of its rows done (a number from 0 to 1, rising, in steps of at
/// least a twentieth); the other kinds are too short to report any.
///
/// # Errors
/// As [`run`].
///
/// # Panics
/// As [`run`].
pub fn run_reporting(
    job: &Job,
    ctx: &Context,
    report: &(dyn Fn(Data) + Sync),
) -> Result<Data, String> {
    let input = &job.input;
    match job.kind {
        "echo" => Ok(input.clone()),
        "square" => {
            let n = input
                .as_f64()
                .ok_or_else(|| format!("square: input must be a number, got {input}"))?;
            Ok(Data::Number(n * n))
        }
        "sleep" => sleep(millis(input, "sleep")?, ctx),
        "spin" => spin(millis(input, "spin")?, ctx),
        "sha256" => sha256(input),
        "primes" => {
            let below = field(input, "below", "primes")?;
            if below > MAX_PRIMES_BELOW as f64 {
                return Err(format!(
                    "primes: below must be at most {MAX_PRIMES_BELOW} (its sieve takes a byte per number), got {below}"
                ));
            }
            Ok(Data::Number(count_primes(below as u64) as f64))
        }
        "mandelbrot" => mandelbrot(input, ctx, report),
        "thumbnail" => thumbnail(input),
        "fail" => Err(input
            .get("message")
            .and_then(Data::as_str)
            .unwrap_or("failed")
            .to_owned()),
        "panic" => panic!(
            "{}",
            input
                .get("message")
                .and_then(Data::as_str)
                .unwrap_or("panic")
        ),
        other => Err(format!(
            "unknown job kind {other:?}; built-in kinds are {}",
            KINDS.join(", ")
        )),
    }
}

/// The largest `below` of the `primes` kind: its sieve is a byte per number,
/// and the module's memory is shared by every job.
pub const MAX_PRIMES_BELOW: u64 = 100_000_000;

/// The longest `sleep` or `spin`: a day.
const MAX_MS: f64 = 86_400_000.0;

/// `input.ms` as a duration, at most a day.
fn millis(input: &Data, kind: &str) -> Result<Duration, String> {
    let ms = field(input, "ms", kind)?;
    if ms > MAX_MS {
        return Err(format!(
            "{kind}: ms must be at most {MAX_MS} (a day), got {ms}"
        ));
    }
    Ok(Duration::from_secs_f64(ms / 1000.0))
}

fn field(v: &Data, name: &str, kind: &str) -> Result<f64, String> {
    v.get(name)
        .and_then(Data::as_f64)
        .filter(|n| n.is_finite() && *n >= 0.0)
        .ok_or_else(|| format!("{kind}: input needs {{ {name}: a number >= 0 }}, got {v}"))
}

fn sleep(d: Duration, ctx: &Context) -> Result<Data, String> {
    match ctx.done().recv_timeout(d) {
        Err(RecvTimeoutError::Timeout) => Ok(Data::Null),
        _ => Err("sleep interrupted: the job's context ended".into()),
    }
}

fn spin(d: Duration, ctx: &Context) -> Result<Data, String> {
    let end = Instant::now() + d;
    let mut x: u64 = 1;
    while Instant::now() < end {
        for _ in 0..10_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        if ctx.is_done() {
            return Err("spin interrupted: the job's context ended".into());
        }
    }
    Ok(Data::Number((x >> 11) as f64))
}

fn sha256(input: &Data) -> Result<Data, String> {
    let digest = match input {
        Data::Text(s) => Sha256::digest(s.as_bytes()),
        // Lone surrogates hash as U+FFFD, the way TextEncoder encodes them.
        Data::Utf16(units) => Sha256::digest(String::from_utf16_lossy(units).as_bytes()),
        other => match other.as_bytes() {
            Some(b) => Sha256::digest(b),
            None => {
                return Err(format!(
                    "sha256: input must be a string or a Uint8Array, got {}",
                    other.type_name()
                ))
            }
        },
    };
    Ok(Data::Text(
        digest.iter().map(|b| format!("{b:02x}")).collect(),
    ))
}

/// The number of primes below `n` (a sieve of Eratosthenes).
pub fn count_primes(n: u64) -> u64 {
    if n < 3 {
        return 0;
    }
    let n = n as usize;
    let mut composite = vec![false; n];
    let mut count = 0;
    for i in 2..n {
        if !composite[i] {
            count += 1;
            let mut j = i * i;
            while j < n {
                composite[j] = true;
                j += i;
            }
        }
    }
    count
}

const MAX_PIXELS: f64 = 16_777_216.0;

/// How many progress reports a render makes at most (one per twentieth).
const STEPS: usize = 20;

/// Renders iteration counts row by row; once `ctx` ends (a timeout, a
/// cancel) the rows left are skipped and the job fails. Reports the share of
/// rows done each time it passes a twentieth.
fn mandelbrot(input: &Data, ctx: &Context, report: &(dyn Fn(Data) + Sync)) -> Result<Data, String> {
    let num = |k: &str| {
        input
            .get(k)
            .and_then(Data::as_f64)
            .ok_or_else(|| format!("mandelbrot: input needs a number {k:?}"))
    };
    let (x, y, scale) = (num("x")?, num("y")?, num("scale")?);
    let (w, h, max_iter) = (num("width")?, num("height")?, num("maxIter")?);
    if w < 1.0 || h < 1.0 || w * h > MAX_PIXELS || !(1.0..=65535.0).contains(&max_iter) {
        return Err(format!(
            "mandelbrot: width and height must be >= 1 with at most {MAX_PIXELS} pixels, maxIter 1..=65535"
        ));
    }
    let (w, h, max_iter) = (w as usize, h as usize, max_iter as u16);
    // Rows done, and the last twentieth reported: under one lock, so the
    // reports rise even when rayon's threads finish rows out of order.
    let done = Mutex::new((0usize, 0usize));
    let row_done = || {
        let mut d = done.lock().unwrap_or_else(|e| e.into_inner());
        d.0 += 1;
        let step = d.0 * STEPS / h;
        if step > d.1 {
            d.1 = step;
            report(Data::Number(d.0 as f64 / h as f64));
        }
    };
    let render_row = |j: usize, row: &mut [u16]| {
        if ctx.is_done() {
            return;
        }
        for (i, px) in row.iter_mut().enumerate() {
            let (cr, ci) = (x + i as f64 * scale, y + j as f64 * scale);
            let (mut zr, mut zi, mut n) = (0.0f64, 0.0f64, 0u16);
            while n < max_iter && zr * zr + zi * zi <= 4.0 {
                let t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                n += 1;
            }
            *px = n;
        }
        row_done();
    };
    let mut out = vec![0u16; w * h];
    // Rows in parallel on the rayon pool, if the job asks for it and the page
    // started one; otherwise on this worker alone.
    let parallel = matches!(input.get("parallel"), Some(Data::Bool(true)));
    match crate::parallel::pool().filter(|_| parallel) {
        Some(pool) => pool.install(|| {
            out.par_chunks_mut(w)
                .enumerate()
                .for_each(|(j, row)| render_row(j, row));
        }),
        None => out
            .chunks_mut(w)
            .enumerate()
            .for_each(|(j, row)| render_row(j, row)),
    }
    if let Some(e) = ctx.err() {
        return Err(format!("mandelbrot: stopped: {e}"));
    }
    Ok(Data::U16(out))
}

fn thumbnail(input: &Data) -> Result<Data, String> {
    let num = |k: &str| {
        input
            .get(k)
            .and_then(Data::as_f64)
            .ok_or_else(|| format!("thumbnail: input needs a number {k:?}"))
    };
    let (w, h, max_side) = (num("width")?, num("height")?, num("maxSide")?);
    let Some(rgba) = input.get("rgba").and_then(Data::as_bytes) else {
        return Err("thumbnail: input needs rgba: a Uint8Array or Uint8ClampedArray".into());
    };
    if w < 1.0 || h < 1.0 || max_side < 1.0 || w * h > MAX_PIXELS {
        return Err("thumbnail: width, height and maxSide must be >= 1".into());
    }
    let (w, h) = (w as u32, h as u32);
    let img = image::RgbaImage::from_raw(w, h, rgba.to_vec()).ok_or_else(|| {
        format!(
            "thumbnail: rgba has {} bytes, width*height*4 is {}",
            rgba.len(),
            w * h * 4
        )
    })?;
    let scale = (max_side / f64::from(w.max(h))).min(1.0);
    let (tw, th) = (
        ((f64::from(w) * scale).round() as u32).max(1),
        ((f64::from(h) * scale).round() as u32).max(1),
    );
    let out = image::imageops::resize(&img, tw, th, image::imageops::FilterType::Triangle);
    Ok(Data::object([
        ("width", Data::Number(f64::from(tw))),
        ("height", Data::Number(f64::from(th))),
        ("rgba", Data::Bytes(out.into_raw())),
    ]))
}

#[cfg(test)]
mod test {
    use super::*;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

    wasm_bindgen_test_configure!(run_in_browser);

    fn job(kind: &str, input: Data) -> Job {
        Job {
            kind: crate::job::intern(kind),
            input,
            awaited: false,
            tag: 0.0,
            hard_ms: None,
        }
    }

    fn bg() -> Context {
        Context::background()
    }

    #[wasm_bindgen_test]
    fn primes_below_100() {
        assert_eq!(count_primes(100), 25);
        assert_eq!(
            run(
                &job("primes", Data::object([("below", Data::Number(100.0))])),
                &bg()
            ),
            Ok(Data::Number(25.0))
        );
    }

    #[wasm_bindgen_test]
    fn sha256_of_abc() {
        let want = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(
            run(&job("sha256", Data::Text("abc".into())), &bg()),
            Ok(Data::Text(want.into()))
        );
        assert_eq!(
            run(&job("sha256", Data::Bytes(b"abc".to_vec())), &bg()),
            Ok(Data::Text(want.into()))
        );
    }

    /// A `mandelbrot` input whose first pixel is c = -2 - i.
    fn mandelbrot_from_minus_2_minus_i(scale: f64, width: f64, height: f64, max_iter: f64) -> Data {
        Data::object([
            ("x", Data::Number(-2.0)),
            ("y", Data::Number(-1.0)),
            ("scale", Data::Number(scale)),
            ("width", Data::Number(width)),
            ("height", Data::Number(height)),
            ("maxIter", Data::Number(max_iter)),
        ])
    }

    #[wasm_bindgen_test]
    fn mandelbrot_reports_its_rows_done_rising_to_one() {
        let input = mandelbrot_from_minus_2_minus_i(0.05, 8.0, 45.0, 20.0);
        let seen = Mutex::new(Vec::new());
        let report = |v: Data| seen.lock().unwrap().push(v.as_f64().expect("a number"));
        let out = run_reporting(&job("mandelbrot", input), &bg(), &report);
        assert!(matches!(out, Ok(Data::U16(ref v)) if v.len() == 8 * 45));
        let seen = seen.into_inner().unwrap();
        // One report per twentieth passed: 45 rows pass each of the 20.
        assert_eq!(seen.len(), STEPS, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "rising: {seen:?}");
        assert_eq!(seen.last(), Some(&1.0));
    }

    #[wasm_bindgen_test]
    fn mandelbrot_counts_iterations() {
        let input = mandelbrot_from_minus_2_minus_i(1.0, 3.0, 3.0, 50.0);
        let Ok(Data::U16(v)) = run(&job("mandelbrot", input), &bg()) else {
            panic!("U16 output")
        };
        assert_eq!(v.len(), 9);
        // Pixel (i, j) is c = (-2 + i) + (-1 + j)i.
        assert_eq!(v[0], 1, "c = -2 - i escapes after one step (|c|^2 = 5)");
        assert_eq!(v[2], 50, "c = -i cycles (-i, -1 - i, i, ...): bounded");
        assert_eq!(v[4], 50, "c = -1 is in the set");
    }

    #[wasm_bindgen_test]
    fn thumbnail_keeps_the_aspect_ratio() {
        let (w, h) = (40u32, 20u32);
        let rgba = vec![200u8; (w * h * 4) as usize];
        let input = Data::object([
            ("width", Data::Number(w.into())),
            ("height", Data::Number(h.into())),
            ("maxSide", Data::Number(10.0)),
            ("rgba", Data::Bytes(rgba)),
        ]);
        let out = run(&job("thumbnail", input), &bg()).unwrap();
        assert_eq!(out.get("width"), Some(&Data::Number(10.0)));
        assert_eq!(out.get("height"), Some(&Data::Number(5.0)));
        assert_eq!(out.get("rgba"), Some(&Data::Bytes(vec![200u8; 10 * 5 * 4])));
    }

    #[wasm_bindgen_test]
    fn bad_inputs_and_unknown_kinds_are_named() {
        let err = run(&job("nope", Data::Null), &bg()).unwrap_err();
        assert!(err.starts_with("unknown job kind \"nope\""), "{err}");
        let err = run(&job("primes", Data::Text("x".into())), &bg()).unwrap_err();
        assert!(err.contains("{ below: a number >= 0 }"), "{err}");
        let err = run(&job("sha256", Data::Number(1.0)), &bg()).unwrap_err();
        assert!(err.contains("got number"), "{err}");
        // Too big for the shared memory (or, past 2^32, for a wasm32 usize).
        let huge = Data::object([("below", Data::Number(2e9))]);
        let err = run(&job("primes", huge), &bg()).unwrap_err();
        assert!(
            err.starts_with("primes: below must be at most 100000000"),
            "{err}"
        );
        let forever = Data::object([("ms", Data::Number(1e300))]);
        let err = run(&job("sleep", forever), &bg()).unwrap_err();
        assert!(err.starts_with("sleep: ms must be at most"), "{err}");
        assert_eq!(
            run(
                &job("fail", Data::object([("message", Data::Text("no".into()))])),
                &bg()
            ),
            Err("no".into())
        );
    }

    #[wasm_bindgen_test]
    fn sleep_stops_when_the_context_ends() {
        let (ctx, cancel) = Context::with_cancel(&Context::background());
        cancel.cancel();
        let err = run(
            &job("sleep", Data::object([("ms", Data::Number(10_000.0))])),
            &ctx,
        )
        .unwrap_err();
        assert!(err.contains("interrupted"));
    }
}
