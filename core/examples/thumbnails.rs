//! Thumbnails: resize a folder of images on a bounded [`Pool`], with a live
//! progress bar, a summary, and a clean Ctrl-C.
//!
//! ```text
//! cargo run --release --example thumbnails
//! cargo run --release --example thumbnails -- ~/Pictures --out /tmp/thumbs --max-side 256 --workers 4
//! ```
//!
//! With no input folder it first writes a few hundred generated PNGs (640×480
//! and 480×640) into a temporary folder, removed at exit (unless a second
//! Ctrl-C cuts the exit short). Thumbnails keep their file names and format and
//! go to `--out`, by default a new folder under the system's temp directory
//! whose path the summary prints. PNG and JPEG files directly inside the input
//! folder are read; other files are skipped.
//!
//! # What it shows
//! - **Backpressure.** A submitter thread feeds [`Pool::submit`], which blocks
//!   while the queue (2 × workers) is full: however many files there are, only
//!   a handful of jobs wait at a time.
//! - **Outcomes.** The main thread reads [`Pool::results`] as jobs finish, in
//!   completion order, and drives the progress bar; [`Pool::metrics`] gives the
//!   queued and busy gauges. Each [`Outcome`] hands the job (its path) back, so
//!   the summary can name what failed and why.
//! - **Cancellation.** The first Ctrl-C calls [`Pool::abort`]: intake stops (the
//!   submitter's next `submit` fails), queued jobs end [`Failure::Canceled`]
//!   without running, and running jobs see their [`Context`] canceled. The
//!   handler checks [`Context::is_done`] after the slow decode and before
//!   writing, so a canceled job leaves no file behind, and a job already
//!   writing finishes and counts as done. A second Ctrl-C exits at once.
//!
//! The exit status is 0 when every image was resized, 1 when some failed, and
//! 130 after a Ctrl-C.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use brigade::chan::RecvTimeoutError;
use brigade::pool::{Failure, Outcome};
use brigade::{Context, Pool};
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, ImageFormat, Rgb, RgbImage};
use indicatif::{ProgressBar, ProgressStyle};

const USAGE: &str = "\
usage: thumbnails [INPUT_DIR] [--out DIR] [--max-side N] [--workers N] [--count N]

  INPUT_DIR     folder of PNG/JPEG images (default: generate --count images)
  --out DIR     where thumbnails go (default: a new folder under the temp dir)
  --max-side N  longest side of a thumbnail in pixels (default 128)
  --workers N   pool workers (default: the number of cores)
  --count N     how many images to generate without INPUT_DIR (default 300)";

/// How many Ctrl-Cs arrived: the first aborts the pool, the second exits.
static INTERRUPTS: AtomicUsize = AtomicUsize::new(0);

/// The command line.
struct Args {
    input: Option<PathBuf>,
    out: Option<PathBuf>,
    max_side: u32,
    workers: usize,
    count: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        input: None,
        out: None,
        max_side: 128,
        workers: thread::available_parallelism().map_or(2, |n| n.get()),
        count: 300,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--out" => args.out = Some(value("--out")?.into()),
            "--max-side" => args.max_side = number(&value("--max-side")?, "--max-side")?,
            "--workers" => args.workers = number(&value("--workers")?, "--workers")?,
            "--count" => args.count = number(&value("--count")?, "--count")?,
            flag if flag.starts_with('-') => return Err(format!("unknown option {flag}")),
            _ if args.input.is_none() => args.input = Some(arg.into()),
            _ => return Err(format!("more than one input folder: {arg}")),
        }
    }
    Ok(args)
}

