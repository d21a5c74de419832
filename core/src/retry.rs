//! Retries: how many attempts, how long to wait between them, which errors are
//! worth retrying, and a budget that stops retry storms.
//!
//! The delay before attempt `n + 1` is drawn uniformly from
//! `0..=min(max_delay, base * 2^(n-1))`: exponential backoff with "full
//! jitter", which spreads retries of many failing jobs best (Marc Brooker,
//! "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
//!
//! The budget follows Finagle's `RetryBudget`: every first attempt deposits
//! `ratio` tokens (up to a cap), every retry withdraws one, and `min_retries`
//! tokens are there from the start. When the budget is empty, a retryable error
//! is reported as it is instead of being retried.

use std::fmt;
use std::sync::Arc;

use crate::loom::{lock, Mutex};
use crate::runtime::Duration;

/// Decides whether an error is worth another attempt.
pub(crate) type Retryable<E> = Arc<dyn Fn(&E) -> bool + Send + Sync>;

/// A retry policy; see the module docs.
///
/// # Examples
/// ```
/// use brigade::Retry;
/// use std::time::Duration;
///
/// let retry: Retry<String> = Retry::attempts(4)
///     .backoff(Duration::from_millis(10), Duration::from_secs(1))
///     .when(|e: &String| e.contains("temporary"));
/// assert!(retry.delay_bound(1) <= Duration::from_millis(10));
/// assert_eq!(retry.delay_bound(10), Duration::from_secs(1));
/// ```
pub struct Retry<E> {
    pub(crate) max_attempts: u32,
    jitter: bool,
    base: Duration,
    max_delay: Duration,
    pub(crate) retryable: Option<Retryable<E>>,
    pub(crate) budget: Option<RetryBudget>,
}

impl<E> Clone for Retry<E> {
    fn clone(&self) -> Self {
        Retry {
            max_attempts: self.max_attempts,
            jitter: self.jitter,
            base: self.base,
            max_delay: self.max_delay,
            retryable: self.retryable.clone(),
            budget: self.budget.clone(),
        }
    }
}

impl<E> fmt::Debug for Retry<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retry")
            .field("max_attempts", &self.max_attempts)
            .field("base", &self.base)
            .field("max_delay", &self.max_delay)
            .field("budget", &self.budget)
            .finish()
    }
}

impl<E> Retry<E> {
    /// The first backoff delay unless [`backoff`](Self::backoff) sets one.
    pub const DEFAULT_BASE: Duration = Duration::from_millis(10);
    /// The largest backoff delay unless [`backoff`](Self::backoff) sets one.
    pub const DEFAULT_MAX: Duration = Duration::from_secs(1);

    /// At most `n` attempts in all (1 = no retry), with
    /// [`DEFAULT_BASE`](Self::DEFAULT_BASE) → [`DEFAULT_MAX`](Self::DEFAULT_MAX)
    /// (10 ms → 1 s) backoff.
    ///
    /// # Panics
    /// If `n` is 0.
    pub fn attempts(n: u32) -> Self {
        assert!(n > 0, "Retry::attempts: at least one attempt is needed");
        Retry {
            max_attempts: n,
            jitter: true,
            base: Self::DEFAULT_BASE,
            max_delay: Self::DEFAULT_MAX,
            retryable: None,
            budget: None,
        }
    }

    /// Backoff starting at `base`, doubling per attempt, capped at `max`.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base = base;
        self.max_delay = max.max(base);
        self
    }

    /// Whether delays are drawn with full jitter (default) or are exactly the
    /// exponential bound.
    pub fn jitter(mut self, on: bool) -> Self {
        self.jitter = on;
        self
    }

    /// Retries only errors for which `f` returns `true` (default: all).
    pub fn when(mut self, f: impl Fn(&E) -> bool + Send + Sync + 'static) -> Self {
        self.retryable = Some(Arc::new(f));
        self
    }

    /// Draws retries from `budget` (which may be shared between pools).
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The largest delay before the retry that follows attempt `attempt` (1-based).
    pub fn delay_bound(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        self.base.saturating_mul(1 << exp).min(self.max_delay)
    }

    /// The delay before the retry after attempt `attempt`: drawn uniformly
    /// from `0..=delay_bound(attempt)` with jitter, exactly the bound without.
    pub fn delay(&self, attempt: u32) -> Duration {
        if !self.jitter {
            return self.delay_bound(attempt);
        }
        let bound = self
            .delay_bound(attempt)
            .as_nanos()
            .min(u128::from(u64::MAX)) as u64;
        Duration::from_nanos(crate::rand::below_or_eq(bound))
    }

    /// Whether `err`, from attempt `attempt`, gets another attempt; withdraws
    /// from the budget if so.
    pub(crate) fn should_retry(&self, attempt: u32, err: &E) -> bool {
        attempt < self.max_attempts
            && self.retryable.as_ref().is_none_or(|f| f(err))
            && self.budget.as_ref().is_none_or(RetryBudget::withdraw)
    }

    /// A first attempt started: feeds the budget.
    pub(crate) fn deposit(&self) {
        if let Some(b) = &self.budget {
            b.deposit();
        }
    }
}

struct Budget {
    tokens: f64,
}

/// Limits retries to a fraction of first attempts; clones share one budget.
#[derive(Clone)]
pub struct RetryBudget {
    ratio: f64,
    cap: f64,
    state: Arc<Mutex<Budget>>,
}

impl RetryBudget {
    /// Retries may add at most `ratio` (e.g. 0.1 = 10%) to the attempts, plus
    /// `min_retries` that are always available at the start.
    ///
    /// # Panics
    /// If `ratio` is negative or not finite.
    pub fn new(ratio: f64, min_retries: u32) -> Self {
        assert!(
            ratio.is_finite() && ratio >= 0.0,
            "RetryBudget: ratio must be >= 0, got {ratio}"
        );
        let min = f64::from(min_retries);
        RetryBudget {
            ratio,
            cap: min.max(1.0) + 1000.0 * ratio,
            state: Arc::new(Mutex::new(Budget { tokens: min })),
        }
    }

    fn deposit(&self) {
        let mut b = lock(&self.state);
        b.tokens = (b.tokens + self.ratio).min(self.cap);
    }

    fn withdraw(&self) -> bool {
        let mut b = lock(&self.state);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Retries available now.
    pub fn available(&self) -> u64 {
        lock(&self.state).tokens.max(0.0) as u64
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ratio", &self.ratio)
            .field("available", &self.available())
            .finish()
    }
}
