//! The worker pool, feature by feature. Each test fails if its feature breaks.

mod block_on;

use std::collections::HashSet;
use std::future::{Future, IntoFuture};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use block_on::block_on;
use brigade::chan::{self, Receiver, SendTimeoutError, TrySendError};
use brigade::pool::{BuildError, CancelReason, Failure, Job, Phase, Spawner, Worker};
use brigade::{Context, Pool, RateLimit, Retry, RetryBudget};

type Gate = Receiver<()>;

/// A handler that blocks until the gate is opened (closed) or its context ends.
fn gated(gate: Gate) -> impl Fn(&u32, &Context) -> Result<u32, String> + Send + Sync + 'static {
    move |n, ctx| {
        brigade::select! {
            recv(gate) -> _ => Ok(*n),
            recv(ctx.done()) -> _ => Err("stopped".into()),
        }
    }
}

/// A pool of `workers` workers and a queue of `queue` whose jobs run
/// [`gated`]: the returned sender is the gate (drop it to open).
fn gated_pool(workers: usize, queue: usize) -> (chan::Sender<()>, Pool<u32, u32, String>) {
    let (open, gate) = chan::bounded::<()>(0);
    let pool = Pool::builder()
        .workers(workers)
        .queue(queue)
        .build(gated(gate))
        .unwrap();
    (open, pool)
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_submitted_job_comes_out_with_its_id_input_value_and_worker() {
    let pool = Pool::builder()
        .workers(2)
        .build(|n: &u32, _: &Context| Ok::<_, ()>(n + 1))
        .unwrap();
    let id = pool.submit(1).unwrap();
    let o = pool.results().recv().unwrap();
    assert_eq!((o.id, o.job, o.result, o.attempts), (id, 1, Ok(2), 1));
    assert!(o.worker.is_some_and(|w| w < 2));
}

#[test]
fn bad_parameters_fail_at_build() {
    let h = |_: &u32, _: &Context| Ok::<u32, ()>(0);
    assert_eq!(
        Pool::builder().workers(0).build(h).unwrap_err(),
        BuildError::Workers(0)
    );
    assert_eq!(
        Pool::builder().workers(100_000).build(h).unwrap_err(),
        BuildError::Workers(100_000)
    );
    assert_eq!(
        Pool::builder()
            .workers(1)
            .queue(usize::MAX)
            .build(h)
            .unwrap_err(),
        BuildError::Queue(usize::MAX)
    );
    let err = Pool::builder()
        .workers(1)
        .timeout(Duration::ZERO)
        .build(h)
        .unwrap_err();
    assert_eq!(err.to_string(), "timeout must be longer than zero");
    let err = Pool::builder()
        .workers(1)
        .saturation_window(Duration::ZERO)
        .build(h)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "saturation_window must be longer than zero"
    );
    let pool = Pool::builder().workers(1).build(h).unwrap();
    assert_eq!(pool.resize(0), Err(BuildError::Workers(0)));
}

