//! [`Consumer`]: a brigade pool fed from a Redis consumer group.
//!
//! The public face: the builder, the handle and its lifecycle. The loop
//! that reads, acknowledges, dead-letters and reclaims is in `engine.rs`.

mod engine;

pub(crate) use engine::create_group;

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use brigade::pool::{Builder, Outcome};
use brigade::{Context, Pool};
use serde::de::DeserializeOwned;

use crate::metrics::{ConsumerMetrics, Counters, StreamCollector};
use crate::{Delivery, Error, Keys};

const RUN: u8 = 0;
const DRAIN: u8 = 1;
const ABORT: u8 = 2;

/// The default visibility timeout: 30 seconds.
pub const DEFAULT_VISIBILITY_TIMEOUT: Duration = Duration::from_secs(30);
/// The default idempotency marker lifetime: 24 hours.
pub const DEFAULT_IDEMPOTENCY_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The default limit on deliveries of one entry: 5.
pub const DEFAULT_MAX_DELIVERIES: u32 = 5;

type OnOutcome<J, O, E> = Box<dyn Fn(&Outcome<Delivery<J>, O, E>) + Send + Sync>;

/// Shared between the handle and the engine thread.
#[derive(Debug)]
pub(crate) struct Control {
    state: AtomicU8,
    deadline: Mutex<Option<(Instant, Duration)>>,
    last_error: Mutex<Option<String>>,
}

impl Control {
    fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    fn set_error(&self, e: String) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
    }
}

/// Configures a [`Consumer`]; made by [`Consumer::builder`].
pub struct ConsumerBuilder<E> {
    client: redis::Client,
    stream: String,
    group: String,
    name: String,
    pool: Builder<E>,
    visibility: Duration,
    max_deliveries: u32,
    idempotency_ttl: Duration,
}

impl<E> fmt::Debug for ConsumerBuilder<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsumerBuilder")
            .field("stream", &self.stream)
            .field("group", &self.group)
            .field("name", &self.name)
            .field("visibility", &self.visibility)
            .field("max_deliveries", &self.max_deliveries)
            .finish_non_exhaustive()
    }
}

impl<E> ConsumerBuilder<E> {
    /// The pool that runs the jobs: workers, queue, retries, timeouts, rate
    /// limit. The consumer holds at most `workers + queue` entries. Do not
    /// set `discard_outcomes`: the consumer acknowledges entries from the
    /// outcomes.
    pub fn pool(mut self, pool: Builder<E>) -> Self {
        self.pool = pool;
        self
    }

    /// How long an entry may stay unacknowledged with its consumer silent
    /// before another consumer takes it over ([`DEFAULT_VISIBILITY_TIMEOUT`]
    /// unless set). A live consumer refreshes its entries every third of
    /// it, so it bounds how long a dead consumer's jobs wait, not how long a
    /// job may run.
    pub fn visibility_timeout(mut self, timeout: Duration) -> Self {
        self.visibility = timeout;
        self
    }

    /// An entry reclaimed with more than `n` deliveries is dead-lettered
    /// without running: its consumers keep dying on it
    /// ([`DEFAULT_MAX_DELIVERIES`] unless set).
    pub fn max_deliveries(mut self, n: u32) -> Self {
        self.max_deliveries = n;
        self
    }

    /// How long idempotency markers (`<stream>:done:<group>:<key>`) live
    /// ([`DEFAULT_IDEMPOTENCY_TTL`] unless set; whole seconds, rounded up).
    pub fn idempotency_ttl(mut self, ttl: Duration) -> Self {
        self.idempotency_ttl = ttl;
        self
    }

    /// Connects, creates the group if it does not exist (from the start of
    /// the stream, creating the stream if needed), builds the pool with
    /// `handler`, and starts the consumer's thread.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty name, a visibility timeout under
    /// 10 ms, zero `max_deliveries` or TTL, or a pool parameter the pool
    /// refuses; [`Error::Redis`] if Redis cannot be reached or refuses the
    /// group; [`Error::Engine`] if the thread cannot start.
    pub fn build<J, O, H>(self, handler: H) -> Result<Consumer<J, O, E>, Error>
    where
        J: DeserializeOwned + Send + 'static,
        O: Send + 'static,
        E: fmt::Display + Send + 'static,
        H: Fn(&Delivery<J>, &Context) -> Result<O, E> + Send + Sync + 'static,
    {
        self.build_with(handler, None)
    }

