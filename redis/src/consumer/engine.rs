//! The consumer's loop: one thread per consumer that reads entries into the
//! pool, acknowledges or dead-letters them as outcomes arrive, reclaims
//! dead consumers' entries, keeps its own entries alive, and reconnects.
//!
//! # The loop
//! Each turn:
//! 1. take every outcome the pool has delivered and turn it into a final
//!    write: `XACK` (success), `XADD <stream>:dead` + `XACK` (failure after
//!    the last attempt), `XADD <stream>` + `XACK` (canceled, or failed,
//!    after a shutdown's deadline: given back), or nothing (canceled or
//!    failed after `abort`: left pending);
//! 2. send all final writes of the turn in one `MULTI`/`EXEC`, so a dead
//!    letter is never added without its entry acknowledged or the other way
//!    round; an entry leaves `held` only once its write succeeded;
//! 3. every third of the visibility timeout, refresh the idle time of the
//!    held entries (a Lua script: `XCLAIM ... JUSTID` of each entry that
//!    `XPENDING` still shows as this consumer's, so an entry another
//!    consumer has reclaimed meanwhile is not taken back);
//! 4. every half visibility timeout, `XAUTOCLAIM` entries idle longer than
//!    the visibility timeout, at most as many as there is room for; their
//!    delivery counts come from `XPENDING`, and an entry delivered more than
//!    `max_deliveries` times is dead-lettered without running;
//! 5. `XREADGROUP ... >` with `COUNT` = room, where room is
//!    `workers + queue - held`: the pool never gets more than it can hold,
//!    and the group never has more than `workers + queue` entries pending
//!    for this consumer;
//! 6. when there is no room, or the stream had nothing, wait up to 20 ms
//!    for an outcome instead.
//!
//! Before running a reclaimed entry or one with a key of its own, its
//! idempotency marker is checked (one pipelined `EXISTS` per batch); an
//! entry whose marker is set is acknowledged without running.
//!
//! # Invariants
//! 1. `held` is exactly the set of entries pending for this consumer that
//!    it knows of: inserted when read or reclaimed, removed only after the
//!    `EXEC` carrying its final write succeeded.
//! 2. `held.len() <= workers + queue` after every read: reads ask for at
//!    most the difference.
//! 3. Every outcome leads to exactly one final write or, on abort, to none;
//!    a final write is retried after a reconnect until it succeeds (an
//!    `XACK` of an entry already acknowledged is harmless).
//!
//! # Failures of Redis
//! Any error drops the connection; the next turn reconnects with backoff
//! (10 ms doubling to 1 s), re-creates the group if it is missing
//! (`MKSTREAM`; a server restarted without persistence), and carries on.
//! Final writes wait in memory meanwhile.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use brigade::chan::RecvTimeoutError;
use brigade::pool::{CancelReason, Failure, Outcome};
use brigade::Pool;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamInfoGroupsReply,
    StreamPendingCountReply, StreamReadOptions, StreamReadReply,
};
use redis::{Commands, Connection, RedisResult, Script};
use serde::de::DeserializeOwned;

use super::{Control, OnOutcome, ShutdownReport, ABORT, DRAIN};
use crate::metrics::Counters;
use crate::{Delivery, Keys};

const HEARTBEAT: &str = r"
-- KEYS[1] stream; ARGV: group, consumer, ids...
local kept = {}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #p > 0 then kept[#kept + 1] = ARGV[i] end
end
if #kept > 0 then
  redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, unpack(kept))
end
return #kept
";

/// Creates `group` on `stream` from its first entry, creating the stream
/// if needed; an existing group is left as it is.
pub(crate) fn create_group(conn: &mut Connection, stream: &str, group: &str) -> RedisResult<()> {
    let created: RedisResult<()> = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg(group)
        .arg("0")
        .arg("MKSTREAM")
        .query(conn);
    match created {
        Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
        other => other,
    }
}

