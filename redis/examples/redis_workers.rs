//! Thumbnail jobs shared by several consumer processes through one Redis
//! Stream.
//!
//! ```text
//! cargo run --release -p brigade-redis --example redis_workers -- --consumers 3
//! ```
//!
//! Starts its own `redis-server` (on 127.0.0.1, a free port, a temporary
//! directory), enqueues 10,000 thumbnail jobs (a few of them "corrupt
//! images" that fail on every attempt), starts N consumer processes (this
//! program again, with `--consumer-process`), shows a progress line, and
//! prints what each consumer did, with the reclaimed and dead-lettered
//! counts. Options: `--jobs N`, `--workers N` (per consumer), and
//! `--kill-one`, which SIGKILLs the first consumer a third of the way
//! through, so the others reclaim its entries.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use brigade::{Context, Pool, Retry};
use brigade_redis::{Consumer, Delivery, LocalServer, Queue};
use serde::{Deserialize, Serialize};

const STREAM: &str = "thumbnails";
const GROUP: &str = "thumbnailers";

/// One image to shrink to a thumbnail.
#[derive(Debug, Serialize, Deserialize)]
struct Thumb {
    image: u32,
    width: u32,
    height: u32,
    corrupt: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: redis_workers [--consumers N] [--jobs N] [--workers N] [--kill-one]\n\
         starts a redis-server, enqueues thumbnail jobs and runs them on N consumer processes"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--consumer-process") {
        let [_, url, name, workers] = args.as_slice() else {
            usage()
        };
        consume(url, name, workers.parse().unwrap_or_else(|_| usage()));
        return;
    }
    let mut consumers = 3usize;
    let mut jobs = 10_000u32;
    let mut workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut kill_one = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut number = |what: &str| -> usize {
            it.next()
                .and_then(|v| v.parse().ok())
                .filter(|&n| n > 0)
                .unwrap_or_else(|| {
                    eprintln!("{what} needs a positive number");
                    usage()
                })
        };
        match a.as_str() {
            "--consumers" => consumers = number("--consumers"),
            "--jobs" => jobs = number("--jobs") as u32,
            "--workers" => workers = number("--workers"),
            "--kill-one" => kill_one = true,
            _ => usage(),
        }
    }
    if let Err(e) = run(consumers, jobs, workers, kill_one) {
        eprintln!("redis_workers: {e}");
        std::process::exit(1);
    }
}

