//! The limits and defaults of the JavaScript API's options, in one place:
//! `js/api/options.js` checks every option against them before it crosses
//! into the module, and a test checks the JSDoc and `index.d.ts` against
//! them. Where `core` has the number (its largest queue, the backoff a
//! `Retry` starts with), it comes from there.

use brigade::pool::{DEFAULT_SATURATION_WINDOW, MAX_QUEUE, MAX_WORKERS};
use brigade::runtime::Duration;
use brigade::Retry;
use serde::Serialize;

/// The most Web Workers one pool (or the rayon pool) may ask for: browsers
/// cap the workers of a page far below `core`'s [`MAX_WORKERS`].
pub const MAX_WEB_WORKERS: usize = 256;
const _: () = assert!(MAX_WEB_WORKERS <= MAX_WORKERS);

/// The longest time an option in ms may hold: a day.
const DAY_MS: f64 = 86_400_000.0;

/// One number's rule: its range, whether it must be whole, and its default.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Rule {
    min: f64,
    max: f64,
    integer: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<f64>,
}

const fn range(min: f64, max: f64) -> Rule {
    Rule {
        min,
        max,
        integer: false,
        default: None,
    }
}

const fn whole(min: f64, max: f64) -> Rule {
    Rule {
        min,
        max,
        integer: true,
        default: None,
    }
}

impl Rule {
    const fn or(mut self, default: f64) -> Rule {
        self.default = Some(default);
        self
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Every rule, by the option's path (`retry.attempts`, `job.timeoutMs`).
/// `workers` defaults to the device's core count and `queue` to twice the
/// workers, which only the page knows.
#[derive(Debug, Serialize)]
pub struct Rules {
    workers: Rule,
    queue: Rule,
    #[serde(rename = "timeoutMs")]
    timeout_ms: Rule,
    #[serde(rename = "hardTimeoutMs")]
    hard_timeout_ms: Rule,
    #[serde(rename = "saturationWindowMs")]
    saturation_window_ms: Rule,
    #[serde(rename = "rayonThreads")]
    rayon_threads: Rule,
    #[serde(rename = "retry.attempts")]
    retry_attempts: Rule,
    #[serde(rename = "retry.baseMs")]
    retry_base_ms: Rule,
    #[serde(rename = "retry.maxMs")]
    retry_max_ms: Rule,
    #[serde(rename = "rateLimit.perSecond")]
    rate_per_second: Rule,
    #[serde(rename = "rateLimit.burst")]
    rate_burst: Rule,
    #[serde(rename = "job.timeoutMs")]
    job_timeout_ms: Rule,
    #[serde(rename = "job.hardTimeoutMs")]
    job_hard_timeout_ms: Rule,
    #[serde(rename = "group.limit")]
    group_limit: Rule,
}

/// The rules.
pub fn rules() -> Rules {
    let web_workers = MAX_WEB_WORKERS as f64;
    Rules {
        workers: whole(1.0, web_workers),
        queue: whole(0.0, MAX_QUEUE as f64),
        timeout_ms: range(0.001, DAY_MS),
        hard_timeout_ms: range(1.0, DAY_MS),
        saturation_window_ms: range(1.0, DAY_MS).or(ms(DEFAULT_SATURATION_WINDOW)),
        rayon_threads: whole(0.0, web_workers).or(0.0),
        retry_attempts: whole(1.0, 100.0).or(3.0),
        retry_base_ms: range(0.0, DAY_MS).or(ms(Retry::<()>::DEFAULT_BASE)),
        retry_max_ms: range(0.0, DAY_MS).or(ms(Retry::<()>::DEFAULT_MAX)),
        rate_per_second: range(1e-6, 1e9),
        rate_burst: whole(1.0, 1e6).or(1.0),
        job_timeout_ms: range(0.001, DAY_MS),
        job_hard_timeout_ms: range(1.0, DAY_MS),
        group_limit: whole(1.0, MAX_QUEUE as f64),
    }
}