#[test]
fn backpressure_blocks_at_queue_plus_workers_in_flight() {
    let (open, pool) = gated_pool(2, 3);
    let pool = Arc::new(pool);
    let accepted = Arc::new(AtomicUsize::new(0));
    let producer = {
        let (pool, accepted) = (pool.clone(), accepted.clone());
        thread::spawn(move || {
            for i in 0..8 {
                pool.submit(i).unwrap();
                accepted.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    wait_until("5 jobs are in flight", || {
        accepted.load(Ordering::SeqCst) == 5
    });
    wait_until("both workers run", || pool.metrics().busy == 2);
    assert_eq!(pool.queued(), 3);
    thread::sleep(Duration::from_millis(30));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        5,
        "2 running + 3 queued, then submit blocks"
    );
    assert!(
        matches!(pool.try_submit(99), Err(TrySendError::Full(99))),
        "try_submit hands the job back"
    );
    drop(open); // release every job
    producer.join().unwrap();
    pool.close();
    assert_eq!(pool.results().iter().filter(|o| o.is_ok()).count(), 8);
}

#[test]
fn queue_zero_is_a_rendezvous_with_a_free_worker() {
    let (open, pool) = gated_pool(1, 0);
    // try_submit succeeds only once the worker waits to receive: no buffer.
    wait_until("the worker waits for a job", || pool.try_submit(0).is_ok());
    wait_until("the first job runs", || pool.metrics().busy == 1);
    let err = pool
        .submit_timeout(1, Duration::from_millis(20))
        .unwrap_err();
    assert_eq!(
        err,
        SendTimeoutError::Timeout(1),
        "no free worker: no room at all"
    );
    drop(open);
    pool.submit_timeout(2, Duration::from_secs(10)).unwrap();
    pool.close();
    assert_eq!(pool.results().iter().count(), 2);
}

#[test]
fn running_names_each_busy_worker_and_its_job() {
    let (open, pool) = gated_pool(3, 4);
    assert!(pool.running().is_empty(), "an idle pool runs nothing");
    let ids: Vec<_> = (0..2).map(|n| pool.submit(n).unwrap()).collect();
    wait_until("both jobs run", || pool.running().len() == 2);
    thread::sleep(Duration::from_millis(20));
    let running = pool.running();
    let mut seen: Vec<_> = running.iter().map(|r| r.id).collect();
    seen.sort_unstable();
    assert_eq!(seen, ids);
    let workers: HashSet<_> = running.iter().map(|r| r.worker).collect();
    assert_eq!(
        workers.len(),
        2,
        "two jobs on two different workers: {running:?}"
    );
    assert!(running.iter().all(|r| r.worker < 3));
    assert!(
        running.windows(2).all(|w| w[0].worker < w[1].worker),
        "in worker order"
    );
    assert!(running
        .iter()
        .all(|r| r.running_for >= Duration::from_millis(20)));
    // Each reported job is the one its worker's outcome names.
    drop(open);
    for _ in 0..2 {
        let o = pool.results().recv().unwrap();
        let r = running.iter().find(|r| r.id == o.id).unwrap();
        assert_eq!(o.worker, Some(r.worker));
    }
    assert!(
        pool.running().is_empty(),
        "no job runs once every outcome is out"
    );
}

#[test]
fn ended_at_places_each_job_on_the_pools_clock() {
    let pool = Pool::builder()
        .workers(1)
        .queue(8)
        .build(|ms: &u64, _: &Context| {
            thread::sleep(Duration::from_millis(*ms));
            Ok::<_, ()>(*ms)
        })
        .unwrap();
    let before = pool.uptime();
    for ms in [20, 10, 30] {
        pool.submit(ms).unwrap();
    }
    pool.close();
    let outcomes: Vec<_> = pool.results().iter().collect();
    let after = pool.uptime();
    assert_eq!(outcomes.len(), 3);
    let mut last_end = before;
    for o in &outcomes {
        let start = o.ended_at - o.ran_for;
        assert!(o.ran_for >= Duration::from_millis(o.job), "{o:?}");
        // One worker: each job starts after the one before it ended.
        assert!(start >= last_end, "{start:?} before {last_end:?}");
        assert!(o.ended_at <= after);
        last_end = o.ended_at;
    }
}

#[test]
fn every_outcome_kind() {
    // Queue waits are limited to a time no worker start should reach; the
    // job meant to exceed it is held back by jobs that end only when the
    // gate opens.
    let max_wait = Duration::from_millis(500);
    let (open, gate) = chan::bounded::<()>(0);
    let pool = Pool::builder()
        .workers(2)
        .max_queue_wait(max_wait)
        .build(move |n: &u32, ctx: &Context| match n {
            0 => Ok(0),
            1 => Err("bad input".to_string()),
            2 => panic!("kernel bug"),
            3 => {
                let _ = ctx.done().recv(); // until the timeout cancels it
                Err("gave up".into())
            }
            _ => {
                let _ = gate.recv(); // until the gate opens (closes)
                Ok(*n)
            }
        })
        .unwrap();
    let ok = pool.run(0).unwrap().wait().unwrap();
    assert_eq!(ok.result, Ok(0));
    let err = pool.run(1).unwrap().wait().unwrap();
    assert_eq!(err.result, Err(Failure::Error("bad input".into())));
    let panicked = pool.run(2).unwrap().wait().unwrap();
    assert_eq!(panicked.result, Err(Failure::Panicked("kernel bug".into())));
    let slow = pool
        .run(Job::new(3).timeout(Duration::from_millis(20)))
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(slow.result, Err(Failure::TimedOut(Phase::Running)));
    assert!(slow.ran_for >= Duration::from_millis(20));
    // Two held jobs occupy both workers; the third waits past max_queue_wait.
    let busy: Vec<_> = (0..2).map(|_| pool.run(10).unwrap()).collect();
    wait_until("both held jobs run", || pool.busy() == 2);
    let late = pool.run(11).unwrap();
    thread::sleep(max_wait + Duration::from_millis(50));
    drop(open);
    let late = late.wait().unwrap();
    assert_eq!(late.result, Err(Failure::TimedOut(Phase::Queued)));
    assert_eq!((late.attempts, late.worker), (0, None));
    busy.into_iter()
        .for_each(|h| assert!(h.wait().unwrap().is_ok()));
}

#[test]
fn cancel_by_id_queued_and_running() {
    let (open, pool) = gated_pool(1, 4);
    let running = pool.submit(1).unwrap();
    let queued = pool.submit(2).unwrap();
    wait_until("job 1 runs", || pool.metrics().busy == 1);
    // The queued one first: once job 1 ends, job 2 would start.
    assert!(!pool.cancel(queued), "a queued job is marked, not running");
    assert!(
        pool.cancel(running),
        "a running job is canceled through its context"
    );
    assert!(!pool.cancel(999), "unknown ids are ignored");
    pool.close();
    let mut outcomes: Vec<_> = pool
        .results()
        .iter()
        .map(|o| (o.id, o.result, o.attempts))
        .collect();
    outcomes.sort_by_key(|o| o.0);
    assert_eq!(
        outcomes,
        [
            (running, Err(Failure::Canceled(CancelReason::Job)), 1),
            (queued, Err(Failure::Canceled(CancelReason::Job)), 0),
        ]
    );
    drop(open);
}

#[test]
fn canceling_ended_jobs_leaves_nothing_behind() {
    let (open, pool) = gated_pool(2, 1024);
    drop(open); // every job ends at once
    let ended: Vec<_> = (0..100).map(|n| pool.submit(n).unwrap()).collect();
    for _ in &ended {
        pool.results().recv().unwrap();
    }
    // Idle pool: the ids go at once.
    for &id in &ended {
        assert!(!pool.cancel(id));
    }
    assert_eq!(
        pool.pending_cancels(),
        0,
        "ended ids stay in the canceled set"
    );

    // Busy pool: the ids wait for the pool's next idle moment.
    let (open, gate) = chan::bounded::<()>(0);
    let blocker = Pool::builder()
        .workers(2)
        .queue(1024)
        .build(move |n: &u32, _: &Context| {
            if *n == u32::MAX {
                let _ = gate.recv();
            }
            Ok::<u32, String>(*n)
        })
        .unwrap();
    let ended: Vec<_> = (0..100).map(|n| blocker.submit(n).unwrap()).collect();
    for _ in &ended {
        blocker.results().recv().unwrap();
    }
    let held = blocker.submit(u32::MAX).unwrap();
    wait_until("the held job runs", || blocker.metrics().busy == 1);
    for &id in &ended {
        assert!(!blocker.cancel(id));
    }
    assert_eq!(blocker.pending_cancels(), ended.len());
    // A million jobs submitted after the cancels: none of them is canceled,
    // and the ids go once the pool is idle.
    const JOBS: u32 = 1_000_000;
    let drain = {
        let results = blocker.results().clone();
        thread::spawn(move || {
            let mut ok = 0;
            for _ in 0..JOBS {
                let o = results.recv().unwrap();
                assert!(o.result.is_ok(), "job {} ended {:?}", o.id, o.result);
                ok += 1;
            }
            ok
        })
    };
    for n in 0..JOBS {
        blocker.submit(n).unwrap();
    }
    assert_eq!(drain.join().unwrap(), JOBS);
    drop(open);
    let last = blocker.results().recv().unwrap();
    assert_eq!((last.id, last.result), (held, Ok(u32::MAX)));
    wait_until("the canceled set is empty", || {
        blocker.pending_cancels() == 0
    });
}

#[test]
fn cancel_by_id_reaches_the_running_job_after_its_worker_changed_context() {
    // One worker: job 1 runs on the worker's own context, job 2 on one made
    // for it (it has a timeout of its own), job 3 on the worker's again. The
    // worker's slot must hold the cancel of each running job's context.
    let (open, pool) = gated_pool(1, 4);
    let first = pool.run(1).unwrap();
    wait_until("job 1 runs", || pool.metrics().busy == 1);
    open.send(()).unwrap();
    assert_eq!(first.wait().unwrap().result, Ok(1));
    for job in [Job::new(2).timeout(Duration::from_secs(10)), Job::new(3)] {
        let h = pool.run(job).unwrap();
        wait_until("the job runs", || pool.metrics().busy == 1);
        assert!(pool.cancel(h.id()));
        let o = h.wait().unwrap();
        assert_eq!(
            o.result,
            Err(Failure::Canceled(CancelReason::Job)),
            "job {}",
            o.id
        );
    }
}

#[test]
fn a_context_given_at_submit_cancels_the_job() {
    let (_open, gate) = chan::bounded::<()>(0);
    let pool = Pool::builder().workers(1).build(gated(gate)).unwrap();
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let h = pool.run(Job::new(1).context(&ctx)).unwrap();
    wait_until("the job runs", || pool.metrics().busy == 1);
    cancel.cancel();
    assert_eq!(
        h.wait().unwrap().result,
        Err(Failure::Canceled(CancelReason::Job))
    );
    let (expired, _c) = Context::with_timeout(&Context::background(), Duration::from_millis(1));
    thread::sleep(Duration::from_millis(5));
    let o = pool
        .run(Job::new(2).context(&expired))
        .unwrap()
        .wait()
        .unwrap();
    assert_eq!(
        o.result,
        Err(Failure::TimedOut(Phase::Queued)),
        "its deadline passed while queued"
    );
}

#[test]
fn panics_are_contained_and_the_pool_keeps_serving() {
    let panics = Arc::new(AtomicUsize::new(0));
    let p = panics.clone();
    let pool = Pool::builder()
        .workers(2)
        .on_panic(move |_, msg| {
            assert_eq!(msg, "odd");
            p.fetch_add(1, Ordering::SeqCst);
        })
        .build(|n: &u32, _: &Context| {
            if n % 2 == 1 {
                panic!("odd")
            } else {
                Ok::<_, ()>(*n)
            }
        })
        .unwrap();
    for n in 0..200 {
        pool.submit(n).unwrap();
    }
    pool.close();
    let (mut ok, mut panicked) = (0, 0);
    for o in pool.results() {
        match o.result {
            Ok(_) => ok += 1,
            Err(Failure::Panicked(_)) => panicked += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        (ok, panicked, panics.load(Ordering::SeqCst)),
        (100, 100, 100)
    );
    assert_eq!(
        pool.metrics().workers,
        0,
        "closed and drained: workers exited"
    );
}

#[test]
fn close_drains_then_ends_results() {
    let pool = Pool::builder()
        .workers(1)
        .queue(50)
        .build(|n: &u32, _: &Context| {
            thread::sleep(Duration::from_micros(200));
            Ok::<_, ()>(*n)
        })
        .unwrap();
    for n in 0..50 {
        pool.submit(n).unwrap();
    }
    assert!(pool.close());
    assert!(!pool.close(), "closing twice is reported");
    assert!(
        pool.submit(7).is_err(),
        "closed: no intake, job handed back"
    );
    let got: HashSet<u32> = pool.results().iter().map(|o| o.result.unwrap()).collect();
    assert_eq!(got, (0..50).collect());
    assert!(pool.results().is_closed());
}

#[test]
fn shutdown_cancels_what_is_left_with_outcomes() {
    let pool = Pool::builder()
        .workers(1)
        .queue(20)
        .build(|_: &u32, ctx: &Context| {
            // Never done before it is canceled: the queue cannot drain.
            let _ = ctx.done().recv();
            Err::<u32, _>("canceled".to_string())
        })
        .unwrap();
    for n in 0..10 {
        pool.submit(n).unwrap();
    }
    let report = pool.shutdown(Duration::from_millis(500));
    assert!(!report.drained);
    assert_eq!(report.canceled, 10, "{report:?}");
    assert_eq!(report.workers_left, 0);
    let outcomes: Vec<_> = pool.results().iter().collect();
    assert_eq!(outcomes.len(), 10, "every job has an outcome");
    let canceled = outcomes
        .iter()
        .filter(|o| o.result == Err(Failure::Canceled(CancelReason::Pool)))
        .count();
    assert_eq!(canceled as u64, report.canceled);
}

#[test]
fn abort_cancels_running_and_queued_jobs() {
    let (_open, pool) = gated_pool(2, 10);
    for n in 0..6 {
        pool.submit(n).unwrap();
    }
    wait_until("two jobs run", || pool.metrics().busy == 2);
    pool.abort();
    let outcomes: Vec<_> = pool.results().iter().collect();
    assert_eq!(outcomes.len(), 6);
    assert!(outcomes
        .iter()
        .all(|o| o.result == Err(Failure::Canceled(CancelReason::Pool))));
    assert_eq!(
        outcomes.iter().filter(|o| o.attempts == 1).count(),
        2,
        "two were running"
    );
}

#[test]
fn pool_context_cancellation_aborts() {
    let (_open, gate) = chan::bounded::<()>(0);
    let (ctx, cancel) = Context::with_cancel(&Context::background());
    let pool = Pool::builder()
        .workers(1)
        .context(&ctx)
        .build(gated(gate))
        .unwrap();
    let h = pool.run(1).unwrap();
    let queued = pool.run(2).unwrap();
    wait_until("the job runs", || pool.metrics().busy == 1);
    cancel.cancel();
    assert_eq!(
        h.wait().unwrap().result,
        Err(Failure::Canceled(CancelReason::Pool))
    );
    assert_eq!(
        queued.wait().unwrap().result,
        Err(Failure::Canceled(CancelReason::Pool))
    );
}

#[test]
fn resize_grows_at_once_and_shrinks_after_current_jobs() {
    let (open, pool) = gated_pool(1, 10);
    for n in 0..3 {
        pool.submit(n).unwrap();
    }
    wait_until("one job runs", || pool.metrics().busy == 1);
    pool.resize(3).unwrap();
    wait_until("three jobs run", || pool.metrics().busy == 3);
    assert_eq!(pool.workers(), 3);
    pool.resize(1).unwrap();
    thread::sleep(Duration::from_millis(20));
    assert_eq!(
        pool.metrics().workers,
        3,
        "busy workers finish their job first"
    );
    drop(open);
    wait_until("two workers retired", || pool.metrics().workers == 1);
    for o in pool.results().iter().take(3) {
        assert!(o.is_ok());
    }
    assert_eq!(
        pool.submit(9).map(|_| ()),
        Ok(()),
        "the remaining worker still serves"
    );
    assert!(pool.results().recv().unwrap().is_ok());
}

#[test]
fn retries_are_counted_and_respect_the_predicate() {
    let calls = Arc::new(Mutex::new(Vec::<(u32, Instant)>::new()));
    let c = calls.clone();
    // Without jitter each delay is its bound, so the gaps between attempts
    // have a floor no scheduling delay can break (full jitter's ceiling is
    // checked without threads in `backoff_delays_stay_within_full_jitter_bounds`).
    let retry = Retry::attempts(5)
        .backoff(Duration::from_millis(4), Duration::from_millis(10))
        .jitter(false)
        .when(|e: &String| e == "flaky");
    let pool = Pool::builder()
        .workers(2)
        .retry(retry.clone())
        .build(move |n: &u32, _: &Context| {
            let mut calls = c.lock().unwrap();
            calls.push((*n, Instant::now()));
            let tries = calls.iter().filter(|(m, _)| m == n).count();
            match n {
                0 if tries < 3 => Err("flaky".to_string()),
                1 => Err("fatal".to_string()),
                2 => Err("flaky".to_string()),
                _ => Ok(*n),
            }
        })
        .unwrap();
    let recovers = pool.run(0).unwrap().wait().unwrap();
    assert_eq!((recovers.result, recovers.attempts), (Ok(0), 3));
    let fatal = pool.run(1).unwrap().wait().unwrap();
    assert_eq!(
        (fatal.result, fatal.attempts),
        (Err(Failure::Error("fatal".into())), 1),
        "not retryable"
    );
    let exhausted = pool.run(2).unwrap().wait().unwrap();
    assert_eq!(exhausted.attempts, 5);
    assert_eq!(pool.metrics().retried, 2 + 4);
    let calls = calls.lock().unwrap();
    let times: Vec<Instant> = calls
        .iter()
        .filter(|(n, _)| *n == 2)
        .map(|(_, t)| *t)
        .collect();
    for (k, w) in times.windows(2).enumerate() {
        let gap = w[1] - w[0];
        let bound = retry.delay_bound(k as u32 + 1);
        assert!(
            gap >= bound && gap <= bound + Duration::from_secs(1),
            "gap {gap:?} after attempt {} vs delay {bound:?}",
            k + 1
        );
    }
}

#[test]
fn backoff_delays_stay_within_full_jitter_bounds() {
    let retry: Retry<()> =
        Retry::attempts(10).backoff(Duration::from_millis(10), Duration::from_millis(200));
    assert_eq!(retry.delay_bound(1), Duration::from_millis(10));
    assert_eq!(retry.delay_bound(3), Duration::from_millis(40));
    assert_eq!(retry.delay_bound(9), Duration::from_millis(200), "capped");
    for attempt in 1..=8 {
        let bound = retry.delay_bound(attempt);
        let draws: Vec<Duration> = (0..500).map(|_| retry.delay(attempt)).collect();
        assert!(draws.iter().all(|d| *d <= bound));
        let mean = draws.iter().sum::<Duration>() / 500;
        assert!(
            mean > bound / 4 && mean < bound * 3 / 4,
            "uniform over 0..=bound: mean {mean:?} of {bound:?}"
        );
    }
}

#[test]
fn without_jitter_delays_are_the_bound() {
    let retry: Retry<()> = Retry::attempts(5)
        .backoff(Duration::from_millis(3), Duration::from_millis(20))
        .jitter(false);
    let delays: Vec<_> = (1..=4).map(|a| retry.delay(a)).collect();
    assert_eq!(delays, [3, 6, 12, 20].map(Duration::from_millis));
}

#[test]
fn a_retry_budget_caps_retries_across_jobs() {
    let budget = RetryBudget::new(0.0, 3);
    let pool = Pool::builder()
        .workers(1)
        .retry(
            Retry::attempts(10)
                .backoff(Duration::ZERO, Duration::ZERO)
                .budget(budget.clone()),
        )
        .build(|_: &u32, _: &Context| Err::<u32, _>("flaky"))
        .unwrap();
    let attempts: u32 = (0..4)
        .map(|n| pool.run(n).unwrap().wait().unwrap().attempts)
        .sum();
    assert_eq!(
        attempts,
        4 + 3,
        "4 first attempts, 3 retries from the budget"
    );
    assert_eq!(budget.available(), 0);
}

#[test]
fn rate_limit_bounds_bursts_and_holds_the_long_run_rate() {
    const RATE: f64 = 200.0;
    const BURST: u32 = 5;
    const N: usize = 205;
    let starts = Arc::new(Mutex::new(Vec::with_capacity(N)));
    let s = starts.clone();
    let limit = RateLimit::per_second(RATE).burst(BURST);
    let pool = Pool::builder()
        .workers(8)
        .queue(N)
        .rate_limit(limit)
        .build(move |_: &u32, _: &Context| {
            s.lock().unwrap().push(Instant::now());
            Ok::<_, ()>(())
        })
        .unwrap();
    let t0 = Instant::now();
    for n in 0..N as u32 {
        pool.submit(n).unwrap();
    }
    pool.join().unwrap();
    let mut starts = starts.lock().unwrap().clone();
    starts.sort();
    let secs: Vec<f64> = starts.iter().map(|s| (*s - t0).as_secs_f64()).collect();
    // Never more than `burst` at once: the bucket held at most BURST tokens
    // at t0, so start k (from 0) cannot come before the rate refilled the
    // rest. A thread delayed after its token only starts later, so this
    // cannot fail on a slow machine.
    for (k, &t) in secs.iter().enumerate().skip(BURST as usize) {
        let earliest = (k + 1 - BURST as usize) as f64 / RATE;
        assert!(
            t >= earliest - 0.001,
            "start {k} at {t}s, before {earliest}s"
        );
    }
    // Long run: after the burst, one start per 1/RATE seconds, within 2%.
    // The rate is the slope of start time against start number (least
    // squares), which a few starts delayed by preemption barely move.
    let tail = &secs[BURST as usize..];
    let n = tail.len() as f64;
    let mean_k = (n - 1.0) / 2.0;
    let mean_t = tail.iter().sum::<f64>() / n;
    let (mut cov, mut var) = (0.0, 0.0);
    for (k, &t) in tail.iter().enumerate() {
        cov += (k as f64 - mean_k) * (t - mean_t);
        var += (k as f64 - mean_k).powi(2);
    }
    let rate = var / cov;
    assert!(
        (rate - RATE).abs() <= RATE * 0.02,
        "long-run rate {rate}/s, expected {RATE}/s"
    );
    assert!(pool.metrics().rate_limited_waits >= ((N - BURST as usize) / 2) as u64);
}

#[test]
fn a_rate_limit_is_shared_between_pools() {
    let limit = RateLimit::per_second(1000.0).burst(4);
    let make = || {
        Pool::builder()
            .workers(2)
            .rate_limit(limit.clone())
            .build(|_: &u32, _: &Context| Ok::<_, ()>(()))
            .unwrap()
    };
    let (a, b) = (make(), make());
    let t0 = Instant::now();
    for n in 0..52 {
        if n % 2 == 0 { a.submit(n) } else { b.submit(n) }.unwrap();
    }
    a.join().unwrap();
    b.join().unwrap();
    assert!(
        t0.elapsed() >= Duration::from_millis(46),
        "52 starts at 1000/s after a burst of 4 take 48 ms together"
    );
}

#[test]
fn metrics_add_up_at_quiescence() {
    let pool = Pool::builder()
        .workers(3)
        .queue(100)
        .retry(Retry::attempts(2).backoff(Duration::ZERO, Duration::ZERO))
        .build(|n: &u32, _: &Context| match n % 4 {
            0 => Ok(*n),
            1 => Err("no"),
            2 => panic!("boom"),
            _ => Ok(*n),
        })
        .unwrap();
    for n in 0..100 {
        pool.submit(n).unwrap();
    }
    pool.cancel(100); // the last one, maybe still queued
    pool.join().unwrap();
    let m = pool.metrics();
    assert_eq!(m.submitted, 100);
    assert_eq!(m.submitted, m.finished());
    assert_eq!(m.panicked, 25);
    assert_eq!(m.failed, 25);
    assert_eq!(m.retried, 25, "each failing job retried once");
    assert_eq!(m.wait.count + m.canceled, 100);
    assert!(m.run.p50 <= m.run.p99 && m.run.p99 <= m.run.max);
    let text = m.to_prometheus("brigade_pool");
    assert!(
        text.contains("brigade_pool_jobs_total{outcome=\"submitted\"} 100"),
        "{text}"
    );
    assert!(text.contains("# TYPE brigade_pool_run_seconds histogram"));
    assert!(text.contains("brigade_pool_retries_total 25"));
    assert!(
        text.contains(&format!(
            "brigade_pool_run_seconds_bucket{{le=\"+Inf\"}} {}\n",
            m.run.count
        )),
        "{text}"
    );
    // Cumulative buckets: never decreasing, never above the count.
    let counts: Vec<u64> = m.run.buckets.iter().map(|&(_, n)| n).collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    assert!(counts.last().is_some_and(|&n| n <= m.run.count));
}

#[test]
fn saturation_follows_busy_workers_window_by_window() {
    let window = Duration::from_millis(25);
    let (open_a, gate_a) = chan::bounded::<()>(0);
    let (open_b, gate_b) = chan::bounded::<()>(0);
    let (a, b) = (gated(gate_a), gated(gate_b));
    let pool = Pool::builder()
        .workers(2)
        .queue(0)
        .saturation_window(window)
        .build(move |n: &u32, ctx: &Context| if *n == 0 { a(n, ctx) } else { b(n, ctx) })
        .unwrap();
    // The window before the current one, once a phase has lasted 3+ windows,
    // lies wholly inside it; its saturation is then exact.
    let settled = || {
        thread::sleep(4 * window);
        let m = pool.metrics();
        let s = &m.saturation_series;
        assert!(s.len() >= 2 && s.len() <= brigade::pool::SATURATION_WINDOWS);
        (s[s.len() - 2], m)
    };

    pool.submit(0).unwrap();
    pool.submit(1).unwrap();
    wait_until("both jobs run", || pool.busy() == 2);
    let m0 = pool.metrics();
    let (both, m1) = settled();
    assert_eq!(both, 1.0, "both workers busy: {:?}", m1.saturation_series);
    assert!(m1.busy_time > Duration::ZERO, "running jobs count as busy");

    drop(open_a);
    assert_eq!(pool.results().recv().unwrap().job, 0);
    let (one, m2) = settled();
    assert_eq!(one, 0.5, "one of two busy: {:?}", m2.saturation_series);

    drop(open_b);
    assert_eq!(pool.results().recv().unwrap().job, 1);
    let (none, m3) = settled();
    assert_eq!(none, 0.0, "both idle: {:?}", m3.saturation_series);
    // In total (busy ÷ alive since the start), saturation rises while both
    // are busy and falls while both idle; how it compares across phases
    // depends on how long the workers took to start.
    assert!(
        m1.saturation > m0.saturation,
        "{} !> {}",
        m1.saturation,
        m0.saturation
    );
    assert!(m3.saturation < m2.saturation && m3.saturation > 0.0);
    assert!(m3.worker_time >= 2 * 12 * window, "{:?}", m3.worker_time);
    assert!(m3.busy_time <= m3.worker_time);
    assert_eq!(m3.saturation_window, window);
}

#[test]
fn job_handles_wait_and_await() {
    let pool = Pool::builder()
        .workers(1)
        .build(|n: &u32, _: &Context| Ok::<_, ()>(n * 10))
        .unwrap();
    let h = pool.run(4).unwrap();
    let id = h.id();
    let o = h.wait().unwrap();
    assert_eq!((o.id, o.result), (id, Ok(40)));
    let h = pool.run(5).unwrap();
    let o = block_on(h.into_future());
    assert_eq!(o.result, Ok(50));
    assert!(
        pool.results().try_recv().is_err(),
        "handle outcomes do not go to results"
    );
}

#[test]
fn submit_async_waits_for_room() {
    let (open, pool) = gated_pool(1, 1);
    pool.submit(0).unwrap();
    pool.submit(1).unwrap();
    let opener = thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        drop(open);
    });
    let t0 = Instant::now();
    let id = block_on(pool.submit_async(2)).unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(15), "waited for room");
    assert_eq!(id, 3);
    opener.join().unwrap();
}

#[test]
fn a_submit_async_dropped_while_waiting_takes_its_job_back() {
    let (open, pool) = gated_pool(1, 1);
    pool.submit(0).unwrap();
    pool.submit(1).unwrap();
    wait_until("the first job runs", || pool.busy() == 1);
    {
        let mut fut = std::pin::pin!(pool.submit_async(2));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending(), "the queue is full");
        assert_eq!(pool.metrics().submitted, 3, "counted while it waits");
    }
    assert_eq!(pool.metrics().submitted, 2, "uncounted once given up");
    drop(open);
    pool.close();
    let jobs: Vec<u32> = pool.results().iter().map(|o| o.job).collect();
    assert_eq!(
        jobs,
        [0, 1],
        "the withdrawn job never ran and has no outcome"
    );
    let m = pool.metrics();
    assert_eq!((m.submitted, m.succeeded), (2, 2));
}

