//! The producer: [`Queue`] adds serialised jobs to one Redis Stream.
//!
//! # Entry layout
//! Each job is one stream entry with the field `job` (the job as JSON) and,
//! when it has one, `key` (its idempotency key).
//!
//! # Idempotency keys at enqueue
//! A job given a key is added only if `<stream>:key:<key>` does not exist:
//! one Lua script runs `SET <stream>:key:<key> NX EX <ttl>`, the `XADD`, and
//! stores the new entry id in that key, atomically. A second enqueue with
//! the same key within the time to live returns
//! [`Enqueued::Duplicate`] with the first entry's id, so a producer that
//! retries after a network error does not add the job twice.
//!
//! # Delayed jobs
//! A job with a delay goes to the sorted set `<stream>:delayed`, scored by
//! its due time in milliseconds on the Redis server's clock (`TIME`, so
//! producers' and consumers' clocks do not matter). A Lua script moves due
//! jobs into the stream (`XADD`, then `ZREM`, atomically); every
//! [`Consumer`](crate::Consumer) runs it on each turn of its loop, and
//! [`Queue::promote_due`] runs it by hand. A delayed job gets its entry id
//! when it is moved.

use std::time::Duration;

use redis::{Connection, Script};
use serde::Serialize;

use crate::{Error, Keys};

/// The default time an enqueue idempotency key is kept: 24 hours.
pub const DEFAULT_KEY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

const ENQUEUE_KEYED: &str = r"
-- KEYS[1] stream, KEYS[2] the key's marker; ARGV: job, key, ttl seconds
if redis.call('SET', KEYS[2], '', 'NX', 'EX', ARGV[3]) then
  local id = redis.call('XADD', KEYS[1], '*', 'job', ARGV[1], 'key', ARGV[2])
  redis.call('SET', KEYS[2], id, 'KEEPTTL')
  return {1, id}
end
return {0, redis.call('GET', KEYS[2])}
";

const ENQUEUE_DELAYED: &str = r"
-- KEYS[1] delayed set, KEYS[2] the key's marker or '';
-- ARGV: member, delay ms, ttl seconds
if KEYS[2] ~= '' then
  if not redis.call('SET', KEYS[2], 'delayed', 'NX', 'EX', ARGV[3]) then
    return {0, redis.call('GET', KEYS[2])}
  end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return {1, ''}
";

pub(crate) const PROMOTE: &str = r"
-- KEYS[1] stream, KEYS[2] delayed set; ARGV: max, key-marker prefix
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
for _, m in ipairs(due) do
  local e = cjson.decode(m)
  if type(e.key) == 'string' then
    local id = redis.call('XADD', KEYS[1], '*', 'job', e.job, 'key', e.key)
    redis.call('SET', ARGV[2] .. e.key, id, 'XX', 'KEEPTTL')
  else
    redis.call('XADD', KEYS[1], '*', 'job', e.job)
  end
  redis.call('ZREM', KEYS[2], m)
end
return #due
";

/// How one [`Queue::enqueue_with`] went.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Enqueued {
    /// Added to the stream with this entry id.
    Added(String),
    /// Put in the delayed set; it gets an entry id when it is due.
    Delayed,
    /// Not added: a job with the same idempotency key was enqueued within
    /// the key's time to live. Holds that job's entry id, or `delayed` if it
    /// is still waiting in the delayed set.
    Duplicate(String),
}

impl Enqueued {
    /// The entry id, if the job is in the stream (added now or before).
    pub fn id(&self) -> Option<&str> {
        match self {
            Enqueued::Added(id) => Some(id),
            Enqueued::Duplicate(id) if id != "delayed" => Some(id),
            _ => None,
        }
    }
}

/// Options of one enqueue: an idempotency key and a delay.
#[derive(Clone, Debug, Default)]
pub struct Options {
    key: Option<String>,
    delay: Option<Duration>,
    key_ttl: Option<Duration>,
}

impl Options {
    /// No key, no delay.
    pub fn new() -> Self {
        Self::default()
    }

    /// The job's idempotency key: a second enqueue with the same key within
    /// its time to live is not added, and consumers record the job's effect
    /// at most once per key ([`Delivery::record_once`](crate::Delivery::record_once)).
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// How long the key is remembered ([`DEFAULT_KEY_TTL`] unless set;
    /// rounded up to whole seconds).
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = Some(ttl);
        self
    }

    /// Adds the job to the stream only after `delay`.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// A producer over one Redis Stream.
///
/// ```no_run
/// use brigade_redis::{queue::Options, Queue};
///
/// let mut queue = Queue::open(redis::Client::open("redis://127.0.0.1/").unwrap(), "thumbs").unwrap();
/// let id = queue.enqueue(&("cat.png", 128)).unwrap();
/// let ids = queue.enqueue_many(&[("a.png", 64), ("b.png", 64)]).unwrap();
/// let later = queue
///     .enqueue_with(&("c.png", 64), Options::new().key("c.png@64").delay(std::time::Duration::from_secs(5)))
///     .unwrap();
/// # let _ = (id, ids, later);
/// ```
pub struct Queue {
    conn: Connection,
    keys: Keys,
    keyed: Script,
    delayed: Script,
    promote: Script,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("stream", &self.keys.stream)
            .finish_non_exhaustive()
    }
}

