//! Forgetting what is no longer kept: lines past the count or the age, expired bans and mutes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_core::UnixMillis;
use rusqlite::{Connection, params};

/// The wall clock now.
pub(crate) fn now() -> UnixMillis {
    UnixMillis::from_duration(SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default())
}

/// Deletes the lines of `room` past its newest `keep`.
pub(crate) fn keep_last(conn: &Connection, room: &str, keep: usize) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "DELETE FROM lines WHERE room = ?1 AND seq <= (
             SELECT seq FROM lines WHERE room = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
    )?
    .execute(params![room, keep as u64])
}

/// Deletes the lines of every room past its newest `keep`.
pub(crate) fn keep_last_everywhere(conn: &Connection, keep: usize) -> rusqlite::Result<usize> {
    let rooms: Vec<String> =
        conn.prepare("SELECT key FROM rooms")?.query_map([], |row| row.get(0))?.collect::<Result<_, _>>()?;
    rooms.iter().map(|room| keep_last(conn, room, keep)).sum()
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