#[test]
fn jobs_no_worker_ever_took_end_canceled_when_the_pool_goes() {
    /// Accepts workers and never runs them.
    struct Idle(Mutex<Vec<Worker>>);
    impl Spawner for Idle {
        fn spawn(&self, worker: Worker) -> std::io::Result<()> {
            self.0.lock().unwrap().push(worker);
            Ok(())
        }
    }
    let pool = Pool::builder()
        .workers(1)
        .queue(3)
        .spawner(Idle(Mutex::new(Vec::new())))
        .build(|n: &u32, _: &Context| Ok::<_, ()>(*n))
        .unwrap();
    for n in 0..3 {
        pool.submit(n).unwrap();
    }
    let results = pool.results().clone();
    drop(pool);
    let got: Vec<_> = results
        .iter()
        .map(|o| (o.job, o.result, o.worker))
        .collect();
    let canceled = Err(Failure::Canceled(CancelReason::Pool));
    assert_eq!(
        got,
        [
            (0, canceled.clone(), None),
            (1, canceled.clone(), None),
            (2, canceled, None)
        ]
    );
}

#[test]
fn dropping_the_pool_is_graceful_and_does_not_block() {
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let (open, gate) = chan::bounded::<()>(0);
    let pool = Pool::builder()
        .workers(1)
        .queue(10)
        .build(move |_: &u32, _: &Context| {
            let _ = gate.recv(); // until the gate opens (closes)
            d.fetch_add(1, Ordering::SeqCst);
            Ok::<_, ()>(())
        })
        .unwrap();
    for n in 0..10 {
        pool.submit(n).unwrap();
    }
    // Dropped on another thread, while no job can finish: a drop that waited
    // for the jobs would never report back.
    let (dropped_tx, dropped) = chan::bounded::<()>(1);
    thread::spawn(move || {
        drop(pool);
        dropped_tx.send(()).unwrap();
    });
    assert_eq!(
        dropped.recv_timeout(Duration::from_secs(10)),
        Ok(()),
        "drop returned without waiting for the jobs"
    );
    assert_eq!(done.load(Ordering::SeqCst), 0);
    drop(open);
    wait_until("queued jobs still ran", || {
        done.load(Ordering::SeqCst) == 10
    });
}

