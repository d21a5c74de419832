//! One process, a real redis-server per test: delivery, backpressure, dead
//! letters, shutdown, abort and reclaim, delayed and keyed jobs, restarts.

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use brigade::{Context, Pool, Retry};
use brigade_redis::queue::Options;
use brigade_redis::{Consumer, Delivery, Enqueued, LocalServer, Queue};
use support::{
    dead_letters, group_pending, hash_counts, lag, pending_by_consumer, pending_ids, wait_until,
    with_conn,
};

const S: &str = "jobs";
const G: &str = "workers";

/// The effect every test counts: `HINCRBY effects <key> 1`, once per key.
fn record(url: &str, d: &Delivery<u64>) -> Result<bool, String> {
    with_conn(url, |conn| {
        d.record_once(conn, |tx| {
            tx.cmd("HINCRBY")
                .arg("effects")
                .arg(d.key())
                .arg(1)
                .ignore();
        })
    })
}

#[test]
fn smoke() {
    let server = LocalServer::start().unwrap();
    let url = server.url();
    let mut queue = Queue::open(server.client(), S).unwrap();
    let jobs: Vec<u64> = (1..=100).collect();
    let ids = queue.enqueue_many(&jobs).unwrap();
    assert_eq!(ids.len(), 100);
    let u = url.clone();
    let consumer = Consumer::builder(server.client(), S, G, "c1")
        .pool(Pool::builder().workers(2).queue(4))
        .build(move |d: &Delivery<u64>, _: &Context| {
            record(&u, d)?;
            with_conn(&u, |c| {
                redis::cmd("INCRBY")
                    .arg("sum")
                    .arg(*d.job())
                    .query::<i64>(c)
            })
        })
        .unwrap();
    wait_until("the group to drain", Duration::from_secs(20), || {
        consumer.group_drained()
    });
    let report = consumer.shutdown(Duration::from_secs(5)).unwrap();
    assert!(report.drained);
    let m = consumer.metrics();
    assert_eq!(
        (m.stream.read, m.stream.acked, m.stream.succeeded),
        (100, 100, 100)
    );
    assert_eq!(
        (m.stream.reclaimed, m.stream.dead_lettered, m.stream.held),
        (0, 0, 0)
    );
    assert_eq!(m.pool.succeeded, 100);
    let mut conn = server.client().get_connection().unwrap();
    let sum: u64 = redis::cmd("GET").arg("sum").query(&mut conn).unwrap();
    assert_eq!(sum, 5050);
    let effects = hash_counts(&mut conn, "effects");
    assert_eq!(effects.len(), 100);
    assert!(effects.values().all(|&n| n == 1));
    assert_eq!(group_pending(&mut conn, S, G), 0);
    assert_eq!(lag(&mut conn, S, G), Some(0));
    let text = m.to_prometheus("brigade");
    for line in [
        "brigade_stream_acked_total 100",
        "brigade_stream_reclaimed_total 0",
        "brigade_stream_dead_lettered_total 0",
        "brigade_stream_lag 0",
        "brigade_stream_pending 0",
        "brigade_jobs_total{outcome=\"succeeded\"} 100",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "no line {line:?} in\n{text}"
        );
    }
    let mut registry = prometheus_client::registry::Registry::default();
    consumer.register(&mut registry, "brigade");
    let mut scraped = String::new();
    prometheus_client::encoding::text::encode(&mut scraped, &registry).unwrap();
    assert!(
        scraped.contains("brigade_stream_reclaimed_total 0"),
        "{scraped}"
    );
    assert!(scraped.contains("brigade_stream_lag 0"), "{scraped}");
}

