//! One scenario of the Redis benchmark (bench/redis/run.sh runs them all,
//! interleaved with BullMQ's): prints one JSON line with jobs/s.
//!
//! ```text
//! redis_bench --url redis://127.0.0.1:6379/ --engine brigade|bare --scenario S --jobs N
//! ```
//!
//! Scenarios, after BullMQ's own benchmark suite:
//! - `queue-add`: single adds of a 10×10 nested payload;
//! - `queue-add-bulk`: bulks of 50 tiny jobs;
//! - `worker-generic`: a no-op job at a time (one in flight);
//! - `worker-concurrent`: no-op jobs, 100 in flight;
//! - `e2e-1`, `e2e-2`, `e2e-4` (brigade only): 1, 2 or 4 consumer processes
//!   of 2 workers each run the jobs, from their start to the last
//!   acknowledgement.
//!
//! `bare` is the floor: the same work with plain `XADD`, `XREADGROUP` and
//! `XACK` calls and nothing else (no decoding, no pool, no idempotency,
//! no dead letters).
//! The worker scenarios fill the stream first (not timed). The database is
//! flushed before each run.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use brigade::{Context, Pool};
use brigade_redis::{Consumer, Delivery, Queue};
use redis::streams::{StreamReadOptions, StreamReadReply};
use redis::Commands;

const STREAM: &str = "bench";
const GROUP: &str = "bench";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(&args[1], &args[2]);
        return;
    }
    let get = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| {
                eprintln!(
                    "usage: redis_bench --url URL --engine brigade|bare --scenario S --jobs N"
                );
                std::process::exit(2)
            })
    };
    let (url, engine, scenario) = (get("--url"), get("--engine"), get("--scenario"));
    let jobs: u64 = get("--jobs").parse().expect("--jobs N");
    let client = redis::Client::open(url.as_str()).expect("a redis URL");
    let mut conn = client.get_connection().expect("redis reachable");
    let _: () = redis::cmd("FLUSHALL").query(&mut conn).unwrap();
    let seconds = match (engine.as_str(), scenario.as_str()) {
        (_, "queue-add") => add(&client, &engine, jobs),
        (_, "queue-add-bulk") => add_bulk(&client, &engine, jobs),
        ("brigade", "worker-generic") => work(&client, jobs, 1, 0),
        ("brigade", "worker-concurrent") => work(&client, jobs, 2, 98),
        ("bare", "worker-generic") => work_bare(&client, jobs, 1),
        ("bare", "worker-concurrent") => work_bare(&client, jobs, 100),
        ("brigade", e2e) if e2e.starts_with("e2e-") => {
            end_to_end(&client, &url, jobs, e2e[4..].parse().expect("e2e-N"))
        }
        _ => {
            eprintln!("unknown engine/scenario {engine}/{scenario}");
            std::process::exit(2)
        }
    };
    println!(
        "{{\"engine\":\"{engine}\",\"scenario\":\"{scenario}\",\"jobs\":{jobs},\"seconds\":{seconds:.6},\"jobs_per_s\":{:.1}}}",
        jobs as f64 / seconds
    );
}

