//! Carrying out one record inside the writer's transaction.

use chat_core::{BanTarget, Record, RoomRef, UnixMillis};
use rusqlite::{Transaction, params};

/// The `kind` and `target` columns of a ban.
pub(crate) fn ban_columns(target: &BanTarget) -> (&'static str, String) {
    match target {
        BanTarget::Account(key) => ("account", key.clone()),
        BanTarget::Addresses(range) => ("addresses", range.to_string()),
    }
}

/// The `room` column of an operator grant: the room's key, or empty for the whole server
/// (room keys start with `#`, so no room has the empty key).
pub(crate) fn operator_room(room: &Option<String>) -> &str {
    room.as_deref().unwrap_or("")
}

fn ensure_room(tx: &Transaction<'_>, room: &RoomRef, next_seq: u64) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO rooms (key, name, next_seq) VALUES (?1, ?2, ?3)
         ON CONFLICT (key) DO UPDATE SET name = excluded.name, next_seq = max(next_seq, excluded.next_seq)",
    )?
    .execute(params![room.key, room.name, next_seq])?;
    Ok(())
}

fn millis(at: Option<UnixMillis>) -> Option<u64> {
    at.map(|at| at.0)
}

/// Writes `record`. A line's room is returned, for the count retention after the batch.
pub(crate) fn apply<'r>(tx: &Transaction<'_>, record: &'r Record) -> rusqlite::Result<Option<&'r str>> {
    match record {
        Record::Line { room, line } => {
            ensure_room(tx, room, line.seq.saturating_add(1))?;
            tx.prepare_cached("INSERT OR REPLACE INTO lines (room, seq, at, frame) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![room.key, line.seq, line.at.0, &line.frame[..]])?;
            return Ok(Some(&room.key));
        }
        Record::LineDeleted { room, seq } => {
            tx.prepare_cached("DELETE FROM lines WHERE room = ?1 AND seq = ?2")?
                .execute(params![room, seq])?;
        }
        Record::HistoryCleared { room } => {
            tx.prepare_cached("DELETE FROM lines WHERE room = ?1")?.execute([room])?;
        }
        Record::Topic { room, topic } => {
            ensure_room(tx, room, 1)?;
            tx.prepare_cached(
                "UPDATE rooms SET topic = ?2, topic_set_by = ?3, topic_at = ?4 WHERE key = ?1",
            )?
            .execute(params![room.key, topic.text, topic.set_by, topic.at.0])?;
        }
        Record::TopicCleared { room } => {
            tx.prepare_cached(
                "UPDATE rooms SET topic = NULL, topic_set_by = NULL, topic_at = NULL WHERE key = ?1",
            )?
            .execute([room])?;
        }
        Record::Account(account) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO accounts (key, name, password_hash, created) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                account.key,
                account.name,
                account.password_hash,
                account.created.0
            ])?;
        }
        Record::AccountDeleted { account } => {
            tx.prepare_cached("DELETE FROM accounts WHERE key = ?1")?.execute([account])?;
            tx.prepare_cached("DELETE FROM operators WHERE account = ?1")?.execute([account])?;
        }
        Record::Operator(op) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO operators (account, room, set_by, at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![op.account, operator_room(&op.room), op.set_by, op.at.0])?;
        }
        Record::OperatorRemoved { account, room } => {
            tx.prepare_cached("DELETE FROM operators WHERE account = ?1 AND room = ?2")?
                .execute(params![account, operator_room(room)])?;
        }
        Record::Ban(ban) => {
            let (kind, target) = ban_columns(&ban.target);
            tx.prepare_cached(
                "INSERT OR REPLACE INTO bans (kind, target, reason, set_by, at, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                kind,
                target,
                ban.reason,
                ban.set_by,
                ban.at.0,
                millis(ban.expires)
            ])?;
        }
        Record::BanLifted { target } => {
            let (kind, target) = ban_columns(target);
            tx.prepare_cached("DELETE FROM bans WHERE kind = ?1 AND target = ?2")?
                .execute([kind, &target])?;
        }
        Record::Mute(mute) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO mutes (account, set_by, at, expires) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![mute.account, mute.set_by, mute.at.0, millis(mute.expires)])?;
        }
        Record::MuteLifted { account } => {
            tx.prepare_cached("DELETE FROM mutes WHERE account = ?1")?.execute([account])?;
        }
        Record::Motd(motd) => {
            tx.prepare_cached("INSERT OR REPLACE INTO motd (id, text, set_by, at) VALUES (1, ?1, ?2, ?3)")?
                .execute(params![motd.text, motd.set_by, motd.at.0])?;
        }
        Record::MotdCleared => {
            tx.prepare_cached("DELETE FROM motd")?.execute([])?;
        }
    }
    Ok(None)
}