/// A pool of 2 workers and a queue of 4 never has more than 6 entries
/// pending in the group, and does reach 6 (so a looser limit would show).
#[test]
fn backpressure_pending_never_exceeds_workers_plus_queue() {
    let server = LocalServer::start().unwrap();
    let mut queue = Queue::open(server.client(), S).unwrap();
    queue
        .enqueue_many(&(0..150u64).collect::<Vec<_>>())
        .unwrap();
    let consumer = Consumer::builder(server.client(), S, G, "bp")
        .pool(Pool::builder().workers(2).queue(4))
        .build(|_: &Delivery<u64>, _: &Context| {
            std::thread::sleep(Duration::from_millis(2));
            Ok::<_, String>(())
        })
        .unwrap();
    let mut conn = server.client().get_connection().unwrap();
    let mut max_pending = 0;
    let mut max_held = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while !consumer.group_drained() {
        assert!(Instant::now() < deadline, "timed out");
        let p = pending_by_consumer(&mut conn, S, G)
            .get("bp")
            .copied()
            .unwrap_or(0);
        max_pending = max_pending.max(p);
        max_held = max_held.max(consumer.metrics().stream.held);
    }
    consumer.shutdown(Duration::from_secs(5)).unwrap();
    assert!(max_pending <= 6, "pending reached {max_pending}");
    assert!(max_held <= 6, "held reached {max_held}");
    assert!(
        max_pending >= 5,
        "the limit was never approached: {max_pending}"
    );
    assert_eq!(consumer.metrics().stream.acked, 150);
}

/// A job that fails on every attempt ends in the dead-letter stream after
/// exactly the configured attempts; the others complete.
#[test]
fn poison_job_is_dead_lettered_after_exactly_the_configured_attempts() {
    let server = LocalServer::start().unwrap();
    let url = server.url();
    let mut queue = Queue::open(server.client(), S).unwrap();
    let ids = queue.enqueue_many(&(0..50u64).collect::<Vec<_>>()).unwrap();
    let tries: Arc<Mutex<HashMap<u64, u32>>> = Arc::default();
    let t = tries.clone();
    let u = url.clone();
    let consumer =
        Consumer::builder(server.client(), S, G, "c")
            .pool(Pool::builder().workers(2).queue(4).retry(
                Retry::attempts(4).backoff(Duration::from_millis(1), Duration::from_millis(5)),
            ))
            .build(move |d: &Delivery<u64>, _: &Context| {
                *t.lock().unwrap().entry(*d.job()).or_default() += 1;
                if *d.job() == 13 {
                    return Err(format!("poison {}", d.job()));
                }
                record(&u, d).map(drop)
            })
            .unwrap();
    wait_until("the group to drain", Duration::from_secs(20), || {
        consumer.group_drained()
    });
    consumer.shutdown(Duration::from_secs(5)).unwrap();
    let mut conn = server.client().get_connection().unwrap();
    let dead = dead_letters(&mut conn, S);
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["id"], ids[13]);
    assert_eq!(dead[0]["attempts"], "4");
    assert_eq!(dead[0]["kind"], "error");
    assert_eq!(dead[0]["job"], "13");
    assert!(dead[0]["error"].contains("poison 13"), "{:?}", dead[0]);
    let tries = tries.lock().unwrap();
    assert_eq!(tries[&13], 4);
    assert!(tries.iter().all(|(&n, &k)| n == 13 || k == 1), "{tries:?}");
    let effects = hash_counts(&mut conn, "effects");
    assert_eq!(effects.len(), 49);
    assert!(!effects.contains_key(&ids[13]));
    assert_eq!(group_pending(&mut conn, S, G), 0);
    let m = consumer.metrics().stream;
    assert_eq!((m.dead_lettered, m.succeeded, m.acked), (1, 49, 50));
}

/// An entry whose payload does not decode is dead-lettered without running,
/// with the decoder's message.
#[test]
fn undecodable_entry_is_dead_lettered_without_running() {
    let server = LocalServer::start().unwrap();
    let mut conn = server.client().get_connection().unwrap();
    let bad: String = redis::cmd("XADD")
        .arg(S)
        .arg("*")
        .arg("job")
        .arg("{not json")
        .query(&mut conn)
        .unwrap();
    let missing: String = redis::cmd("XADD")
        .arg(S)
        .arg("*")
        .arg("other")
        .arg("1")
        .query(&mut conn)
        .unwrap();
    Queue::open(server.client(), S)
        .unwrap()
        .enqueue(&7u64)
        .unwrap();
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    let consumer = Consumer::builder(server.client(), S, G, "c")
        .build(move |_: &Delivery<u64>, _: &Context| {
            r.fetch_add(1, Ordering::SeqCst);
            Ok::<_, String>(())
        })
        .unwrap();
    wait_until("the group to drain", Duration::from_secs(10), || {
        consumer.group_drained()
    });
    consumer.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    let dead = dead_letters(&mut conn, S);
    assert_eq!(dead.len(), 2);
    let by_id: HashMap<_, _> = dead.iter().map(|d| (d["id"].clone(), d)).collect();
    assert!(
        by_id[&bad]["error"].contains("could not decode the job"),
        "{dead:?}"
    );
    assert_eq!(by_id[&bad]["attempts"], "0");
    assert_eq!(by_id[&bad]["kind"], "decode");
    assert!(
        by_id[&missing]["error"].contains("no `job` field"),
        "{dead:?}"
    );
}

