//! Go's concurrency model, done in Rust: channels, `select!`, `WaitGroup`,
//! `Context` and worker pools, on native threads and, through `brigade-wasm`, on
//! Web Workers sharing one WebAssembly memory.
//!
//! # Hello, world!
//!
//! ```
//! use brigade::chan;
//!
//! let (tx, rx) = chan::bounded(0); // unbuffered, as `make(chan string)`
//! std::thread::spawn(move || tx.send("hello, world").unwrap());
//! assert_eq!(rx.recv(), Ok("hello, world"));
//! ```
//!
//! # Map of the crate
//! - [`chan`]: channels (bounded, rendezvous, unbounded), [`select!`], timers.
//! - [`WaitGroup`], [`Context`]: waiting for tasks, canceling them.
//! - [`Pool`]: a bounded worker pool that reports one [`Outcome`] per job, with
//!   retries ([`Retry`]), rate limits ([`RateLimit`]), timeouts and metrics.
//! - [`Group`], [`ResultGroup`]: Go's errgroup.
//! - [`runtime`]: which threads may block, time, and timers in the browser.

#![deny(missing_docs)]

pub mod chan;
mod context;
mod group;
mod loom;
pub mod pool;
mod rand;
mod rate_limit;
mod retry;
pub mod runtime;
mod timer;
mod wait_group;

pub use context::{AfterFuncStop, CancelFunc, Cause, Context, ContextError};
pub use group::{Group, GroupError, Place, ResultGroup};
pub use pool::{
    BuildError, Builder, Failure, Job, JobHandle, JobId, Outcome, Pool, ShutdownReport,
};
#[doc(hidden)]
pub use rand::os_random_u64 as __os_random_u64;
pub use rate_limit::{RateLimit, RateLimitError};
pub use retry::{Retry, RetryBudget};
pub use wait_group::{WaitError, WaitGroup};
