//! What the tests share: a per-thread Redis connection for handlers,
//! waiting for a condition, and reading the group's state.

#![allow(dead_code, unreachable_pub)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use redis::{Connection, RedisResult};

thread_local! {
    static CONN: RefCell<Option<(String, Connection)>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's connection to `url`, connecting on first use;
/// on an error the connection is dropped (the next call reconnects) and
/// the error becomes the handler's.
pub fn with_conn<T>(
    url: &str,
    f: impl FnOnce(&mut Connection) -> RedisResult<T>,
) -> Result<T, String> {
    CONN.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().is_none_or(|(u, _)| u != url) {
            let client = redis::Client::open(url).map_err(|e| e.to_string())?;
            let conn = client
                .get_connection_with_timeout(Duration::from_secs(1))
                .map_err(|e| e.to_string())?;
            conn.set_read_timeout(Some(Duration::from_secs(5)))
                .map_err(|e| e.to_string())?;
            *slot = Some((url.to_owned(), conn));
        }
        let (_, conn) = slot.as_mut().expect("connected above");
        let out = f(conn);
        if out.is_err() {
            *slot = None;
        }
        out.map_err(|e| e.to_string())
    })
}

/// Polls `cond` every 5 ms until it holds; panics with `what` after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The group's pending count, all consumers (XPENDING summary).
pub fn group_pending(conn: &mut Connection, stream: &str, group: &str) -> usize {
    let reply: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .query(conn)
        .unwrap();
    reply.count()
}

/// Pending entries per consumer (XPENDING summary).
pub fn pending_by_consumer(
    conn: &mut Connection,
    stream: &str,
    group: &str,
) -> HashMap<String, usize> {
    let reply: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .query(conn)
        .unwrap();
    match reply {
        redis::streams::StreamPendingReply::Data(d) => d
            .consumers
            .into_iter()
            .map(|c| (c.name, c.pending))
            .collect(),
        _ => HashMap::new(),
    }
}

/// The ids pending for one consumer (XPENDING with a consumer filter).
pub fn pending_ids(
    conn: &mut Connection,
    stream: &str,
    group: &str,
    consumer: &str,
) -> Vec<String> {
    let reply: redis::streams::StreamPendingCountReply = redis::cmd("XPENDING")
        .arg(stream)
        .arg(group)
        .arg("-")
        .arg("+")
        .arg(100_000)
        .arg(consumer)
        .query(conn)
        .unwrap();
    reply.ids.into_iter().map(|p| p.id).collect()
}

/// The group's lag and entries-read (XINFO GROUPS).
pub fn lag(conn: &mut Connection, stream: &str, group: &str) -> Option<usize> {
    let groups: redis::streams::StreamInfoGroupsReply = redis::cmd("XINFO")
        .arg("GROUPS")
        .arg(stream)
        .query(conn)
        .unwrap();
    groups
        .groups
        .into_iter()
        .find(|g| g.name == group)
        .and_then(|g| g.lag)
}

/// A hash's values as numbers.
pub fn hash_counts(conn: &mut Connection, key: &str) -> HashMap<String, u64> {
    redis::cmd("HGETALL").arg(key).query(conn).unwrap()
}

/// The dead-letter stream's entries as field maps.
pub fn dead_letters(conn: &mut Connection, stream: &str) -> Vec<HashMap<String, String>> {
    let range: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg(format!("{stream}:dead"))
        .arg("-")
        .arg("+")
        .query(conn)
        .unwrap();
    range
        .ids
        .into_iter()
        .map(|e| {
            e.map
                .keys()
                .map(|k| (k.clone(), e.get::<String>(k).unwrap_or_default()))
                .collect()
        })
        .collect()
}
