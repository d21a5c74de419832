//! Retries: how many attempts, how long to wait between them, which errors are
//! worth retrying, and a budget that stops retry storms.
//!
//! The delay before attempt `n + 1` is drawn uniformly from
//! `0..=min(max_delay, base * 2^(n-1))`: exponential backoff with "full
//! jitter", which spreads retries of many failing jobs best (Marc Brooker,
//! "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
//!
//! The budget follows Finagle's `RetryBudget` and tower's `TpsBudget`: every
//! first attempt deposits `ratio` tokens, every retry withdraws one, and
//! `min_retries` tokens are there in every window. Deposits and withdrawals
//! count for one window (10 s unless [`RetryBudget::window`] says otherwise),
//! kept as ten slots of a tenth each, so a quiet hour banks nothing for a
//! later storm. When the budget is empty, a retryable error is reported as
//! it is instead of being retried.

use std::fmt;
use std::sync::Arc;

use crate::loom::{lock, Mutex};
use crate::runtime::{Duration, Instant};

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

/// How many slots a budget's window is kept in.
const SLOTS: usize = 10;

/// Tokens deposited minus tokens withdrawn, per slot of the window.
struct Budget {
    start: Instant,
    /// The slot each entry counts for (`slot_of` a time) and its net
    /// tokens; an entry left from an older slot counts for nothing.
    slots: [(u64, f64); SLOTS],
}

impl Budget {
    /// The entry for `slot`, reset if it held an older one.
    fn current(&mut self, slot: u64) -> &mut f64 {
        let entry = &mut self.slots[(slot % SLOTS as u64) as usize];
        if entry.0 != slot {
            *entry = (slot, 0.0);
        }
        &mut entry.1
    }

    /// The net tokens of the window that ends in `slot`.
    fn live(&self, slot: u64) -> f64 {
        self.slots
            .iter()
            .filter(|(s, _)| *s + SLOTS as u64 > slot && *s <= slot)
            .map(|(_, net)| net)
            .sum()
    }
}

/// Limits retries to a fraction of first attempts over a sliding window;
/// clones share one budget.
///
/// # Examples
/// ```
/// use brigade::RetryBudget;
/// use std::time::Duration;
///
/// // Retries may add 10% to the first attempts of the last minute, and 5
/// // retries a minute are always allowed.
/// let budget = RetryBudget::new(0.1, 5).window(Duration::from_secs(60));
/// assert_eq!(budget.available(), 5);
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    ratio: f64,
    reserve: f64,
    /// A tenth of the window.
    slot: Duration,
    state: Arc<Mutex<Budget>>,
}

impl RetryBudget {
    /// Retries may add at most `ratio` (e.g. 0.1 = 10%) to the first
    /// attempts of the window, plus `min_retries` that are always available
    /// in each window. The window is 10 s ([`window`](Self::window)).
    ///
    /// # Panics
    /// If `ratio` is negative or not finite.
    pub fn new(ratio: f64, min_retries: u32) -> Self {
        assert!(
            ratio.is_finite() && ratio >= 0.0,
            "RetryBudget: ratio must be >= 0, got {ratio}"
        );
        RetryBudget {
            ratio,
            reserve: f64::from(min_retries),
            slot: Duration::from_secs(1),
            state: Arc::new(Mutex::new(Budget {
                start: Instant::now(),
                slots: [(0, 0.0); SLOTS],
            })),
        }
    }

    /// How long a deposit or a withdrawal counts (at least 10 ms; finer
    /// than a tenth of it, time is not told apart).
    ///
    /// # Panics
    /// If `window` is under 10 ms.
    pub fn window(mut self, window: Duration) -> Self {
        assert!(
            window >= Duration::from_millis(10),
            "RetryBudget: the window must be at least 10 ms, got {window:?}"
        );
        self.slot = window / SLOTS as u32;
        self
    }

    fn slot_now(&self, b: &Budget) -> u64 {
        (b.start.elapsed().as_nanos() / self.slot.as_nanos()) as u64
    }

    pub(crate) fn deposit(&self) {
        let mut b = lock(&self.state);
        let now = self.slot_now(&b);
        *b.current(now) += self.ratio;
    }

    pub(crate) fn withdraw(&self) -> bool {
        let mut b = lock(&self.state);
        let now = self.slot_now(&b);
        if self.reserve + b.live(now) >= 1.0 {
            *b.current(now) -= 1.0;
            true
        } else {
            false
        }
    }

    /// Retries available now.
    pub fn available(&self) -> u64 {
        let b = lock(&self.state);
        (self.reserve + b.live(self.slot_now(&b))).max(0.0) as u64
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ratio", &self.ratio)
            .field("min_retries", &self.reserve)
            .field("window", &(self.slot * SLOTS as u32))
            .field("available", &self.available())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::thread;
    use std::time::Duration;

    use super::RetryBudget;

    #[test]
    fn deposits_expire_after_the_window() {
        let budget = RetryBudget::new(0.5, 0).window(Duration::from_secs(1));
        for _ in 0..10 {
            budget.deposit();
        }
        assert_eq!(budget.available(), 5);
        assert!(budget.withdraw());
        assert_eq!(budget.available(), 4);
        thread::sleep(Duration::from_millis(1100));
        assert_eq!(budget.available(), 0, "a quiet spell banked retries");
        assert!(!budget.withdraw());
    }

    #[test]
    fn the_reserve_is_there_in_every_window() {
        let budget = RetryBudget::new(0.0, 2).window(Duration::from_secs(1));
        assert!(budget.withdraw() && budget.withdraw());
        assert!(!budget.withdraw(), "two retries a window");
        thread::sleep(Duration::from_millis(1100));
        assert_eq!(
            budget.available(),
            2,
            "the withdrawals expired with their window"
        );
    }

    #[test]
    #[should_panic(expected = "at least 10 ms")]
    fn a_window_under_10_ms_is_refused() {
        let _ = RetryBudget::new(0.1, 0).window(Duration::from_millis(5));
    }
}
