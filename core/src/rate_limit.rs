//! A token bucket that limits how often something starts, shareable between
//! pools (clones share one bucket).
//!
//! The bucket holds at most `burst` tokens and gains `rate` per second. A
//! caller that finds no token *reserves* the next one (the balance goes
//! negative) and sleeps until it is due, so waiters are served in arrival order
//! and the long-run rate is exactly `rate` however many wait (the "virtual
//! scheduling" form of GCRA, as in Go's `golang.org/x/time/rate`).
//!
//! # Invariants
//! `tokens <= burst` always; a negative balance is the number of reservations
//! not yet due.

use std::fmt;

use crate::loom::{lock, Arc, Mutex};
use crate::runtime::{block_on, can_block, Duration, Instant};
use crate::{Context, ContextError};

struct Bucket {
    tokens: f64,
    last: Instant,
}

struct Inner {
    rate: f64,
    burst: f64,
    bucket: Mutex<Bucket>,
}

/// A token-bucket rate limit; see the module docs.
///
/// # Examples
/// ```
/// use brigade::{Context, RateLimit};
///
/// let limit = RateLimit::per_second(1000.0).burst(10);
/// let ctx = Context::background();
/// for _ in 0..20 {
///     limit.wait(&ctx).unwrap(); // the first 10 pass at once, then 1 per ms
/// }
/// ```
#[derive(Clone)]
pub struct RateLimit {
    inner: Arc<Inner>,
}

/// Why [`RateLimit::wait`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimitError {
    /// The context ended first (its reason is given).
    Canceled(ContextError),
    /// Waiting would block a thread that must not block.
    WouldBlockOnMainThread,
}

impl fmt::Display for RateLimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RateLimitError::Canceled(e) => write!(f, "rate limit wait abandoned: {e}"),
            RateLimitError::WouldBlockOnMainThread => {
                f.write_str("rate limit wait would block a thread that must not block")
            }
        }
    }
}

impl std::error::Error for RateLimitError {}

impl RateLimit {
    /// `rate` starts per second with a burst of 1.
    ///
    /// # Panics
    /// If `rate` is not a positive finite number.
    pub fn per_second(rate: f64) -> RateLimit {
        assert!(
            rate.is_finite() && rate > 0.0,
            "RateLimit: rate must be positive and finite, got {rate}"
        );
        RateLimit::build(rate, 1)
    }

    fn build(rate: f64, burst: u32) -> RateLimit {
        RateLimit {
            inner: Arc::new(Inner {
                rate,
                burst: f64::from(burst),
                bucket: Mutex::new(Bucket {
                    tokens: f64::from(burst),
                    last: Instant::now(),
                }),
            }),
        }
    }

    /// The same rate, allowing up to `burst` starts at once (a fresh bucket).
    ///
    /// # Panics
    /// If `burst` is 0.
    pub fn burst(self, burst: u32) -> RateLimit {
        assert!(burst > 0, "RateLimit: burst must be at least 1");
        RateLimit::build(self.inner.rate, burst)
    }

    /// Starts per second.
    pub fn rate(&self) -> f64 {
        self.inner.rate
    }

    /// Starts allowed at once.
    pub fn burst_size(&self) -> u32 {
        self.inner.burst as u32
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        let gained = (now - b.last).as_secs_f64() * self.inner.rate;
        b.tokens = (b.tokens + gained).min(self.inner.burst);
        b.last = now;
    }

    /// Takes a token if one is there now.
    pub fn try_acquire(&self) -> bool {
        let mut b = lock(&self.inner.bucket);
        self.refill(&mut b, Instant::now());
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Reserves the next token; returns how long until it is due.
    fn reserve(&self) -> Duration {
        let mut b = lock(&self.inner.bucket);
        self.refill(&mut b, Instant::now());
        b.tokens -= 1.0;
        if b.tokens >= 0.0 {
            Duration::ZERO
        } else {
            // A rate so slow that the wait overflows a `Duration` waits for
            // ever (until its context ends).
            Duration::try_from_secs_f64(-b.tokens / self.inner.rate).unwrap_or(Duration::MAX)
        }
    }

    fn unreserve(&self) {
        let mut b = lock(&self.inner.bucket);
        b.tokens = (b.tokens + 1.0).min(self.inner.burst);
    }

    /// Waits for a token; returns whether it had to wait.
    ///
    /// # Errors
    /// [`RateLimitError::Canceled`] if `ctx` ends first (the reserved token is
    /// given back), or [`RateLimitError::WouldBlockOnMainThread`].
    pub fn wait(&self, ctx: &Context) -> Result<bool, RateLimitError> {
        if let Some(e) = ctx.err() {
            return Err(RateLimitError::Canceled(e));
        }
        if self.try_acquire() {
            return Ok(false);
        }
        if !can_block() {
            return Err(RateLimitError::WouldBlockOnMainThread);
        }
        block_on(self.wait_async(ctx))
    }

    /// Waits asynchronously for a token; resolves to whether it had to wait.
    /// Works on every thread, the browser's main thread included.
    ///
    /// # Errors
    /// [`RateLimitError::Canceled`] if `ctx` ends first (the reserved token is
    /// given back).
    pub async fn wait_async(&self, ctx: &Context) -> Result<bool, RateLimitError> {
        if let Some(e) = ctx.err() {
            return Err(RateLimitError::Canceled(e));
        }
        if self.try_acquire() {
            return Ok(false);
        }
        let delay = self.reserve();
        if delay.is_zero() {
            return Ok(false);
        }
        // Gives the reserved token back unless the wait ends with it: when
        // the context ends first, and when this future is dropped mid-wait.
        struct Reserved<'a>(Option<&'a RateLimit>);
        impl Drop for Reserved<'_> {
            fn drop(&mut self) {
                if let Some(limit) = self.0 {
                    limit.unreserve();
                }
            }
        }
        let mut reserved = Reserved(Some(self));
        match ctx.sleep_async(delay).await {
            Ok(()) => {
                reserved.0 = None;
                Ok(true)
            }
            Err(e) => Err(RateLimitError::Canceled(e)),
        }
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("rate", &self.inner.rate)
            .field("burst", &self.inner.burst)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context as TaskContext, Waker};
    use std::time::Duration;

    use super::{RateLimit, RateLimitError};
    use crate::{Context, ContextError};

    #[test]
    fn a_rate_too_slow_for_a_duration_waits_until_the_context_ends() {
        let limit = RateLimit::per_second(1e-30);
        assert!(limit.try_acquire(), "the first token is there");
        let (ctx, _) = Context::with_timeout(&Context::background(), Duration::from_millis(20));
        assert_eq!(
            limit.wait(&ctx),
            Err(RateLimitError::Canceled(ContextError::DeadlineExceeded))
        );
    }

    #[test]
    fn a_wait_given_up_gives_its_token_back() {
        let limit = RateLimit::per_second(10.0);
        assert!(limit.try_acquire());
        {
            let live = Context::background();
            let mut cx = TaskContext::from_waker(Waker::noop());
            let wait = pin!(limit.wait_async(&live));
            assert!(
                wait.poll(&mut cx).is_pending(),
                "the next token is 100 ms away"
            );
        } // dropped: its reserved token goes back
        std::thread::sleep(Duration::from_millis(150));
        assert!(
            limit.try_acquire(),
            "the token due at 100 ms went to the dropped wait"
        );
    }
}
