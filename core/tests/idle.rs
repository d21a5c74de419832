//! Waiting costs no CPU: a blocked send, receive or select, and an idle pool's
//! workers, go to sleep after the short spin, yields and retries a wait
//! starts with (`core/src/chan/README.md`, "Waiting: half a microsecond of
//! spin, then yield"). A wait that never stopped retrying would still
//! complete every other test here; these read the waiting threads' CPU time
//! instead.
#![cfg(target_os = "linux")]

use std::fs;
use std::thread;
use std::time::Duration;

use brigade::chan;
use brigade::{select, Pool};

/// How long each wait lasts.
const WAIT: Duration = Duration::from_millis(300);
/// The most CPU time a wait of [`WAIT`] may use: a tenth of it. A sleeping
/// wait uses microseconds; one that kept a core busy would use most of it.
const MOST: Duration = Duration::from_millis(30);

/// CPU time a thread has used, from Linux's per-thread scheduler statistics
/// (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds on the CPU first).
fn cpu(schedstat: &str) -> Duration {
    let text = fs::read_to_string(schedstat).expect("schedstat is readable");
    let ns = text
        .split_whitespace()
        .next()
        .and_then(|f| f.parse().ok())
        .expect("schedstat starts with nanoseconds on the CPU");
    Duration::from_nanos(ns)
}

/// CPU time of the calling thread.
fn own_cpu() -> Duration {
    cpu("/proc/thread-self/schedstat")
}

/// Runs `wait` on a thread of its own, lets it block for [`WAIT`], then calls
/// `release`, and returns the CPU time the thread used while it waited.
fn cpu_while_blocked(wait: impl FnOnce() + Send + 'static, release: impl FnOnce()) -> Duration {
    let waiter = thread::spawn(move || {
        let before = own_cpu();
        wait();
        own_cpu() - before
    });
    thread::sleep(WAIT);
    release();
    waiter.join().expect("the waiting thread ends")
}

fn check(what: &str, used: Duration) {
    assert!(
        used < MOST,
        "{what} used {used:?} of CPU while blocked for {WAIT:?}: it should sleep"
    );
}

#[test]
fn a_receiver_blocked_on_an_empty_channel_sleeps() {
    let runs: Vec<_> = chan::each_engine::<u64>()
        .into_iter()
        .map(|(name, tx, rx)| {
            thread::spawn(move || {
                let used = cpu_while_blocked(
                    move || assert_eq!(rx.recv(), Ok(7)),
                    || tx.send(7).expect("the receiver is there"),
                );
                (name, used)
            })
        })
        .collect();
    for run in runs {
        let (name, used) = run.join().expect("no run panics");
        check(&format!("recv on {name}"), used);
    }
}

#[test]
fn a_sender_blocked_on_a_full_channel_sleeps() {
    let runs: Vec<_> = chan::each_engine::<u64>()
        .into_iter()
        .filter_map(|(name, tx, rx)| {
            let cap = tx.capacity()?;
            for i in 0..cap as u64 {
                tx.try_send(i).expect("room for the buffer's worth");
            }
            Some(thread::spawn(move || {
                let used = cpu_while_blocked(
                    move || tx.send(99).expect("the receiver is there"),
                    || {
                        rx.recv().expect("a value is there");
                    },
                );
                (name, used)
            }))
        })
        .collect();
    assert_eq!(runs.len(), 3, "every bounded flavour");
    for run in runs {
        let (name, used) = run.join().expect("no run panics");
        check(&format!("send on {name}"), used);
    }
}

#[test]
fn a_select_blocked_on_empty_channels_sleeps() {
    let (ring_tx, ring_rx) = chan::bounded::<u64>(64);
    let (list_tx, list_rx) = chan::unbounded::<u64>();
    let used = cpu_while_blocked(
        move || {
            let got = select! {
                recv(ring_rx) -> v => v,
                recv(list_rx) -> v => v,
            };
            assert_eq!(got, Ok(5));
        },
        || list_tx.send(5).expect("the select is there"),
    );
    drop(ring_tx);
    check("select over a ring and a list", used);
}

#[test]
fn an_idle_pools_workers_sleep() {
    let pool = Pool::builder()
        .workers(2)
        .queue(16)
        .build(|n: &u64, _| Ok::<u64, ()>(*n))
        .expect("a valid pool");
    // Give the workers one job each way, then let them go idle.
    let id = pool.submit(1).expect("the pool is open");
    let first = pool.results().recv().expect("one outcome");
    assert_eq!(first.id, id);
    thread::sleep(Duration::from_millis(50));

    let workers: Vec<String> = fs::read_dir("/proc/self/task")
        .expect("the process's threads are listed")
        .filter_map(|t| {
            let dir = t.ok()?.path();
            let name = fs::read_to_string(dir.join("comm")).ok()?;
            name.starts_with("brigade-worker")
                .then(|| dir.join("schedstat").display().to_string())
        })
        .collect();
    assert_eq!(workers.len(), 2, "both workers are running");
    let before: Vec<Duration> = workers.iter().map(|w| cpu(w)).collect();
    thread::sleep(WAIT);
    for (w, before) in workers.iter().zip(before) {
        check(&format!("an idle worker ({w})"), cpu(w) - before);
    }
    pool.close();
    pool.join().expect("a test thread may block");
}