    /// [`build`](Self::build), with a hook that sees every outcome before
    /// its entry is acknowledged (on the consumer's thread: keep it short).
    ///
    /// # Errors
    /// As [`build`](Self::build).
    pub fn build_observed<J, O, H>(
        self,
        handler: H,
        on_outcome: impl Fn(&Outcome<Delivery<J>, O, E>) + Send + Sync + 'static,
    ) -> Result<Consumer<J, O, E>, Error>
    where
        J: DeserializeOwned + Send + 'static,
        O: Send + 'static,
        E: fmt::Display + Send + 'static,
        H: Fn(&Delivery<J>, &Context) -> Result<O, E> + Send + Sync + 'static,
    {
        self.build_with(handler, Some(Box::new(on_outcome)))
    }

    fn build_with<J, O, H>(
        self,
        handler: H,
        on_outcome: Option<OnOutcome<J, O, E>>,
    ) -> Result<Consumer<J, O, E>, Error>
    where
        J: DeserializeOwned + Send + 'static,
        O: Send + 'static,
        E: fmt::Display + Send + 'static,
        H: Fn(&Delivery<J>, &Context) -> Result<O, E> + Send + Sync + 'static,
    {
        let keys = Keys::new(&self.stream)?;
        for (what, v) in [("group", &self.group), ("consumer name", &self.name)] {
            if v.is_empty() {
                return Err(Error::Invalid(format!("the {what} must not be empty")));
            }
        }
        if self.visibility < Duration::from_millis(10) {
            return Err(Error::Invalid(format!(
                "visibility_timeout must be at least 10 ms, got {:?}",
                self.visibility
            )));
        }
        if self.max_deliveries == 0 {
            return Err(Error::Invalid("max_deliveries must be at least 1".into()));
        }
        let ttl = self.idempotency_ttl;
        let ttl_secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        if ttl_secs == 0 {
            return Err(Error::Invalid(
                "idempotency_ttl must be longer than zero".into(),
            ));
        }
        let mut conn = self.client.get_connection()?;
        engine::create_group(&mut conn, &keys.stream, &self.group)?;
        let pool = self
            .pool
            .build(move |d: &Delivery<J>, ctx: &Context| handler(d, ctx))
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let pool = Arc::new(pool);
        let counters = Counters::new();
        let control = Arc::new(Control {
            state: AtomicU8::new(RUN),
            deadline: Mutex::new(None),
            last_error: Mutex::new(None),
        });
        let engine = engine::Engine::new(
            engine::Config {
                pool: pool.clone(),
                client: self.client,
                keys,
                group: self.group,
                name: self.name.clone(),
                counters: counters.clone(),
                control: control.clone(),
                visibility: self.visibility,
                max_deliveries: self.max_deliveries,
                ttl_secs,
                on_outcome,
            },
            conn,
        );
        let thread = std::thread::Builder::new()
            .name(format!("brigade-redis {}", self.name))
            .spawn(move || engine.run())
            .map_err(|e| Error::Engine(format!("could not start its thread: {e}")))?;
        Ok(Consumer {
            pool,
            counters,
            control,
            thread: Mutex::new(Some(thread)),
            name: self.name,
        })
    }
}

/// What [`Consumer::shutdown`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Whether every job the consumer held ended before the deadline.
    pub drained: bool,
    /// Entries given back to the stream because their job was canceled at
    /// the deadline.
    pub requeued: u64,
    /// Entries still pending for this consumer (a handler ignored its
    /// canceled context past the second deadline, or Redis stayed
    /// unreachable): others reclaim them after the visibility timeout.
    pub still_held: u64,
}

/// A pool fed from a Redis Stream through a consumer group; see the crate
/// docs for what it guarantees.
pub struct Consumer<J, O, E> {
    pool: Arc<Pool<Delivery<J>, O, E>>,
    counters: Arc<Counters>,
    control: Arc<Control>,
    thread: Mutex<Option<JoinHandle<ShutdownReport>>>,
    name: String,
}

impl<J, O, E> fmt::Debug for Consumer<J, O, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("name", &self.name)
            .field("stream", &self.counters.snapshot())
            .finish_non_exhaustive()
    }
}

impl Consumer<(), (), ()> {
    /// Starts configuring consumer `name` of `group` on `stream`. Names
    /// must be unique among the group's live consumers; a restarted process
    /// may reuse its name.
    pub fn builder<E>(
        client: redis::Client,
        stream: &str,
        group: &str,
        name: &str,
    ) -> ConsumerBuilder<E> {
        ConsumerBuilder {
            client,
            stream: stream.to_owned(),
            group: group.to_owned(),
            name: name.to_owned(),
            pool: Pool::builder(),
            visibility: DEFAULT_VISIBILITY_TIMEOUT,
            max_deliveries: DEFAULT_MAX_DELIVERIES,
            idempotency_ttl: DEFAULT_IDEMPOTENCY_TTL,
        }
    }
}