#[test]
fn a_canceled_job_does_not_leave_its_context_to_the_next() {
    let (open, gate) = chan::bounded::<()>(0);
    let gate = Arc::new(Mutex::new(Some(gate)));
    let pool = Pool::builder()
        .workers(1)
        .build(move |n: &u32, ctx: &Context| {
            if *n == 1 {
                let gate = gate.lock().unwrap().take().unwrap();
                return gated(gate)(n, ctx).map(|_| false);
            }
            Ok::<_, String>(ctx.is_done())
        })
        .unwrap();
    let first = pool.run(1).unwrap();
    wait_until("job 1 runs", || pool.metrics().busy == 1);
    assert!(pool.cancel(first.id()));
    assert!(first.wait().unwrap().result.is_err());
    for n in 2..5 {
        let o = pool.run(n).unwrap().wait().unwrap();
        assert_eq!(o.result, Ok(false), "job {n} starts with a live context");
    }
    drop(open);
}

#[test]
fn async_handlers_are_awaited_on_the_workers() {
    let pool = Pool::builder()
        .workers(2)
        .build_async(|n: &u32, ctx: &Context| {
            let (n, ctx) = (*n, ctx.clone());
            async move {
                ctx.sleep_async(Duration::from_millis(20))
                    .await
                    .map_err(|e| e.to_string())?;
                Ok::<_, String>(n * 10)
            }
        })
        .unwrap();
    let handles: Vec<_> = (0..4).map(|n| pool.run(n).unwrap()).collect();
    let mut got: Vec<_> = handles
        .into_iter()
        .map(|h| h.wait().unwrap())
        .map(|o| (o.job, o.result.unwrap(), o.attempts))
        .collect();
    got.sort();
    assert_eq!(got, [(0, 0, 1), (1, 10, 1), (2, 20, 1), (3, 30, 1)]);
    assert!(pool.metrics().run.max >= Duration::from_millis(20));
}