/// BullMQ's benchmark payload: 10 keys, each an object of 10 keys.
fn nested() -> serde_json::Value {
    let inner: serde_json::Map<String, serde_json::Value> = (0..10)
        .map(|i| (format!("k{i}"), serde_json::json!(i)))
        .collect();
    (0..10)
        .map(|i| (format!("k{i}"), serde_json::Value::Object(inner.clone())))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn add(client: &redis::Client, engine: &str, jobs: u64) -> f64 {
    let payload = nested();
    let started = Instant::now();
    if engine == "brigade" {
        let mut queue = Queue::open(client.clone(), STREAM).unwrap();
        for _ in 0..jobs {
            queue.enqueue(&payload).unwrap();
        }
    } else {
        let json = payload.to_string();
        let mut conn = client.get_connection().unwrap();
        for _ in 0..jobs {
            let _: String = conn.xadd(STREAM, "*", &[("job", &json)]).unwrap();
        }
    }
    started.elapsed().as_secs_f64()
}

fn add_bulk(client: &redis::Client, engine: &str, jobs: u64) -> f64 {
    let bulk: Vec<u64> = (0..50).collect();
    let started = Instant::now();
    if engine == "brigade" {
        let mut queue = Queue::open(client.clone(), STREAM).unwrap();
        for _ in 0..jobs / 50 {
            queue.enqueue_many(&bulk).unwrap();
        }
    } else {
        let mut conn = client.get_connection().unwrap();
        for _ in 0..jobs / 50 {
            let mut pipe = redis::pipe();
            for n in &bulk {
                pipe.xadd(STREAM, "*", &[("job", n)]);
            }
            let _: Vec<String> = pipe.query(&mut conn).unwrap();
        }
    }
    started.elapsed().as_secs_f64()
}

fn fill(client: &redis::Client, jobs: u64) {
    let mut queue = Queue::open(client.clone(), STREAM).unwrap();
    queue.create_group(GROUP).unwrap();
    let all: Vec<u64> = (0..jobs).collect();
    queue.enqueue_many(&all).unwrap();
}

fn work(client: &redis::Client, jobs: u64, workers: usize, queue: usize) -> f64 {
    fill(client, jobs);
    let started = Instant::now();
    let consumer = Consumer::builder(client.clone(), STREAM, GROUP, "c")
        .pool(Pool::builder().workers(workers).queue(queue))
        .build(|_: &Delivery<u64>, _: &Context| Ok::<_, String>(()))
        .unwrap();
    while consumer.stream_metrics().acked < jobs {
        std::thread::sleep(Duration::from_micros(200));
    }
    let seconds = started.elapsed().as_secs_f64();
    consumer.shutdown(Duration::from_secs(5)).unwrap();
    seconds
}

fn work_bare(client: &redis::Client, jobs: u64, in_flight: usize) -> f64 {
    fill(client, jobs);
    let mut conn = client.get_connection().unwrap();
    let opts = StreamReadOptions::default()
        .group(GROUP, "c")
        .count(in_flight);
    let started = Instant::now();
    let mut done = 0;
    while done < jobs {
        let reply: Option<StreamReadReply> = conn.xread_options(&[STREAM], &[">"], &opts).unwrap();
        let ids: Vec<String> = reply
            .map(|r| {
                r.keys
                    .into_iter()
                    .flat_map(|k| k.ids)
                    .map(|e| e.id)
                    .collect()
            })
            .unwrap_or_default();
        if ids.is_empty() {
            continue;
        }
        let _: usize = conn.xack(STREAM, GROUP, &ids).unwrap();
        done += ids.len() as u64;
    }
    started.elapsed().as_secs_f64()
}

fn end_to_end(client: &redis::Client, url: &str, jobs: u64, processes: usize) -> f64 {
    fill(client, jobs);
    let exe = std::env::current_exe().unwrap();
    let started = Instant::now();
    let children: Vec<Child> = (0..processes)
        .map(|i| {
            Command::new(&exe)
                .args(["--child", url, &format!("c{i}")])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut conn = client.get_connection().unwrap();
    loop {
        let groups: redis::streams::StreamInfoGroupsReply = conn.xinfo_groups(STREAM).unwrap();
        let g = &groups.groups[0];
        if g.lag == Some(0) && g.pending == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let seconds = started.elapsed().as_secs_f64();
    for mut c in children {
        c.wait().unwrap();
    }
    seconds
}

fn child(url: &str, name: &str) {
    let client = redis::Client::open(url).unwrap();
    let consumer = Consumer::builder(client, STREAM, GROUP, name)
        .pool(Pool::builder().workers(2).queue(32))
        .build(|_: &Delivery<u64>, _: &Context| Ok::<_, String>(()))
        .unwrap();
    while !consumer.group_drained() {
        std::thread::sleep(Duration::from_millis(20));
    }
    consumer.shutdown(Duration::from_secs(5)).unwrap();
}