impl<J, O, E> Consumer<J, O, E>
where
    J: Send + 'static,
    O: Send + 'static,
    E: Send + 'static,
{
    /// The consumer's name in its group.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pool running the jobs (for `busy`, `queued`, `running`, ...).
    pub fn pool(&self) -> &Pool<Delivery<J>, O, E> {
        &self.pool
    }

    /// The pool's metrics and the stream's: lag, pending, reclaimed,
    /// dead-lettered. Lag, the group's pending count and the dead-letter
    /// length are refreshed from Redis about twice a second.
    pub fn metrics(&self) -> ConsumerMetrics {
        ConsumerMetrics {
            pool: self.pool.metrics(),
            stream: self.counters.snapshot(),
        }
    }

    /// The stream figures alone: cheap (atomic reads), unlike
    /// [`metrics`](Self::metrics), which merges the pool's histograms.
    pub fn stream_metrics(&self) -> crate::StreamMetrics {
        self.counters.snapshot()
    }

    /// Whether the group has nothing left, as of the last refresh: no
    /// entry undelivered (lag 0), none pending in any consumer, no delayed
    /// job waiting.
    pub fn group_drained(&self) -> bool {
        let s = self.counters.snapshot();
        s.lag == Some(0) && s.group_pending == Some(0) && s.delayed == 0
    }

    /// How many times the figures were refreshed from Redis; a test waits
    /// for it to grow to see figures newer than an event.
    pub fn refreshes(&self) -> u64 {
        self.counters.refreshes.load(Ordering::Relaxed)
    }

    /// The last error the consumer met talking to Redis (it keeps
    /// reconnecting), if any.
    pub fn last_error(&self) -> Option<String> {
        self.control
            .last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Registers the pool's collector and the stream's figures in a
    /// `prometheus-client` registry, every name starting with `prefix`.
    pub fn register(&self, registry: &mut prometheus_client::registry::Registry, prefix: &str) {
        registry.register_collector(Box::new(self.pool.collector(prefix)));
        registry.register_collector(Box::new(StreamCollector {
            prefix: prefix.to_owned(),
            counters: self.counters.clone(),
        }));
    }

    /// Stops reading, lets queued and running jobs finish until `timeout`
    /// and acknowledges them; at the deadline cancels what is left and gives
    /// unfinished entries back to the stream, then waits up to `timeout`
    /// again for running handlers to stop. Afterwards the consumer holds no
    /// entry (unless [`ShutdownReport::still_held`] says otherwise).
    ///
    /// # Errors
    /// [`Error::Engine`] if it was already shut down or aborted, or its
    /// thread panicked.
    pub fn shutdown(&self, timeout: Duration) -> Result<ShutdownReport, Error> {
        *self
            .control
            .deadline
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((Instant::now() + timeout, timeout));
        let _ =
            self.control
                .state
                .compare_exchange(RUN, DRAIN, Ordering::AcqRel, Ordering::Acquire);
        self.join()
    }

    /// Cancels every job now and stops: nothing more is acknowledged, the
    /// entries it held stay pending for other consumers to reclaim after
    /// the visibility timeout. Returns once the consumer's thread exits.
    ///
    /// # Errors
    /// As [`shutdown`](Self::shutdown).
    pub fn abort(&self) -> Result<ShutdownReport, Error> {
        self.control.state.store(ABORT, Ordering::Release);
        self.pool.abort();
        self.join()
    }

    fn join(&self) -> Result<ShutdownReport, Error> {
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| Error::Engine("already shut down".into()))?;
        thread
            .join()
            .map_err(|_| Error::Engine("its thread panicked".into()))
    }
}

impl<J, O, E> Drop for Consumer<J, O, E> {
    /// Starts a graceful shutdown (30 s) and returns without waiting.
    fn drop(&mut self) {
        let mut deadline = self
            .control
            .deadline
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if deadline.is_none() {
            *deadline = Some((
                Instant::now() + Duration::from_secs(30),
                Duration::from_secs(30),
            ));
        }
        drop(deadline);
        let _ =
            self.control
                .state
                .compare_exchange(RUN, DRAIN, Ordering::AcqRel, Ordering::Acquire);
    }
}