/// After `shutdown`, XPENDING for the consumer is empty: jobs that ended
/// were acknowledged, jobs canceled at the deadline were given back; a
/// second consumer then runs every job's effect exactly once.
#[test]
fn graceful_shutdown_leaves_nothing_pending() {
    let server = LocalServer::start().unwrap();
    let url = server.url();
    let mut queue = Queue::open(server.client(), S).unwrap();
    queue.enqueue_many(&(0..60u64).collect::<Vec<_>>()).unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let make = |name: &str, sleep: u64, started: Arc<AtomicUsize>| {
        let u = url.clone();
        Consumer::builder(server.client(), S, G, name)
            .pool(Pool::builder().workers(2).queue(8))
            .build(move |d: &Delivery<u64>, _: &Context| {
                started.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(sleep));
                record(&u, d).map(drop)
            })
            .unwrap()
    };
    let first = make("first", 40, started.clone());
    let mut conn = server.client().get_connection().unwrap();
    wait_until("a full consumer", Duration::from_secs(10), || {
        pending_by_consumer(&mut conn, S, G).get("first") == Some(&10)
    });
    // 8 queued jobs of 40 ms on 2 workers need 160 ms: 50 ms is not enough.
    let report = first.shutdown(Duration::from_millis(50)).unwrap();
    assert!(!report.drained);
    assert!(report.requeued >= 1, "{report:?}");
    assert_eq!(report.still_held, 0);
    assert!(pending_ids(&mut conn, S, G, "first").is_empty());
    assert_eq!(first.metrics().stream.held, 0);
    let m = first.metrics().stream;
    assert_eq!(m.acked, m.succeeded + m.requeued);

    // A generous deadline drains everything and gives nothing back.
    let second = make("second", 1, Arc::new(AtomicUsize::new(0)));
    wait_until("the group to drain", Duration::from_secs(20), || {
        second.group_drained()
    });
    let report = second.shutdown(Duration::from_secs(5)).unwrap();
    assert!(report.drained);
    assert_eq!(report.requeued, 0);
    assert!(pending_ids(&mut conn, S, G, "second").is_empty());
    // A requeued copy keeps its original's id as its key.
    let effects = hash_counts(&mut conn, "effects");
    assert_eq!(effects.len(), 60);
    assert!(effects.values().all(|&n| n == 1));
}

/// `abort` leaves the consumer's entries pending; another consumer reclaims
/// them after the visibility timeout, counts them, and runs them.
#[test]
fn abort_leaves_entries_that_another_consumer_reclaims() {
    let server = LocalServer::start().unwrap();
    let url = server.url();
    let mut queue = Queue::open(server.client(), S).unwrap();
    queue.enqueue_many(&(0..30u64).collect::<Vec<_>>()).unwrap();
    let u = url.clone();
    let stuck = Consumer::builder(server.client(), S, G, "stuck")
        .pool(Pool::builder().workers(2).queue(4))
        .build(move |d: &Delivery<u64>, ctx: &Context| {
            // Holds its jobs until canceled.
            let _ = ctx.done().recv_timeout(Duration::from_secs(30));
            if ctx.err().is_some() {
                return Err("canceled".to_owned());
            }
            record(&u, d).map(drop)
        })
        .unwrap();
    let mut conn = server.client().get_connection().unwrap();
    wait_until("a full consumer", Duration::from_secs(10), || {
        pending_by_consumer(&mut conn, S, G).get("stuck") == Some(&6)
    });
    let report = stuck.abort().unwrap();
    assert_eq!(report.still_held, 6, "{report:?}");
    let left = pending_ids(&mut conn, S, G, "stuck");
    assert_eq!(left.len(), 6);
    assert_eq!(stuck.metrics().stream.acked, 0);

    let u = url.clone();
    let rescuer = Consumer::builder(server.client(), S, G, "rescuer")
        .pool(Pool::builder().workers(2).queue(4))
        .visibility_timeout(Duration::from_millis(300))
        .build_observed(
            move |d: &Delivery<u64>, _: &Context| record(&u, d).map(drop),
            |_| {},
        )
        .unwrap();
    wait_until("the group to drain", Duration::from_secs(20), || {
        rescuer.group_drained()
    });
    rescuer.shutdown(Duration::from_secs(5)).unwrap();
    let m = rescuer.metrics().stream;
    assert_eq!(m.reclaimed, 6, "{m:?}");
    assert_eq!(m.acked, 30);
    let effects = hash_counts(&mut conn, "effects");
    assert_eq!(effects.len(), 30);
    assert!(effects.values().all(|&n| n == 1));
    for id in left {
        assert_eq!(effects.get(&id), Some(&1), "reclaimed {id} did not run");
    }
}

