//! `RateLimit` with arbitrary rates, bursts and sequences of operations that
//! never sleep: no finite positive rate makes it panic, and the bucket
//! keeps its promises.
//!
//! For each bucket (a fresh one from `per_second(rate).burst(b)`, and again
//! from each `burst(b)` rebuild), with `taken` the tokens it handed out
//! through the limiter and its clone, reservations included:
//! - `rate()` and `burst_size()` are what was asked for;
//! - the first `b` tokens are granted at once (a fresh bucket is full);
//! - when a token is granted, no more than `b + rate × elapsed` were taken
//!   (`elapsed` measured from before the bucket was made), plus one for
//!   rounding;
//! - `wait` with a canceled context fails at once, `Canceled`, and `wait`
//!   while tokens are certainly left returns at once without waiting;
//! - `wait_async` polled once and dropped (a reservation the caller gave up
//!   on) does not panic however far away the token is (at rates so slow
//!   that the wait overflows a `Duration`, too), gives its reserved token
//!   back, and leaves no timer behind; if ready, the token was due.
//!
//! Inputs the API documents as panicking are skipped: a rate that is not
//! positive and finite, a burst of 0.
#![no_main]

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};
use std::time::Instant;

use arbitrary::Arbitrary;
use brigade::{Context, ContextError, RateLimit, RateLimitError};
use libfuzzer_sys::fuzz_target;

/// `PollOnce`s per input: each schedules a timer, which costs ten other
/// operations, and a few reach every state (a token there, a reservation
/// due at once, one pending).
const MAX_POLLS: usize = 4;

#[derive(Arbitrary, Debug)]
enum Op {
    TryAcquire,
    /// `try_acquire` on a clone, which shares the bucket.
    TryAcquireClone,
    /// `wait` on a canceled context.
    WaitCanceled,
    /// `wait` on a live context, only while the bucket certainly has a token.
    WaitFull,
    /// `wait_async`, polled once, then dropped.
    PollOnce,
    /// `burst(b)`: a fresh bucket at the same rate.
    Rebuild(u32),
}

#[derive(Arbitrary, Debug)]
struct Input {
    rate: f64,
    burst: u32,
    ops: Vec<Op>,
}

/// One bucket and what the target has seen of it.
struct Bucket {
    limit: RateLimit,
    clone: RateLimit,
    burst: u32,
    made: Instant,
    /// Tokens taken: grants, and reservations made by `wait_async`.
    taken: u64,
}

impl Bucket {
    fn new(limit: RateLimit, made: Instant, rate: f64, burst: u32) -> Self {
        assert_eq!(limit.rate(), rate);
        assert_eq!(limit.burst_size(), burst);
        Bucket {
            clone: limit.clone(),
            limit,
            burst,
            made,
            taken: 0,
        }
    }

    /// Counts a grant, and checks that the tokens taken so far, reservations
    /// included, are no more than the bucket held and gained: a grant needs
    /// a whole token, which a reservation (taken on credit) does not.
    fn granted(&mut self, rate: f64) {
        self.taken += 1;
        let refilled = rate * self.made.elapsed().as_secs_f64();
        let bound = f64::from(self.burst) + refilled + 1.0;
        assert!(
            (self.taken as f64) <= bound,
            "{} tokens taken from a bucket of {} at {rate}/s, bound {bound}",
            self.taken,
            self.burst
        );
    }

    /// Whether the bucket still holds a token however little time passed.
    fn surely_full(&self) -> bool {
        self.taken < u64::from(self.burst)
    }
}

fuzz_target!(|input: Input| {
    let rate = input.rate;
    if !(rate.is_finite() && rate > 0.0) || input.burst == 0 {
        return;
    }
    let made = Instant::now();
    let mut bucket = Bucket::new(
        RateLimit::per_second(rate).burst(input.burst),
        made,
        rate,
        input.burst,
    );
    let (done, cancel) = Context::with_cancel(&Context::background());
    cancel.cancel();
    let live = Context::background();

    let mut polls = 0;
    for op in input.ops.iter().take(64) {
        match *op {
            Op::TryAcquire | Op::TryAcquireClone => {
                let full = bucket.surely_full();
                let limit = match op {
                    Op::TryAcquire => &bucket.limit,
                    _ => &bucket.clone,
                };
                if limit.try_acquire() {
                    bucket.granted(rate);
                } else {
                    assert!(!full, "a full bucket refused a token");
                }
            }
            Op::WaitCanceled => {
                let got = bucket.limit.wait(&done);
                assert_eq!(got, Err(RateLimitError::Canceled(ContextError::Canceled)));
            }
            Op::WaitFull => {
                if bucket.surely_full() {
                    assert_eq!(bucket.limit.wait(&live), Ok(false), "wait on a full bucket");
                    bucket.granted(rate);
                }
            }
            Op::PollOnce => {
                if polls == MAX_POLLS {
                    continue;
                }
                polls += 1;
                let mut cx = TaskContext::from_waker(Waker::noop());
                let polled = pin!(bucket.limit.wait_async(&live)).poll(&mut cx);
                // Ready (a token was there, or the reserved one was due by
                // the time the timer was looked at), or pending, and then the
                // dropped future gave its reserved token back.
                if let Poll::Ready(got) = polled {
                    assert!(got.is_ok(), "wait_async on a live context: {got:?}");
                    bucket.granted(rate);
                }
            }
            Op::Rebuild(b) => {
                if b > 0 {
                    let made = Instant::now();
                    let limit = bucket.limit.clone().burst(b);
                    bucket = Bucket::new(limit, made, rate, b);
                }
            }
        }
    }
});
