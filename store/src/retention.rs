//! Forgetting what is no longer kept: lines past the count or the age, expired bans and mutes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_core::UnixMillis;
use rusqlite::{Connection, params};

/// The wall clock now.
pub(crate) fn now() -> UnixMillis {
    UnixMillis::from_duration(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default())
}

/// Deletes the lines of `room` older than its last `keep` sequence numbers: the lines the core's
/// ring of `keep` would still hold. (By number, not by count of lines present: a deleted line
/// leaves a hole rather than bringing an older line back, and the result does not depend on how
/// records were batched.)
pub(crate) fn keep_last(conn: &Connection, room: &str, keep: usize) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "DELETE FROM lines WHERE room = ?1 AND seq + ?2 < (SELECT next_seq FROM rooms WHERE key = ?1)",
    )?
    .execute(params![room, keep as u64])
}

/// [`keep_last`] for every room.
pub(crate) fn keep_last_everywhere(conn: &Connection, keep: usize) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM lines WHERE seq + ?1 < (SELECT next_seq FROM rooms WHERE key = lines.room)",
        [keep as u64],
    )
}

/// Deletes the lines said more than `max_age` before `now`.
pub(crate) fn forget_older(conn: &Connection, now: UnixMillis, max_age: Duration) -> rusqlite::Result<usize> {
    let cutoff = now.0.saturating_sub(UnixMillis::from_duration(max_age).0);
    conn.prepare_cached("DELETE FROM lines WHERE at < ?1")?.execute([cutoff])
}

/// Deletes the bans and mutes that ended at or before `now`.
pub(crate) fn forget_expired(conn: &Connection, now: UnixMillis) -> rusqlite::Result<usize> {
    let bans = conn.execute("DELETE FROM bans WHERE expires IS NOT NULL AND expires <= ?1", [now.0])?;
    let mutes = conn.execute("DELETE FROM mutes WHERE expires IS NOT NULL AND expires <= ?1", [now.0])?;
    Ok(bans + mutes)
}
