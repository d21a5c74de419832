//! A brigade [`Pool`](brigade::Pool) fed by a Redis Stream: jobs survive
//! restarts, many processes on many machines share one queue, and the pool's
//! backpressure reaches the broker.
//!
//! ```no_run
//! use brigade::{Context, Pool, Retry};
//! use brigade_redis::{Consumer, Queue};
//! use std::time::Duration;
//!
//! let client = redis::Client::open("redis://127.0.0.1/").unwrap();
//! // Producer: serde jobs into the stream `thumbs`.
//! let mut queue = Queue::open(client.clone(), "thumbs").unwrap();
//! queue.enqueue_many(&[(1u32, 64u32), (2, 64), (3, 128)]).unwrap();
//!
//! // Consumer: a pool of 4 workers and a queue of 16 reads at most 20
//! // entries at a time, acknowledges each when its outcome is final, and
//! // dead-letters to `thumbs:dead` after 3 failed attempts.
//! let consumer = Consumer::builder(client, "thumbs", "thumbnailers", "host-1")
//!     .pool(Pool::builder().workers(4).queue(16).retry(Retry::attempts(3)))
//!     .visibility_timeout(Duration::from_secs(30))
//!     .build(|d: &brigade_redis::Delivery<(u32, u32)>, _ctx: &Context| {
//!         let (image, size) = *d.job();
//!         Ok::<_, String>(image * size)
//!     })
//!     .unwrap();
//! // ... later: stop reading, let running jobs finish, acknowledge them.
//! consumer.shutdown(Duration::from_secs(10)).unwrap();
//! ```
//!
//! # Why a crate of its own
//! `brigade-redis` is a workspace crate rather than a `redis` feature of
//! `brigade`: the Redis client and its dependencies stay out of the core
//! crate's build and out of the wasm build (a browser cannot open a TCP
//! connection to Redis), and `cargo test` at the root, which tests only the
//! core, needs no `redis-server`.
//!
//! # Delivery guarantees
//! - **At least once.** Entries are read with `XREADGROUP` into a consumer
//!   group and acknowledged (`XACK`) only when the job's outcome is final:
//!   success, or failure after the pool's retries. A consumer that dies
//!   leaves its entries in the group's pending list; after the visibility
//!   timeout another consumer takes them over with `XAUTOCLAIM` (counted
//!   as `reclaimed`). A live consumer refreshes the idle time of the
//!   entries it holds every third of the visibility timeout, from its own
//!   thread rather than the jobs', so a long or CPU-bound job is not taken
//!   for dead.
//! - **Effects once per key.** [`Delivery::record_once`] writes a job's
//!   Redis effect together with an idempotency marker (see [`delivery`]);
//!   a consumer acknowledges without running a reclaimed or keyed entry
//!   whose marker is set.
//! - **Dead letters.** A job that fails after its last attempt, or whose
//!   payload does not decode, is added to `<stream>:dead` with the error,
//!   its failure kind and the attempt count, and acknowledged, in one
//!   `MULTI`. An entry reclaimed more than `max_deliveries` times (its
//!   consumers keep dying on it) is dead-lettered without running again.
//! - **Backpressure.** A consumer holds at most `workers + queue` entries
//!   (read and not yet acknowledged), so its share of the group's pending
//!   list never exceeds that; it reads only as many entries as it has room
//!   for.
//! - **Shutdown.** [`Consumer::shutdown`] stops reading, lets queued and
//!   running jobs finish until its deadline and acknowledges them; jobs
//!   canceled (or failing) after the deadline are given back to the stream
//!   (a copy added, the original acknowledged, in one `MULTI`), so the
//!   consumer holds nothing afterwards. [`Consumer::abort`] cancels the jobs and leaves
//!   their entries pending, for other consumers to reclaim.
//! - **Redis restarts.** The consumer reconnects with backoff and carries
//!   on; acknowledgements it could not send are kept and sent after the
//!   reconnect. With the append-only file on, nothing acknowledged is lost.
//!
//! # Keys
//! For a stream `s`: `s` (the jobs), `s:dead` (dead letters), `s:delayed`
//! (a sorted set of delayed jobs, see [`queue`]), `s:key:<key>` (enqueue
//! idempotency keys) and `s:done:<group>:<key>` (effect markers, per consumer
//! group).

#![deny(missing_docs)]

mod consumer;
pub mod delivery;
mod error;
mod metrics;
pub mod queue;
mod server;

pub use consumer::{
    Consumer, ConsumerBuilder, ShutdownReport, DEFAULT_IDEMPOTENCY_TTL, DEFAULT_MAX_DELIVERIES,
    DEFAULT_VISIBILITY_TIMEOUT,
};
pub use delivery::Delivery;
pub use error::Error;
pub use metrics::{ConsumerMetrics, StreamMetrics};
pub use queue::{Enqueued, Queue};
pub use server::LocalServer;

/// The Redis keys that belong to one stream.
#[derive(Clone, Debug)]
pub(crate) struct Keys {
    pub(crate) stream: String,
    pub(crate) dead: String,
    pub(crate) delayed: String,
}

impl Keys {
    pub(crate) fn new(stream: &str) -> Result<Self, Error> {
        if stream.is_empty() {
            return Err(Error::Invalid("the stream name must not be empty".into()));
        }
        Ok(Keys {
            stream: stream.to_owned(),
            dead: format!("{stream}:dead"),
            delayed: format!("{stream}:delayed"),
        })
    }

    /// `<stream>:key:<key>`: the enqueue idempotency marker.
    pub(crate) fn key_marker(&self, key: &str) -> String {
        format!("{}:key:{key}", self.stream)
    }

    /// `<stream>:done:<group>:<key>`: the effect marker. Per group: each
    /// group of a stream runs every entry (fan-out), so one group's
    /// effects must not mark another's done.
    pub(crate) fn done_marker(&self, group: &str, key: &str) -> String {
        format!("{}:done:{group}:{key}", self.stream)
    }
}