#[test]
fn an_async_handler_that_never_ends_is_dropped_at_its_timeout() {
    let dropped = Arc::new(AtomicUsize::new(0));
    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let d = dropped.clone();
    let pool = Pool::builder()
        .workers(1)
        .timeout(Duration::from_millis(30))
        .build_async(move |_: &u32, _: &Context| {
            let guard = CountDrop(d.clone());
            async move {
                std::future::pending::<()>().await;
                drop(guard);
                Ok::<u32, ()>(0)
            }
        })
        .unwrap();
    let o = pool.run(1).unwrap().wait().unwrap();
    assert_eq!(o.result, Err(Failure::TimedOut(Phase::Running)));
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        1,
        "the pending future was dropped"
    );
    // The worker is free again.
    let h = pool.run(2).unwrap();
    assert_eq!(
        h.wait().unwrap().result,
        Err(Failure::TimedOut(Phase::Running))
    );
}

#[test]
fn cancel_by_id_ends_a_pending_async_handler() {
    let (started_tx, started) = chan::bounded::<()>(1);
    let pool = Pool::builder()
        .workers(1)
        .build_async(move |_: &u32, _: &Context| {
            let _ = started_tx.try_send(());
            async { std::future::pending::<Result<u32, ()>>().await }
        })
        .unwrap();
    let h = pool.run(7).unwrap();
    started.recv().unwrap();
    assert!(pool.cancel(h.id()));
    let o = h.wait().unwrap();
    assert_eq!(
        (o.job, o.result),
        (7, Err(Failure::Canceled(CancelReason::Job)))
    );
}