impl Queue {
    /// A producer for `stream`, over a new connection from `client`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty stream name; [`Error::Redis`] if the
    /// connection fails.
    pub fn open(client: redis::Client, stream: &str) -> Result<Self, Error> {
        let keys = Keys::new(stream)?;
        Ok(Queue {
            conn: client.get_connection()?,
            keys,
            keyed: Script::new(ENQUEUE_KEYED),
            delayed: Script::new(ENQUEUE_DELAYED),
            promote: Script::new(PROMOTE),
        })
    }

    /// The stream's name.
    pub fn stream(&self) -> &str {
        &self.keys.stream
    }

    /// Adds `job` (as JSON) to the stream; returns its entry id.
    ///
    /// # Errors
    /// [`Error::Encode`] if the job does not serialise; [`Error::Redis`].
    pub fn enqueue<J: Serialize + ?Sized>(&mut self, job: &J) -> Result<String, Error> {
        let json = serde_json::to_string(job).map_err(Error::Encode)?;
        self.enqueue_json(json)
    }

    /// Adds `job` with an idempotency key and/or a delay.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty key; [`Error::Encode`];
    /// [`Error::Redis`].
    pub fn enqueue_with<J: Serialize + ?Sized>(
        &mut self,
        job: &J,
        options: Options,
    ) -> Result<Enqueued, Error> {
        let json = serde_json::to_string(job).map_err(Error::Encode)?;
        if options.key.as_deref() == Some("") {
            return Err(Error::Invalid(
                "an idempotency key must not be empty".into(),
            ));
        }
        let ttl = options.key_ttl.unwrap_or(DEFAULT_KEY_TTL);
        let ttl_secs = ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0);
        if ttl_secs == 0 {
            return Err(Error::Invalid("key_ttl must be longer than zero".into()));
        }
        let marker = options.key.as_deref().map(|k| self.keys.key_marker(k));
        let (added, id): (i64, String) = match options.delay {
            Some(delay) if !delay.is_zero() => {
                let member = serde_json::json!({
                    "job": json,
                    "key": options.key,
                    "n": brigade::__os_random_u64(),
                })
                .to_string();
                self.delayed
                    .key(&self.keys.delayed)
                    .key(marker.as_deref().unwrap_or(""))
                    .arg(member)
                    .arg(delay.as_millis() as u64)
                    .arg(ttl_secs)
                    .invoke(&mut self.conn)?
            }
            _ => match (&options.key, &marker) {
                (Some(key), Some(marker)) => self
                    .keyed
                    .key(&self.keys.stream)
                    .key(marker)
                    .arg(json)
                    .arg(key)
                    .arg(ttl_secs)
                    .invoke(&mut self.conn)?,
                _ => (1, self.enqueue_json(json)?),
            },
        };
        Ok(match (added, options.delay) {
            (0, _) => Enqueued::Duplicate(id),
            (_, Some(d)) if !d.is_zero() => Enqueued::Delayed,
            _ => Enqueued::Added(id),
        })
    }

    fn enqueue_json(&mut self, json: String) -> Result<String, Error> {
        Ok(redis::cmd("XADD")
            .arg(&self.keys.stream)
            .arg("*")
            .arg("job")
            .arg(json)
            .query(&mut self.conn)?)
    }

    /// Adds every job in one pipelined round trip (per 1,000 jobs); returns
    /// their entry ids in order.
    ///
    /// # Errors
    /// [`Error::Encode`] before anything is sent if one job does not
    /// serialise; [`Error::Redis`] (jobs of earlier chunks may be added).
    pub fn enqueue_many<J: Serialize>(&mut self, jobs: &[J]) -> Result<Vec<String>, Error> {
        let jsons = jobs
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>()
            .map_err(Error::Encode)?;
        let mut ids = Vec::with_capacity(jsons.len());
        for chunk in jsons.chunks(1000) {
            let mut pipe = redis::pipe();
            for json in chunk {
                pipe.cmd("XADD")
                    .arg(&self.keys.stream)
                    .arg("*")
                    .arg("job")
                    .arg(json);
            }
            let chunk_ids: Vec<String> = pipe.query(&mut self.conn)?;
            ids.extend(chunk_ids);
        }
        Ok(ids)
    }

    /// Moves up to `max` delayed jobs that are due into the stream; returns
    /// how many it moved. Consumers do this on their own; this is for a
    /// producer without consumers running, and for tests.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub fn promote_due(&mut self, max: usize) -> Result<usize, Error> {
        Ok(self
            .promote
            .key(&self.keys.stream)
            .key(&self.keys.delayed)
            .arg(max)
            .arg(self.keys.key_marker(""))
            .invoke(&mut self.conn)?)
    }

    /// Creates consumer group `group` on the stream, from its first entry,
    /// creating the stream if needed; an existing group is left as it is.
    /// Consumers do this when they start; a producer does it to count the
    /// group's pending entries before any consumer has run.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an empty name; [`Error::Redis`].
    pub fn create_group(&mut self, group: &str) -> Result<(), Error> {
        if group.is_empty() {
            return Err(Error::Invalid("the group must not be empty".into()));
        }
        Ok(crate::consumer::create_group(
            &mut self.conn,
            &self.keys.stream,
            group,
        )?)
    }

    /// The number of delayed jobs not yet moved into the stream.
    ///
    /// # Errors
    /// [`Error::Redis`].
    pub fn delayed_len(&mut self) -> Result<usize, Error> {
        Ok(redis::cmd("ZCARD")
            .arg(&self.keys.delayed)
            .query(&mut self.conn)?)
    }
}