/// Enqueue keys deduplicate, delayed jobs wait in the sorted set until due,
/// and a key's effect happens once even for two entries with that key.
#[test]
fn keys_deduplicate_and_delayed_jobs_wait() {
    let server = LocalServer::start().unwrap();
    let url = server.url();
    let mut queue = Queue::open(server.client(), S).unwrap();
    let first = queue.enqueue_with(&1u64, Options::new().key("k1")).unwrap();
    let Enqueued::Added(id) = first.clone() else {
        panic!("{first:?}")
    };
    assert_eq!(
        queue.enqueue_with(&1u64, Options::new().key("k1")).unwrap(),
        Enqueued::Duplicate(id.clone())
    );
    let delay = Duration::from_millis(400);
    let enqueued_at = Instant::now();
    assert_eq!(
        queue
            .enqueue_with(&2u64, Options::new().key("k2").delay(delay))
            .unwrap(),
        Enqueued::Delayed
    );
    assert_eq!(
        queue.enqueue_with(&2u64, Options::new().key("k2")).unwrap(),
        Enqueued::Duplicate("delayed".into())
    );
    assert_eq!(queue.delayed_len().unwrap(), 1);
    assert_eq!(queue.promote_due(10).unwrap(), 0, "not due yet");
    // A second entry for k1 after its enqueue key expired: the effect
    // marker still makes it a no-op.
    let mut conn = server.client().get_connection().unwrap();
    let _: () = redis::cmd("DEL")
        .arg(format!("{S}:key:k1"))
        .query(&mut conn)
        .unwrap();
    assert!(matches!(
        queue.enqueue_with(&1u64, Options::new().key("k1")).unwrap(),
        Enqueued::Added(_)
    ));
    assert!(queue.enqueue_with(&1u64, Options::new().key("")).is_err());

    let ran_at: Arc<Mutex<Vec<(u64, Duration)>>> = Arc::default();
    let r = ran_at.clone();
    let u = url.clone();
    let consumer = Consumer::builder(server.client(), S, G, "c")
        .build(move |d: &Delivery<u64>, _: &Context| {
            r.lock().unwrap().push((*d.job(), enqueued_at.elapsed()));
            record(&u, d).map(drop)
        })
        .unwrap();
    wait_until("the delayed job", Duration::from_secs(10), || {
        ran_at.lock().unwrap().iter().any(|&(j, _)| j == 2)
    });
    wait_until("the group to drain", Duration::from_secs(10), || {
        consumer.group_drained()
    });
    consumer.shutdown(Duration::from_secs(5)).unwrap();
    let ran = ran_at.lock().unwrap().clone();
    let (_, at) = ran.iter().find(|&&(j, _)| j == 2).unwrap();
    assert!(*at >= delay, "the delayed job ran after {at:?}");
    let effects = hash_counts(&mut conn, "effects");
    assert_eq!(
        effects,
        HashMap::from([("k1".to_owned(), 1), ("k2".to_owned(), 1)])
    );
    let m = consumer.metrics().stream;
    // The second k1 entry was either skipped by the marker check or ran and
    // wrote nothing; either way 3 entries were acknowledged.
    assert_eq!(m.acked, 3);
    let promoted: String = redis::cmd("GET")
        .arg(format!("{S}:key:k2"))
        .query(&mut conn)
        .unwrap();
    assert_ne!(promoted, "delayed", "the key points at the promoted entry");
}