#[test]
fn async_handler_panics_are_contained_before_and_after_an_await() {
    let pool = Pool::builder()
        .workers(1)
        .build_async(|n: &u32, ctx: &Context| {
            let (n, ctx) = (*n, ctx.clone());
            if n == 1 {
                panic!("panicked while making the future");
            }
            async move {
                ctx.sleep_async(Duration::from_millis(1)).await.unwrap();
                if n == 2 {
                    panic!("panicked after an await");
                }
                Ok::<_, ()>(n)
            }
        })
        .unwrap();
    let results: Vec<_> = [1, 2, 3]
        .map(|n| pool.run(n).unwrap())
        .into_iter()
        .map(|h| h.wait().unwrap().result)
        .collect();
    assert_eq!(
        results,
        [
            Err(Failure::Panicked("panicked while making the future".into())),
            Err(Failure::Panicked("panicked after an await".into())),
            Ok(3),
        ]
    );
    assert_eq!(pool.metrics().panicked, 2);
}

#[test]
fn async_handlers_retry_with_backoff() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let pool = Pool::builder()
        .workers(1)
        .retry(
            Retry::attempts(4)
                .backoff(Duration::from_millis(5), Duration::from_millis(5))
                .jitter(false),
        )
        .build_async(move |_: &u32, _: &Context| {
            let n = c.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    Err(format!("attempt {} fails", n + 1))
                } else {
                    Ok(n)
                }
            }
        })
        .unwrap();
    let started = Instant::now();
    let o = pool.run(0).unwrap().wait().unwrap();
    assert_eq!((o.result, o.attempts), (Ok(2), 3));
    assert!(
        started.elapsed() >= Duration::from_millis(10),
        "two backoffs of 5 ms"
    );
    assert_eq!(pool.metrics().retried, 2);
}

