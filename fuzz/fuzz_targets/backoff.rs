//! `Retry`'s backoff and `RetryBudget` with arbitrary durations, attempt
//! counts and ratios: no input the API accepts panics or overflows, and the
//! delays keep their documented shape.
//!
//! Checked for every input, at each attempt number given and at the ends of
//! the range (0, 1, the doubling's cap at 31, `u32::MAX`):
//! - `delay_bound(0) == delay_bound(1) == base`;
//! - the bound doubles per attempt until it reaches the cap,
//!   `max(max, base)` (`backoff` never caps below `base`), and stays there:
//!   so it is non-decreasing and never above the cap;
//! - `delay(a) <= delay_bound(a)`, and equals it without jitter;
//! - a fresh budget has exactly `min_retries` available.
//!
//! Inputs the API documents as panicking are skipped: `attempts(0)`, a
//! negative or non-finite budget ratio, a budget window under 10 ms.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use brigade::{Retry, RetryBudget};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    attempts: u32,
    base: Duration,
    max: Duration,
    jitter: bool,
    /// Attempt numbers to look at, besides the fixed ones.
    at: Vec<u32>,
    ratio: f64,
    min_retries: u32,
    window: Duration,
}

/// Past this many attempts the bound stops doubling (`2^30 × base`).
const LAST_DOUBLING: u32 = 31;

fuzz_target!(|input: Input| {
    if input.attempts == 0 {
        return;
    }
    let retry: Retry<()> = Retry::attempts(input.attempts)
        .backoff(input.base, input.max)
        .jitter(input.jitter);
    let cap = input.max.max(input.base);

    assert_eq!(retry.delay_bound(0), input.base);
    assert_eq!(retry.delay_bound(1), input.base);
    let fixed = [0, 1, 2, LAST_DOUBLING - 1, LAST_DOUBLING, LAST_DOUBLING + 1];
    let ends = [u32::MAX - 1, u32::MAX];
    for &a in fixed.iter().chain(&ends).chain(&input.at) {
        let bound = retry.delay_bound(a);
        let next = retry.delay_bound(a.saturating_add(1));
        assert!(bound <= cap, "delay_bound({a}) = {bound:?} above {cap:?}");
        assert!(
            bound <= next,
            "delay_bound({a}) = {bound:?} > delay_bound(a + 1) = {next:?}"
        );
        if (1..LAST_DOUBLING).contains(&a) {
            let doubled = bound.saturating_mul(2).min(cap);
            assert_eq!(next, doubled, "delay_bound({a} + 1) is not double, capped");
        } else if a >= LAST_DOUBLING {
            assert_eq!(next, bound, "delay_bound grows past attempt {a}");
        }
        let delay = retry.delay(a);
        assert!(delay <= bound, "delay({a}) = {delay:?} > {bound:?}");
        if !input.jitter {
            assert_eq!(delay, bound, "delay({a}) without jitter");
        }
    }

    if input.ratio.is_finite() && input.ratio >= 0.0 && input.window >= Duration::from_millis(10) {
        let budget = RetryBudget::new(input.ratio, input.min_retries).window(input.window);
        assert_eq!(budget.available(), u64::from(input.min_retries));
        let _ = format!("{budget:?}");
        let _ = format!("{:?}", retry.budget(budget));
    }
});