/// Parses a positive number.
fn number<T: std::str::FromStr + Default + PartialEq>(s: &str, name: &str) -> Result<T, String> {
    match s.parse() {
        Ok(n) if n != T::default() => Ok(n),
        _ => Err(format!("{name} needs a positive number, got {s:?}")),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("thumbnails: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("thumbnails: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<ExitCode, Box<dyn Error>> {
    let max_side = args.max_side;
    let out_dir = match args.out {
        Some(dir) => {
            fs::create_dir_all(&dir)?;
            dir
        }
        None => tempfile::Builder::new()
            .prefix("brigade-thumbnails-")
            .tempdir()?
            .keep(),
    };

    // The handler runs on the workers: decode, shrink, write. It gets the job
    // by reference and the job's context, canceled by `abort`.
    let handler_out = out_dir.clone();
    let pool = Pool::builder()
        .workers(args.workers)
        .build(move |path: &PathBuf, ctx: &Context| thumbnail(path, &handler_out, max_side, ctx))?;
    let pool = Arc::new(pool);
    let (workers, queue) = (pool.workers(), pool.metrics().capacity);

    {
        let pool = Arc::clone(&pool);
        ctrlc::set_handler(move || {
            if INTERRUPTS.fetch_add(1, Ordering::SeqCst) == 0 {
                pool.abort();
            } else {
                eprintln!("\nthumbnails: second Ctrl-C, exiting now");
                std::process::exit(130);
            }
        })?;
    }

    // The generated originals live in `_originals`, removed when it drops.
    let (input_dir, _originals) = match args.input {
        Some(dir) => (dir, None),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("brigade-originals-")
                .tempdir()?;
            generate(dir.path(), args.count, args.workers)?;
            if INTERRUPTS.load(Ordering::SeqCst) > 0 {
                println!("interrupted by Ctrl-C while generating test images; nothing resized");
                return Ok(ExitCode::from(130));
            }
            (dir.path().to_owned(), Some(dir))
        }
    };
    let paths = list_images(&input_dir)?;
    if fs::canonicalize(&input_dir)? == fs::canonicalize(&out_dir)? {
        return Err("--out must not be the input folder: thumbnails keep the file names".into());
    }
    let total = paths.len();
    println!(
        "resizing {total} images from {} to max side {max_side} px on {workers} workers (queue {queue})",
        input_dir.display(),
    );

    let bar = ProgressBar::new(total as u64);
    bar.set_style(ProgressStyle::with_template(
        "{spinner:.green} [{elapsed_precise}] {bar:32.cyan/blue} {pos}/{len} {msg}",
    )?);

    let started = Instant::now();
    // The submitter: `submit` blocks while the queue is full, and fails once
    // the pool is aborted. It closes the pool when it is done, so the results
    // channel closes after the last outcome.
    let submitter = {
        let pool = Arc::clone(&pool);
        thread::spawn(move || {
            let mut submitted = 0;
            for path in paths {
                if pool.submit(path).is_err() {
                    break; // aborted: the rest never start
                }
                submitted += 1;
            }
            pool.close();
            submitted
        })
    };

    let mut tally = Tally::default();
    let mut interrupted = false;
    loop {
        match pool.results().recv_timeout(Duration::from_millis(100)) {
            Ok(outcome) => {
                tally.add(outcome);
                bar.inc(1);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(_) => break, // closed: every submitted job has its outcome
        }
        if !interrupted && INTERRUPTS.load(Ordering::SeqCst) > 0 {
            interrupted = true;
            // Shown above the bar, or alone where there is no terminal.
            bar.suspend(|| {
                eprintln!(
                    "Ctrl-C: pool aborted, waiting for running jobs (Ctrl-C again to quit now)"
                );
            });
        }
        let m = pool.metrics();
        let rate = tally.succeeded as f64 / started.elapsed().as_secs_f64();
        bar.set_message(format!(
            "{}queued {} · busy {}/{} · {rate:.0} img/s",
            if interrupted { "canceling · " } else { "" },
            m.queued,
            m.busy,
            m.workers,
        ));
    }
    let elapsed = started.elapsed();
    let submitted = submitter.join().expect("the submitter does not panic");
    let interrupted = INTERRUPTS.load(Ordering::SeqCst) > 0;
    if interrupted {
        bar.abandon(); // keep the bar where it stopped
    } else {
        bar.finish_and_clear();
    }

    let m = pool.metrics();
    let secs = elapsed.as_secs_f64();
    let verdict = if interrupted {
        "interrupted by Ctrl-C"
    } else {
        "done"
    };
    println!("{verdict}");
    println!(
        "  succeeded    {:>6}  ({:.1} KiB of thumbnails)",
        tally.succeeded,
        tally.bytes as f64 / 1024.0
    );
    println!("  failed       {:>6}", tally.failed.len());
    println!(
        "  canceled     {:>6}  (queued or running at Ctrl-C)",
        tally.canceled
    );
    println!("  not started  {:>6}  (never submitted)", total - submitted);
    println!(
        "  time         {secs:>6.2} s  ({:.1} images/s)",
        tally.succeeded as f64 / secs
    );
    println!(
        "  per image    run p50 {:.1?}, p99 {:.1?}; queue wait p50 {:.1?}",
        m.run.p50, m.run.p99, m.wait.p50
    );
    println!("  thumbnails   {}", out_dir.display());
    for (path, why) in tally.failed.iter().take(5) {
        println!("  failed: {}: {why}", path.display());
    }
    if tally.failed.len() > 5 {
        println!("  ... and {} more", tally.failed.len() - 5);
    }

    Ok(if interrupted {
        ExitCode::from(130)
    } else if tally.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The outcomes so far.
#[derive(Default)]
struct Tally {
    succeeded: u64,
    bytes: u64,
    canceled: u64,
    failed: Vec<(PathBuf, String)>,
}

impl Tally {
    fn add(&mut self, outcome: Outcome<PathBuf, u64, String>) {
        match outcome.result {
            Ok(bytes) => {
                self.succeeded += 1;
                self.bytes += bytes;
            }
            Err(Failure::Canceled(_)) => self.canceled += 1,
            Err(f) => self.failed.push((outcome.job, f.to_string())),
        }
    }
}

/// Writes a thumbnail of `path` into `out_dir`, no side longer than
/// `max_side`, keeping the aspect ratio and the format; returns its size in
/// bytes. Stops before writing once `ctx` is canceled.
fn thumbnail(path: &Path, out_dir: &Path, max_side: u32, ctx: &Context) -> Result<u64, String> {
    let img = image::open(path).map_err(|e| e.to_string())?;
    if ctx.is_done() {
        // The pool reports the job as canceled, whatever error we return.
        return Err("canceled after decoding".into());
    }
    let (w, h) = img.dimensions();
    let small = if w.max(h) > max_side {
        img.resize(max_side, max_side, FilterType::Triangle)
    } else {
        img // never enlarge
    };
    let format = ImageFormat::from_path(path).map_err(|e| e.to_string())?;
    let small = match format {
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(small.to_rgb8()), // JPEG has no alpha
        _ => small,
    };
    if ctx.is_done() {
        return Err("canceled before writing".into());
    }
    let file_name = path.file_name().ok_or("no file name")?;
    let out = out_dir.join(file_name);
    small
        .save_with_format(&out, format)
        .map_err(|e| e.to_string())?;
    fs::metadata(&out)
        .map(|m| m.len())
        .map_err(|e| e.to_string())
}

/// The PNG and JPEG files directly inside `dir`, sorted by name.
fn list_images(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let unreadable = |e: std::io::Error| format!("cannot read {}: {e}", dir.display());
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        if path.is_file() && matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg")) {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Writes `count` PNGs into `dir` on `threads` threads. Stops early on Ctrl-C.
fn generate(dir: &Path, count: usize, threads: usize) -> Result<(), Box<dyn Error>> {
    let bar = ProgressBar::new(count as u64);
    bar.set_style(ProgressStyle::with_template(
        "generating {pos}/{len} test images in {msg} {bar:32}",
    )?);
    bar.set_message(dir.display().to_string());
    let next = AtomicUsize::new(0);
    thread::scope(|s| {
        let writers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count || INTERRUPTS.load(Ordering::SeqCst) > 0 {
                        return Ok(());
                    }
                    write_test_image(dir, i)?;
                    bar.inc(1);
                })
            })
            .collect();
        writers
            .into_iter()
            .try_for_each(|w| w.join().expect("a writer does not panic"))
    })
    .map_err(|e: image::ImageError| e.to_string())?;
    bar.finish_and_clear();
    Ok(())
}

/// Writes test image `i`: a colour gradient with rings, every third one in
/// portrait, each a little different.
fn write_test_image(dir: &Path, i: usize) -> Result<(), image::ImageError> {
    let (w, h) = if i % 3 == 2 { (480, 640) } else { (640, 480) };
    let hue = i as f32 * 0.618_034 % 1.0;
    // A colour per column, shaded per pixel by a diagonal and the rings.
    let columns: Vec<[f32; 3]> = (0..w)
        .map(|x| {
            let t = std::f32::consts::TAU * (hue + x as f32 / w as f32 / 3.0);
            [0.0, 1.0, 2.0].map(|k| 0.5 + 0.5 * (t + k * std::f32::consts::TAU / 3.0).cos())
        })
        .collect();
    let (cx, cy, period) = (w as f32 / 2.0, h as f32 / 2.0, 6.0 + (i % 7) as f32);
    let img = RgbImage::from_fn(w, h, |x, y| {
        let ring = ((x as f32 - cx).hypot(y as f32 - cy) / period).sin();
        let shade = 0.55 + 0.125 * (x as f32 / w as f32 + y as f32 / h as f32) + 0.2 * ring;
        Rgb(columns[x as usize].map(|c| (255.0 * (c * shade).clamp(0.0, 1.0)) as u8))
    });
    let file = fs::File::create(dir.join(format!("image-{i:04}.png")))?;
    // Fast compression: these are throwaway inputs.
    let png = PngEncoder::new_with_quality(
        std::io::BufWriter::new(file),
        CompressionType::Fast,
        PngFilter::Sub,
    );
    img.write_with_encoder(png)
}