#[test]
fn rate_limit_wait_blocks_until_a_token_and_gives_it_back_when_canceled() {
    // 200 ms between tokens: far more than any scheduling delay below.
    let limit = RateLimit::per_second(5.0).burst(1);
    let bg = Context::background();
    assert_eq!(limit.wait(&bg), Ok(false), "the burst token is there");
    let t0 = Instant::now();
    assert_eq!(limit.wait(&bg), Ok(true), "the next one is due in 200 ms");
    let t1 = Instant::now();
    assert!(t1 - t0 >= Duration::from_millis(150));

    // Canceled while waiting: the reserved token goes back.
    let (ctx, cancel) = Context::with_cancel(&bg);
    let canceller = thread::spawn(move || {
        thread::sleep(Duration::from_millis(5));
        cancel.cancel();
    });
    assert_eq!(
        limit.wait(&ctx),
        Err(brigade::RateLimitError::Canceled(
            brigade::ContextError::Canceled
        ))
    );
    canceller.join().unwrap();
    // Given back, that token is due about 200 ms after t1; kept by the
    // canceled wait, the next one would not come before 400 ms.
    thread::sleep((t1 + Duration::from_millis(300)).saturating_duration_since(Instant::now()));
    assert!(
        limit.try_acquire(),
        "the token of the canceled wait was given back"
    );

    // A thread that must not block gets an error instead of a wait.
    let empty = RateLimit::per_second(0.001).burst(1);
    assert!(empty.try_acquire());
    let on_main = thread::spawn(move || {
        brigade::runtime::forbid_blocking();
        assert!(!empty.try_acquire());
        empty.wait(&Context::background())
    });
    assert_eq!(
        on_main.join().unwrap(),
        Err(brigade::RateLimitError::WouldBlockOnMainThread)
    );
}