/// What one outcome (or undecodable entry) writes to Redis.
enum Final {
    /// Acknowledge; with a marker to set (a user key's effect is done).
    Ack { id: String, done: Option<String> },
    /// Add to the dead-letter stream, then acknowledge.
    Dead {
        id: String,
        fields: Vec<(&'static str, String)>,
    },
    /// Give back: add a copy to the stream, then acknowledge the original.
    Requeue {
        id: String,
        job: String,
        key: Option<String>,
    },
}

impl Final {
    fn id(&self) -> &str {
        match self {
            Final::Ack { id, .. } | Final::Dead { id, .. } | Final::Requeue { id, .. } => id,
        }
    }
}

pub(super) struct Config<J, O, E> {
    pub(super) pool: Arc<Pool<Delivery<J>, O, E>>,
    pub(super) client: redis::Client,
    pub(super) keys: Keys,
    pub(super) group: String,
    pub(super) name: String,
    pub(super) counters: Arc<Counters>,
    pub(super) control: Arc<Control>,
    pub(super) visibility: Duration,
    pub(super) max_deliveries: u32,
    pub(super) ttl_secs: u64,
    pub(super) on_outcome: Option<OnOutcome<J, O, E>>,
}

pub(super) struct Engine<J, O, E> {
    cfg: Config<J, O, E>,
    conn: Option<Connection>,
    held: HashSet<String>,
    finals: Vec<Final>,
    /// Raw payloads of held entries, to dead-letter or give back.
    raw: HashMap<String, (String, Option<String>)>,
    promote: Script,
    heartbeat: Script,
    cursor: String,
    last_heartbeat: Instant,
    last_reclaim: Instant,
    last_refresh: Instant,
    last_promote: Instant,
    backoff: Duration,
    requeued: u64,
    reclaim_now: bool,
    /// A shutdown's deadline passed and the pool was aborted: jobs that
    /// end now without success are given back, not dead-lettered.
    pool_aborted: bool,
}

impl<J, O, E> Engine<J, O, E>
where
    J: DeserializeOwned + Send + 'static,
    O: Send + 'static,
    E: fmt::Display + Send + 'static,
{
    pub(super) fn new(cfg: Config<J, O, E>, conn: Connection) -> Self {
        let now = Instant::now();
        let long_ago = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
        let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
        Engine {
            conn: Some(conn),
            held: HashSet::new(),
            finals: Vec::new(),
            raw: HashMap::new(),
            promote: Script::new(crate::queue::PROMOTE),
            heartbeat: Script::new(HEARTBEAT),
            cursor: "0-0".into(),
            last_heartbeat: Instant::now(),
            last_reclaim: long_ago,
            last_refresh: long_ago,
            last_promote: long_ago,
            backoff: Duration::from_millis(10),
            requeued: 0,
            reclaim_now: true,
            pool_aborted: false,
            cfg,
        }
    }

    fn room(&self) -> usize {
        let pool = &self.cfg.pool;
        (pool.workers() + pool.capacity()).saturating_sub(self.held.len())
    }

    pub(super) fn run(mut self) -> ShutdownReport {
        let mut draining = false;
        let mut hard_deadline = None;
        loop {
            let state = self.cfg.control.state();
            self.collect();
            if state == ABORT {
                // Best effort: what had ended is acknowledged; the rest stays
                // pending for others to reclaim.
                if self.conn.is_some() && !self.finals.is_empty() {
                    let _ = self.write_finals();
                }
                self.publish_held();
                return ShutdownReport {
                    drained: false,
                    requeued: self.requeued,
                    still_held: self.held.len() as u64,
                };
            }
            if state == DRAIN && !draining {
                draining = true;
                self.cfg.pool.close();
            }
            if draining {
                let (deadline, timeout) = self
                    .cfg
                    .control
                    .deadline
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .unwrap_or((Instant::now(), Duration::ZERO));
                let now = Instant::now();
                if now >= deadline && !self.pool_aborted && !self.held.is_empty() {
                    self.pool_aborted = true;
                    self.cfg.pool.abort();
                    hard_deadline = Some(now + timeout);
                }
                if hard_deadline.is_some_and(|d| now >= d)
                    || (self.held.is_empty() && self.finals.is_empty())
                {
                    if self.conn.is_some() && !self.finals.is_empty() {
                        let _ = self.write_finals();
                    }
                    self.publish_held();
                    return ShutdownReport {
                        drained: !self.pool_aborted && self.held.is_empty(),
                        requeued: self.requeued,
                        still_held: self.held.len() as u64,
                    };
                }
            }
            if self.conn.is_none() && !self.reconnect() {
                continue;
            }
            if !self.finals.is_empty() {
                if let Err(e) = self.write_finals() {
                    self.failed(e);
                    continue;
                }
            }
            self.publish_held();
            if draining {
                self.wait_outcome(Duration::from_millis(20));
                continue;
            }
            if let Err(e) = self.turn() {
                self.failed(e);
            }
        }
    }

    /// One turn while running: periodic work, reclaim, read.
    fn turn(&mut self) -> RedisResult<()> {
        let now = Instant::now();
        let v = self.cfg.visibility;
        if now - self.last_promote >= Duration::from_millis(100) {
            self.last_promote = now;
            let conn = self.conn.as_mut().expect("connected");
            let _: usize = self
                .promote
                .key(&self.cfg.keys.stream)
                .key(&self.cfg.keys.delayed)
                .arg(1000)
                .arg(self.cfg.keys.key_marker(""))
                .invoke(conn)?;
        }
        if now - self.last_refresh >= Duration::from_millis(500) {
            self.last_refresh = now;
            self.refresh()?;
        }
        if now - self.last_heartbeat >= v / 3 {
            self.last_heartbeat = now;
            self.keep_alive()?;
        }
        let room = self.room();
        if room == 0 {
            self.wait_outcome(Duration::from_millis(20));
            return Ok(());
        }
        if self.reclaim_now || now - self.last_reclaim >= v / 2 {
            self.last_reclaim = now;
            self.reclaim_now = false;
            self.reclaim(room)?;
        }
        let room = self.room();
        if room == 0 {
            return Ok(());
        }
        // Block in Redis only when nothing is in flight: outcomes would wait
        // for their acknowledgement meanwhile.
        let block = self.held.is_empty() && self.finals.is_empty();
        let mut opts = StreamReadOptions::default()
            .group(&self.cfg.group, &self.cfg.name)
            .count(room);
        if block {
            opts = opts.block(100);
        }
        let conn = self.conn.as_mut().expect("connected");
        let reply: Option<StreamReadReply> =
            conn.xread_options(&[&self.cfg.keys.stream], &[">"], &opts)?;
        let entries: Vec<StreamId> = reply
            .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
            .unwrap_or_default();
        if entries.is_empty() {
            if !block {
                self.wait_outcome(Duration::from_millis(20));
            }
            return Ok(());
        }
        Counters::add(&self.cfg.counters.read, entries.len() as u64);
        self.admit(entries, false)
    }

    /// Takes entries into `held` and the pool, after checking their
    /// idempotency markers.
    fn admit(&mut self, entries: Vec<StreamId>, reclaimed: bool) -> RedisResult<()> {
        let mut decoded = Vec::with_capacity(entries.len());
        for e in entries {
            self.held.insert(e.id.clone());
            let key: Option<String> = e.get("key");
            let Some(raw) = e.get::<String>("job") else {
                self.finals.push(dead(
                    &e.id,
                    String::new(),
                    key,
                    "decode",
                    "the entry has no `job` field".into(),
                    0,
                    &self.cfg.name,
                ));
                continue;
            };
            match serde_json::from_str::<J>(&raw) {
                Ok(job) => decoded.push((e.id, key, raw, job)),
                Err(err) => self.finals.push(dead(
                    &e.id,
                    raw,
                    key,
                    "decode",
                    format!("could not decode the job: {err}"),
                    0,
                    &self.cfg.name,
                )),
            }
        }
        if decoded.is_empty() {
            return Ok(());
        }
        let markers: Vec<String> = decoded
            .iter()
            .map(|(id, key, _, _)| {
                let key = key.as_deref().unwrap_or(id);
                self.cfg.keys.done_marker(&self.cfg.group, key)
            })
            .collect();
        // Only an entry delivered before (reclaimed) or with a key of its
        // own can have a marker set; a fresh entry keyed by its id cannot.
        let check: Vec<bool> = decoded
            .iter()
            .map(|(_, key, _, _)| reclaimed || key.is_some())
            .collect();
        let mut pipe = redis::pipe();
        for (m, _) in markers.iter().zip(&check).filter(|(_, &c)| c) {
            pipe.cmd("EXISTS").arg(m);
        }
        let conn = self.conn.as_mut().expect("connected");
        let checked: RedisResult<Vec<bool>> = if check.contains(&true) {
            pipe.query(conn)
        } else {
            Ok(Vec::new())
        };
        let mut checked = match checked {
            Ok(done) => done.into_iter(),
            Err(e) => {
                // Pending in Redis but not run: forget them, so that they
                // are not kept alive, and they are reclaimed (by this
                // consumer or another) after the visibility timeout.
                for (id, ..) in &decoded {
                    self.held.remove(id);
                }
                return Err(e);
            }
        };
        let done: Vec<bool> = check
            .iter()
            .map(|&c| c && checked.next().unwrap_or(false))
            .collect();
        for (((id, key, raw, job), done_key), done) in decoded.into_iter().zip(markers).zip(done) {
            if done {
                Counters::add(&self.cfg.counters.skipped_done, 1);
                self.finals.push(Final::Ack { id, done: None });
                continue;
            }
            self.raw.insert(id.clone(), (raw, key.clone()));
            let delivery = Delivery {
                id,
                key,
                job,
                done: done_key,
                ttl_secs: self.cfg.ttl_secs,
                reclaimed,
            };
            if let Err(e) = self.cfg.pool.submit(delivery) {
                // Closed by a concurrent abort: the entry stays pending for
                // this consumer, so it stays in `held`, which the abort's
                // report counts.
                let d = e.into_inner();
                self.raw.remove(&d.id);
            }
        }
        Ok(())
    }

    fn reclaim(&mut self, room: usize) -> RedisResult<()> {
        let conn = self.conn.as_mut().expect("connected");
        let min_idle = self.cfg.visibility.as_millis() as u64;
        let reply: StreamAutoClaimReply = conn.xautoclaim_options(
            &self.cfg.keys.stream,
            &self.cfg.group,
            &self.cfg.name,
            min_idle,
            &self.cursor,
            StreamAutoClaimOptions::default().count(room),
        )?;
        self.cursor = reply.next_stream_id;
        if self.cursor != "0-0" {
            // More of the pending list to scan: go on next turn.
            self.reclaim_now = true;
        }
        // An entry this consumer holds is in its pool already: one it took
        // back from itself (its keep-alive came late) must not run twice.
        let claimed: Vec<StreamId> = reply
            .claimed
            .into_iter()
            .filter(|e| !self.held.contains(&e.id))
            .collect();
        if claimed.is_empty() {
            return Ok(());
        }
        if claimed.len() == room {
            self.reclaim_now = true;
        }
        Counters::add(&self.cfg.counters.reclaimed, claimed.len() as u64);
        let first = claimed.first().map(|e| e.id.clone()).unwrap_or_default();
        let last = claimed.last().map(|e| e.id.clone()).unwrap_or_default();
        let pending: StreamPendingCountReply = conn.xpending_consumer_count(
            &self.cfg.keys.stream,
            &self.cfg.group,
            &first,
            &last,
            claimed.len() + self.held.len() + 16,
            &self.cfg.name,
        )?;
        let deliveries: HashMap<String, usize> = pending
            .ids
            .into_iter()
            .map(|p| (p.id, p.times_delivered))
            .collect();
        let mut run = Vec::with_capacity(claimed.len());
        for e in claimed {
            let n = deliveries.get(&e.id).copied().unwrap_or(0);
            if n > self.cfg.max_deliveries as usize {
                self.held.insert(e.id.clone());
                let raw = e.get::<String>("job").unwrap_or_default();
                let key = e.get("key");
                self.finals.push(dead(
                    &e.id,
                    raw,
                    key,
                    "max_deliveries",
                    format!(
                        "delivered {n} times without an outcome (max_deliveries {}): its consumers died running it",
                        self.cfg.max_deliveries
                    ),
                    0,
                    &self.cfg.name,
                ));
            } else {
                run.push(e);
            }
        }
        self.admit(run, true)
    }

    fn keep_alive(&mut self) -> RedisResult<()> {
        if self.held.is_empty() {
            return Ok(());
        }
        let ids: Vec<&String> = self.held.iter().collect();
        let conn = self.conn.as_mut().expect("connected");
        for chunk in ids.chunks(500) {
            let mut call = self.heartbeat.key(&self.cfg.keys.stream);
            call.arg(&self.cfg.group).arg(&self.cfg.name);
            for id in chunk {
                call.arg(id.as_str());
            }
            let _: usize = call.invoke(conn)?;
        }
        Ok(())
    }

    fn refresh(&mut self) -> RedisResult<()> {
        let conn = self.conn.as_mut().expect("connected");
        let groups: StreamInfoGroupsReply = conn.xinfo_groups(&self.cfg.keys.stream)?;
        let (dead_len, delayed): (u64, u64) = redis::pipe()
            .cmd("XLEN")
            .arg(&self.cfg.keys.dead)
            .cmd("ZCARD")
            .arg(&self.cfg.keys.delayed)
            .query(conn)?;
        let c = &self.cfg.counters;
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(g) = groups.groups.iter().find(|g| g.name == self.cfg.group) {
            c.lag.store(g.lag.map_or(u64::MAX, |l| l as u64), Relaxed);
            c.group_pending.store(g.pending as u64, Relaxed);
        }
        c.dead_len.store(dead_len, Relaxed);
        c.delayed.store(delayed, Relaxed);
        c.refreshes.fetch_add(1, Relaxed);
        Ok(())
    }

    /// Turns every outcome delivered so far into a final write.
    /// Takes the outcomes that are out. The state is read after each one
    /// arrives, not before: `abort` sets it before it aborts the pool, so
    /// an outcome the abort caused always sees `ABORT` (read before, a job
    /// canceled by the abort was given back or dead-lettered instead of left
    /// pending).
    fn collect(&mut self) {
        while let Ok(o) = self.cfg.pool.results().try_recv() {
            let state = self.cfg.control.state();
            self.outcome(o, state);
        }
    }

    fn wait_outcome(&mut self, timeout: Duration) {
        match self.cfg.pool.results().recv_timeout(timeout) {
            Ok(o) => {
                let state = self.cfg.control.state();
                self.outcome(o, state);
                self.collect();
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(_) => std::thread::sleep(timeout),
        }
    }

    fn outcome(&mut self, o: Outcome<Delivery<J>, O, E>, state: u8) {
        if let Some(hook) = &self.cfg.on_outcome {
            hook(&o);
        }
        let id = o.job.id.clone();
        let (raw, key) = self.raw.remove(&id).unwrap_or_default();
        match &o.result {
            Ok(_) => {
                Counters::add(&self.cfg.counters.succeeded, 1);
                let done = key
                    .as_ref()
                    .map(|k| self.cfg.keys.done_marker(&self.cfg.group, k));
                self.finals.push(Final::Ack { id, done });
            }
            Err(_) if state == ABORT => {
                // Canceled, or failed because it was canceled: left pending
                // (and so still in `held`) for another consumer to reclaim.
            }
            Err(f) if self.pool_aborted || matches!(f, Failure::Canceled(CancelReason::Pool)) => {
                // The copy keeps the original's key (its id if it had none),
                // so an effect the canceled run did record is not repeated.
                let key = Some(key.unwrap_or_else(|| id.clone()));
                self.finals.push(Final::Requeue { id, job: raw, key });
            }
            Err(f) => {
                let kind = f.kind();
                let error = f.to_string();
                self.finals
                    .push(dead(&id, raw, key, kind, error, o.attempts, &self.cfg.name));
            }
        }
    }

    /// Sends every final write in one transaction.
    fn write_finals(&mut self) -> RedisResult<()> {
        let keys = &self.cfg.keys;
        let mut tx = redis::pipe();
        tx.atomic();
        for f in &self.finals {
            match f {
                Final::Ack { done: Some(m), .. } => {
                    tx.cmd("SET")
                        .arg(m)
                        .arg(1)
                        .arg("EX")
                        .arg(self.cfg.ttl_secs)
                        .ignore();
                }
                Final::Ack { done: None, .. } => {}
                Final::Dead { fields, .. } => {
                    let c = tx.cmd("XADD").arg(&keys.dead).arg("*");
                    for (name, value) in fields {
                        c.arg(*name).arg(value);
                    }
                    c.ignore();
                }
                Final::Requeue { job, key, .. } => {
                    let c = tx
                        .cmd("XADD")
                        .arg(&keys.stream)
                        .arg("*")
                        .arg("job")
                        .arg(job);
                    if let Some(k) = key {
                        c.arg("key").arg(k);
                    }
                    c.ignore();
                }
            }
        }
        // One XACK for the whole turn, inside the same transaction.
        let ack = tx.cmd("XACK").arg(&keys.stream).arg(&self.cfg.group);
        for f in &self.finals {
            ack.arg(f.id());
        }
        ack.ignore();
        let conn = self.conn.as_mut().expect("connected");
        let () = tx.query(conn)?;
        let c = &self.cfg.counters;
        for f in self.finals.drain(..) {
            match &f {
                Final::Dead { .. } => Counters::add(&c.dead_lettered, 1),
                Final::Requeue { .. } => {
                    Counters::add(&c.requeued, 1);
                    self.requeued += 1;
                }
                Final::Ack { .. } => {}
            }
            Counters::add(&c.acked, 1);
            self.held.remove(f.id());
        }
        Ok(())
    }

    fn publish_held(&self) {
        self.cfg
            .counters
            .held
            .store(self.held.len() as u64, std::sync::atomic::Ordering::Relaxed);
    }

    fn failed(&mut self, e: redis::RedisError) {
        self.cfg.control.set_error(e.to_string());
        self.conn = None;
    }

    /// Connects again (and re-creates the group); false, after a pause, if
    /// it could not.
    fn reconnect(&mut self) -> bool {
        let attempt = self
            .cfg
            .client
            .get_connection_with_timeout(Duration::from_secs(1))
            .and_then(|mut conn| {
                conn.set_read_timeout(Some(Duration::from_secs(10)))?;
                create_group(&mut conn, &self.cfg.keys.stream, &self.cfg.group)?;
                Ok(conn)
            });
        match attempt {
            Ok(conn) => {
                self.conn = Some(conn);
                self.backoff = Duration::from_millis(10);
                Counters::add(&self.cfg.counters.reconnects, 1);
                true
            }
            Err(e) => {
                self.cfg.control.set_error(e.to_string());
                // Outcomes keep arriving meanwhile; wait for them rather
                // than sleeping blind.
                let pause = self.backoff;
                self.backoff = (self.backoff * 2).min(Duration::from_secs(1));
                self.wait_outcome(pause);
                false
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn dead(
    id: &str,
    job: String,
    key: Option<String>,
    kind: &str,
    error: String,
    attempts: u32,
    consumer: &str,
) -> Final {
    let mut fields = vec![
        ("id", id.to_owned()),
        ("job", job),
        ("error", error),
        ("kind", kind.to_owned()),
        ("attempts", attempts.to_string()),
        ("consumer", consumer.to_owned()),
    ];
    if let Some(k) = key {
        fields.push(("key", k));
    }
    Final::Dead {
        id: id.to_owned(),
        fields,
    }
}
