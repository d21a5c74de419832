//! [`Delivery`]: one stream entry as a job in the pool, and the
//! idempotency store that makes its effect happen once.
//!
//! # The idempotency store
//! Delivery is at least once: an entry whose consumer died before
//! acknowledging it runs again elsewhere. A handler whose effect is a write
//! to Redis makes it happen once per idempotency key with
//! [`Delivery::record_once`]: it `WATCH`es `<stream>:done:<group>:<key>`, and if
//! the marker is absent, runs the effect and `SET <marker> 1 EX <ttl>` in
//! one `MULTI`/`EXEC`. A second delivery finds the marker and writes
//! nothing; two racing deliveries cannot both write, because the marker's
//! `WATCH` aborts the later `EXEC` (which is then retried and sees the
//! marker). Consumers also check the marker before running a reclaimed
//! entry, or one with a key of its own, and acknowledge it without running
//! when it is set, so a job that completed but died before its `XACK` does
//! not even start again. (An entry read fresh has never been delivered to
//! the group, so it has no marker of its own to check.)
//!
//! The key is the one given at enqueue, or else the entry id (which every
//! redelivery of an entry shares; an entry given back at shutdown carries
//! its original id as its key). Markers are per consumer group: every group
//! of a stream runs every entry. Markers expire after the consumer's
//! `idempotency_ttl` (24 hours unless set): a duplicate arriving later than
//! that runs again.

use std::fmt;

use redis::{Connection, Pipeline, RedisResult};

/// One job as the pool's handler sees it: the decoded payload and where it
/// came from.
pub struct Delivery<J> {
    pub(crate) id: String,
    pub(crate) key: Option<String>,
    pub(crate) job: J,
    pub(crate) done: String,
    pub(crate) ttl_secs: u64,
    pub(crate) reclaimed: bool,
}

impl<J: fmt::Debug> fmt::Debug for Delivery<J> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("id", &self.id)
            .field("key", &self.key)
            .field("job", &self.job)
            .field("reclaimed", &self.reclaimed)
            .finish()
    }
}

impl<J> Delivery<J> {
    /// The job.
    pub fn job(&self) -> &J {
        &self.job
    }

    /// The stream entry id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The idempotency key: the one given at enqueue, or else the entry id.
    pub fn key(&self) -> &str {
        self.key.as_deref().unwrap_or(&self.id)
    }

    /// Whether this consumer took the entry over from another one
    /// (`XAUTOCLAIM`) rather than reading it fresh: it may have run before.
    pub fn reclaimed(&self) -> bool {
        self.reclaimed
    }

    /// Runs the Redis commands that `effect` adds to a transaction, at most
    /// once per idempotency key (see the module docs). Returns `true` if it
    /// wrote them now, `false` if the key's marker was already set.
    ///
    /// `effect` may be called more than once (when a concurrent write to the
    /// marker aborts the transaction); it should only add commands to the
    /// pipeline.
    ///
    /// ```no_run
    /// # fn demo(d: &brigade_redis::Delivery<u64>, conn: &mut redis::Connection) -> redis::RedisResult<()> {
    /// let first = d.record_once(conn, |tx| {
    ///     tx.cmd("HINCRBY").arg("totals").arg("sum").arg(*d.job()).ignore();
    /// })?;
    /// # let _ = first; Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The connection's or a command's error; nothing was written then.
    pub fn record_once(
        &self,
        conn: &mut Connection,
        mut effect: impl FnMut(&mut Pipeline),
    ) -> RedisResult<bool> {
        redis::transaction(conn, &[&self.done], |conn, tx| {
            let done: bool = redis::cmd("EXISTS").arg(&self.done).query(conn)?;
            if done {
                return Ok(Some(false));
            }
            effect(tx);
            tx.cmd("SET")
                .arg(&self.done)
                .arg(1)
                .arg("EX")
                .arg(self.ttl_secs)
                .ignore();
            // `None` when a write to the marker aborted the EXEC: try again.
            let applied: Option<()> = tx.query(conn)?;
            Ok(applied.map(|()| true))
        })
    }
}