#[test]
fn a_worker_that_cannot_start_fails_the_build_with_the_spawners_error_as_source() {
    struct Refusing;
    impl Spawner for Refusing {
        fn spawn(&self, _: Worker) -> std::io::Result<()> {
            Err(std::io::Error::new(
                std::io::ErrorKind::OutOfMemory,
                "no room for a stack",
            ))
        }
    }
    let err = Pool::builder()
        .workers(2)
        .spawner(Refusing)
        .build(|n: &u32, _: &Context| Ok::<u32, ()>(*n))
        .unwrap_err();
    assert!(matches!(err, BuildError::Spawn(_)));
    assert_eq!(
        err.to_string(),
        "could not start a worker: no room for a stack"
    );
    let source = std::error::Error::source(&err).expect("the spawner's error");
    let io = source
        .downcast_ref::<std::io::Error>()
        .expect("an io::Error");
    assert_eq!(io.kind(), std::io::ErrorKind::OutOfMemory);
}

#[test]
fn worker_threads_take_the_name_and_stack_size_given() {
    let pool = Pool::builder()
        .workers(2)
        .thread_name("resizer")
        .stack_size(16 << 20)
        .build(|_: &u32, _: &Context| {
            // 4 MiB on the stack: more than the default 2 MiB holds, less
            // than the 16 MiB asked for.
            let buf = std::hint::black_box([7u8; 4 << 20]);
            Ok::<_, ()>(thread::current().name().map(String::from).zip(Some(buf[1])))
        })
        .unwrap();
    let name = pool.run(0).unwrap().wait().unwrap().result.unwrap();
    let (name, byte) = name.expect("a named thread");
    assert!(name.starts_with("resizer-"), "{name}");
    assert_eq!(byte, 7);
}

#[test]
fn a_job_handle_cancels_its_job_queued_or_running() {
    let (open, pool) = gated_pool(1, 4);
    let running = pool.run(1).unwrap();
    let queued = pool.run(2).unwrap();
    wait_until("job 1 runs", || pool.metrics().busy == 1);
    assert!(!queued.cancel(), "a queued job is marked, not running");
    assert!(
        running.cancel(),
        "a running job is canceled through its context"
    );
    let r = running.wait().unwrap();
    let q = queued.wait().unwrap();
    assert_eq!(r.result, Err(Failure::Canceled(CancelReason::Job)));
    assert_eq!(
        (q.result, q.attempts),
        (Err(Failure::Canceled(CancelReason::Job)), 0)
    );
    drop(open);
}

#[test]
fn a_handler_knows_its_job_id_and_attempt() {
    use brigade::pool::current_job;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let pool = Pool::builder()
        .workers(1)
        .retry(Retry::attempts(3).backoff(Duration::ZERO, Duration::ZERO))
        .build(move |_: &u32, _: &Context| {
            let job = current_job().expect("inside a handler");
            s.lock().unwrap().push((job.id, job.attempt));
            if job.attempt < 3 {
                Err("again")
            } else {
                Ok(job.attempt)
            }
        })
        .unwrap();
    let h = pool.run(0).unwrap();
    let id = h.id();
    assert_eq!(h.wait().unwrap().result, Ok(3));
    assert_eq!(*seen.lock().unwrap(), [(id, 1), (id, 2), (id, 3)]);
    assert_eq!(current_job(), None, "outside a handler");
}

#[test]
fn discard_outcomes_keeps_results_empty_but_counts_and_hands_run_its_outcome() {
    let pool = Pool::builder()
        .workers(2)
        .discard_outcomes()
        .build(|n: &u32, _: &Context| Ok::<_, ()>(n * 2))
        .unwrap();
    for n in 0..100 {
        pool.submit(n).unwrap();
    }
    let handle = pool.run(21).unwrap();
    assert_eq!(
        handle.wait().unwrap().result,
        Ok(42),
        "run still gets its outcome"
    );
    pool.close();
    pool.join().unwrap();
    assert_eq!(pool.results().iter().count(), 0, "nothing was kept");
    let m = pool.metrics();
    assert_eq!((m.submitted, m.succeeded), (101, 101));
}