fn run(
    consumers: usize,
    jobs: u32,
    workers: usize,
    kill_one: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let server = LocalServer::start()?;
    println!(
        "redis-server on {} (pid {})",
        server.url(),
        server.pid().unwrap_or(0)
    );
    let mut queue = Queue::open(server.client(), STREAM)?;
    let thumbs: Vec<Thumb> = (0..jobs)
        .map(|i| Thumb {
            image: i,
            width: 320 + (i % 7) * 64,
            height: 240 + (i % 5) * 48,
            corrupt: i % 2500 == 1234,
        })
        .collect();
    queue.create_group(GROUP)?;
    let started = Instant::now();
    queue.enqueue_many(&thumbs)?;
    println!(
        "enqueued {jobs} thumbnail jobs in {:.0} ms; starting {consumers} consumer processes of {workers} workers",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let exe = std::env::current_exe()?;
    let mut children: Vec<(String, Option<Child>)> = (0..consumers)
        .map(|i| {
            let name = format!("consumer-{i}");
            let child = Command::new(&exe)
                .args([
                    "--consumer-process",
                    &server.url(),
                    &name,
                    &workers.to_string(),
                ])
                .stdout(Stdio::piped())
                .spawn()
                .map(Some)
                .map_err(|e| format!("could not start {name}: {e}"));
            child.map(|c| (name, c))
        })
        .collect::<Result<_, _>>()?;

    let mut conn = server.client().get_connection()?;
    let started = Instant::now();
    let mut killed = None;
    loop {
        let done: u64 = redis::cmd("HLEN").arg("thumbs").query(&mut conn)?;
        let dead: u64 = redis::cmd("XLEN")
            .arg(format!("{STREAM}:dead"))
            .query(&mut conn)?;
        let pending: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
            .arg(STREAM)
            .arg(GROUP)
            .query(&mut conn)?;
        let finished = done + dead;
        let width = 30;
        let filled = (finished as usize * width) / jobs as usize;
        print!(
            "\r[{}{}] {finished:>6}/{jobs} jobs  {:>4} pending  {dead} dead  {:>5.1} s ",
            "#".repeat(filled),
            " ".repeat(width - filled),
            pending.count(),
            started.elapsed().as_secs_f64()
        );
        std::io::stdout().flush()?;
        if kill_one && killed.is_none() && finished >= u64::from(jobs) / 3 {
            if let Some(mut c) = children[0].1.take() {
                c.kill()?; // SIGKILL: its entries stay pending until reclaimed
                c.wait()?;
                killed = Some(children[0].0.clone());
            }
        }
        if finished >= u64::from(jobs) && pending.count() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let elapsed = started.elapsed();
    println!();
    println!(
        "{jobs} jobs in {:.2} s: {:.0} jobs/s",
        elapsed.as_secs_f64(),
        f64::from(jobs) / elapsed.as_secs_f64()
    );
    let (mut reclaimed, mut dead_lettered) = (0, 0);
    println!(
        "{:<12} {:>9} {:>9} {:>13} {:>9}",
        "consumer", "succeeded", "reclaimed", "dead-lettered", "acked"
    );
    for (name, child) in children {
        let Some(child) = child else {
            println!("{name:<12} killed with SIGKILL mid-run");
            continue;
        };
        let out = child.wait_with_output()?;
        let line = BufReader::new(out.stdout.as_slice())
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("RESULT "))
            .ok_or_else(|| format!("{name} printed no result ({})", out.status))?;
        let f: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        println!(
            "{name:<12} {:>9} {:>9} {:>13} {:>9}",
            f[0], f[1], f[2], f[3]
        );
        reclaimed += f[1];
        dead_lettered += f[2];
    }
    let dead: u64 = redis::cmd("XLEN")
        .arg(format!("{STREAM}:dead"))
        .query(&mut conn)?;
    let thumbs: u64 = redis::cmd("HLEN").arg("thumbs").query(&mut conn)?;
    println!("thumbnails stored: {thumbs}; reclaimed: {reclaimed}; dead-lettered: {dead_lettered} (dead-letter stream: {dead})");
    if let Some(name) = killed {
        println!(
            "{name} was killed; the others reclaimed its entries after the visibility timeout"
        );
    }
    Ok(())
}

/// A consumer process: runs thumbnail jobs until the group has drained.
fn consume(url: &str, name: &str, workers: usize) {
    let client = redis::Client::open(url).expect("a redis URL");
    let effects = client.clone();
    let consumer = Consumer::builder(client, STREAM, GROUP, name)
        .pool(
            Pool::builder()
                .workers(workers)
                .queue(workers * 2)
                .retry(Retry::attempts(3).backoff(Duration::from_millis(5), Duration::from_millis(50))),
        )
        .visibility_timeout(Duration::from_secs(2))
        .build(move |d: &Delivery<Thumb>, _: &Context| {
            let t = d.job();
            if t.corrupt {
                return Err(format!("image {} is corrupt", t.image));
            }
            let sum = thumbnail(t);
            // One connection per worker thread.
            thread_local!(static CONN: std::cell::RefCell<Option<redis::Connection>> = const { std::cell::RefCell::new(None) });
            CONN.with(|c| {
                let mut c = c.borrow_mut();
                if c.is_none() {
                    *c = Some(effects.get_connection().map_err(|e| e.to_string())?);
                }
                let conn = c.as_mut().expect("connected");
                let out = d.record_once(conn, |tx| {
                    tx.cmd("HSET").arg("thumbs").arg(t.image).arg(sum).ignore();
                });
                if out.is_err() {
                    *c = None;
                }
                out.map(drop).map_err(|e| e.to_string())
            })
        })
        .expect("consumer");
    let parent = std::os::unix::process::parent_id();
    while !consumer.group_drained() {
        if std::os::unix::process::parent_id() != parent {
            // The parent (and its redis-server) is gone: stop.
            let _ = consumer.abort();
            std::process::exit(1);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    consumer
        .shutdown(Duration::from_secs(10))
        .expect("shutdown");
    let m = consumer.metrics().stream;
    println!(
        "RESULT {} {} {} {}",
        m.succeeded, m.reclaimed, m.dead_lettered, m.acked
    );
}

/// The CPU kernel: renders a `width × height` gradient with noise and
/// shrinks it to 64 pixels wide with a box filter; returns a checksum.
fn thumbnail(t: &Thumb) -> u64 {
    let (w, h) = (t.width as usize, t.height as usize);
    let mut seed = u64::from(t.image) * 0x9E37_79B9_7F4A_7C15 + 1;
    let pixels: Vec<u8> = (0..w * h)
        .map(|i| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            ((i % w) * 255 / w) as u8 ^ (seed as u8 & 15)
        })
        .collect();
    let tw = 64;
    let scale = w / tw;
    let th = h / scale;
    let mut sum = 0u64;
    for ty in 0..th {
        for tx in 0..tw {
            let mut acc = 0u32;
            for y in ty * scale..(ty + 1) * scale {
                for x in tx * scale..(tx + 1) * scale {
                    acc += u32::from(pixels[y * w + x]);
                }
            }
            sum = sum
                .wrapping_mul(31)
                .wrapping_add(u64::from(acc / (scale * scale) as u32));
        }
    }
    sum
}