/// redis-server killed mid-run and restarted with AOF: nothing acknowledged
/// is lost, consumers reconnect and finish, every effect happens once.
#[test]
fn redis_restart_with_aof_loses_nothing_acknowledged() {
    let mut server = LocalServer::start_with_aof().unwrap();
    let url = server.url();
    let mut queue = Queue::open(server.client(), S).unwrap();
    let n = 3000u64;
    let ids = queue.enqueue_many(&(0..n).collect::<Vec<_>>()).unwrap();
    let consumers: Vec<_> = ["a", "b"]
        .iter()
        .map(|name| {
            let u = url.clone();
            Consumer::builder(server.client(), S, G, name)
                .pool(
                    Pool::builder().workers(2).queue(16).retry(
                        Retry::attempts(50)
                            .backoff(Duration::from_millis(10), Duration::from_millis(100)),
                    ),
                )
                .visibility_timeout(Duration::from_secs(2))
                .build(move |d: &Delivery<u64>, _: &Context| record(&u, d).map(drop))
                .unwrap()
        })
        .collect();
    let mut conn = server.client().get_connection().unwrap();
    wait_until("a third of the effects", Duration::from_secs(30), || {
        redis::cmd("HLEN")
            .arg("effects")
            .query::<u64>(&mut conn)
            .unwrap()
            >= n / 3
    });
    let acked_before: u64 = consumers.iter().map(|c| c.metrics().stream.acked).sum();
    server.kill();
    std::thread::sleep(Duration::from_millis(300));
    server.restart().unwrap();
    let mut conn = server.client().get_connection().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !consumers.iter().all(|c| c.group_drained()) {
        if Instant::now() > deadline {
            for c in &consumers {
                eprintln!(
                    "{}: {:?} {:?} {:?}",
                    c.name(),
                    c.metrics().stream,
                    c.last_error(),
                    c.pool().busy()
                );
            }
            panic!("the group did not drain after the restart");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    for c in &consumers {
        let report = c.shutdown(Duration::from_secs(5)).unwrap();
        assert!(report.drained);
        assert!(
            c.metrics().stream.reconnects >= 1,
            "{} did not reconnect",
            c.name()
        );
    }
    assert!(
        acked_before > 0 && acked_before < n,
        "the restart was not mid-run: {acked_before}"
    );
    // Every entry the producer was told about is still there.
    let range: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(S)
        .arg("-")
        .arg("+")
        .query(&mut conn)
        .unwrap();
    let stored: Vec<String> = range.ids.into_iter().map(|e| e.id).collect();
    assert_eq!(stored, ids);
    let effects = hash_counts(&mut conn, "effects");
    assert_eq!(effects.len() as u64, n);
    assert!(effects.values().all(|&k| k == 1));
    assert_eq!(group_pending(&mut conn, S, G), 0);
    assert!(dead_letters(&mut conn, S).is_empty());
    let acked: u64 = consumers.iter().map(|c| c.metrics().stream.acked).sum();
    assert!(acked >= n, "acked {acked}");
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    let server = LocalServer::start().unwrap();
    let build = |b: brigade_redis::ConsumerBuilder<String>| {
        b.build(|_: &Delivery<u64>, _: &Context| Ok::<_, String>(()))
            .unwrap_err()
            .to_string()
    };
    let c = || Consumer::builder(server.client(), S, G, "c");
    assert!(build(Consumer::builder(server.client(), "", G, "c")).contains("stream name"));
    assert!(build(Consumer::builder(server.client(), S, "", "c")).contains("group"));
    assert!(build(c().visibility_timeout(Duration::from_millis(1))).contains("visibility_timeout"));
    assert!(build(c().max_deliveries(0)).contains("max_deliveries"));
    assert!(build(c().pool(Pool::builder().workers(0))).contains("workers"));
    let err = Queue::open(server.client(), "").unwrap_err().to_string();
    assert!(err.contains("stream name"), "{err}");
}

/// A job that runs five times longer than the visibility timeout is not
/// taken from its live consumer: the consumer refreshes its entries.
#[test]
fn a_long_job_is_not_reclaimed_from_a_live_consumer() {
    let server = LocalServer::start().unwrap();
    let mut queue = Queue::open(server.client(), S).unwrap();
    queue.enqueue(&1u64).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let make = |name: &str| {
        let runs = runs.clone();
        Consumer::builder(server.client(), S, G, name)
            .pool(Pool::builder().workers(1).queue(0))
            .visibility_timeout(Duration::from_millis(400))
            .build(move |_: &Delivery<u64>, _: &Context| {
                runs.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2000));
                Ok::<_, String>(())
            })
            .unwrap()
    };
    let busy = make("busy");
    wait_until("the job to start", Duration::from_secs(5), || {
        runs.load(Ordering::SeqCst) == 1
    });
    let idle = make("idle");
    wait_until("the group to drain", Duration::from_secs(10), || {
        busy.group_drained()
    });
    busy.shutdown(Duration::from_secs(5)).unwrap();
    idle.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(idle.metrics().stream.reclaimed, 0);
    assert_eq!(busy.metrics().stream.acked, 1);
}

/// An entry whose consumers keep dying on it is dead-lettered once it has
/// been delivered more than `max_deliveries` times, without running again.
#[test]
fn an_entry_delivered_too_often_is_dead_lettered_without_running() {
    let server = LocalServer::start().unwrap();
    let mut queue = Queue::open(server.client(), S).unwrap();
    let id = queue.enqueue(&1u64).unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let make = |name: &str| {
        let runs = runs.clone();
        Consumer::builder(server.client(), S, G, name)
            .pool(Pool::builder().workers(1).queue(0))
            .visibility_timeout(Duration::from_millis(50))
            .max_deliveries(2)
            .build(move |_: &Delivery<u64>, ctx: &Context| {
                runs.fetch_add(1, Ordering::SeqCst);
                // Runs until its consumer dies.
                let _ = ctx.done().recv_timeout(Duration::from_secs(30));
                Err::<(), _>("canceled".to_owned())
            })
            .unwrap()
    };
    for (n, name) in ["first", "second"].iter().enumerate() {
        let c = make(name);
        wait_until("the job to start", Duration::from_secs(5), || {
            runs.load(Ordering::SeqCst) == n + 1
        });
        c.abort().unwrap(); // dies holding it
    }
    let last = make("third");
    let mut conn = server.client().get_connection().unwrap();
    wait_until("the dead letter", Duration::from_secs(10), || {
        !dead_letters(&mut conn, S).is_empty()
    });
    wait_until("the group to drain", Duration::from_secs(10), || {
        last.group_drained()
    });
    last.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(
        runs.load(Ordering::SeqCst),
        2,
        "ran again after max_deliveries"
    );
    let dead = dead_letters(&mut conn, S);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["id"], id);
    assert_eq!(dead[0]["kind"], "max_deliveries");
    assert!(
        dead[0]["error"].contains("delivered 3 times"),
        "{:?}",
        dead[0]
    );
    assert_eq!(group_pending(&mut conn, S, G), 0);
}

/// Two groups on one stream each run every entry once (fan-out): one
/// group's idempotency markers do not mark the other's jobs done.
#[test]
fn every_group_runs_every_entry() {
    let server = LocalServer::start().unwrap();
    let url = server.url();
    let mut queue = Queue::open(server.client(), S).unwrap();
    queue.enqueue_many(&(0..40u64).collect::<Vec<_>>()).unwrap();
    queue
        .enqueue_with(&40u64, Options::new().key("shared"))
        .unwrap();
    let consumers: Vec<_> = ["thumbnailers", "indexers"]
        .iter()
        .map(|group| {
            let (u, g) = (url.clone(), group.to_string());
            Consumer::builder(server.client(), S, group, "c")
                .build(move |d: &Delivery<u64>, _: &Context| {
                    with_conn(&u, |conn| {
                        d.record_once(conn, |tx| {
                            tx.cmd("HINCRBY")
                                .arg(format!("effects:{g}"))
                                .arg(d.key())
                                .arg(1)
                                .ignore();
                        })
                    })
                })
                .unwrap()
        })
        .collect();
    wait_until("both groups to drain", Duration::from_secs(10), || {
        consumers.iter().all(|c| c.group_drained())
    });
    let mut conn = server.client().get_connection().unwrap();
    for (c, group) in consumers.iter().zip(["thumbnailers", "indexers"]) {
        c.shutdown(Duration::from_secs(5)).unwrap();
        assert_eq!(c.metrics().stream.succeeded, 41);
        let effects = hash_counts(&mut conn, &format!("effects:{group}"));
        assert_eq!(effects.len(), 41, "{group}");
        assert!(effects.values().all(|&n| n == 1));
    }
}
