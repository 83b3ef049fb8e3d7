//! Reading the snapshot the core is built from.

use bytes::Bytes;
use chat_core::{
    Account, AddressRange, Ban, BanTarget, Motd, Mute, Operator, RoomRef, Stored, StoredLine, StoredRoom,
    Topic, UnixMillis,
};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};
use rusqlite::{Connection, OptionalExtension, Row};

fn millis(row: &Row<'_>, column: usize) -> rusqlite::Result<UnixMillis> {
    Ok(UnixMillis(row.get(column)?))
}

fn maybe_millis(row: &Row<'_>, column: usize) -> rusqlite::Result<Option<UnixMillis>> {
    Ok(row.get::<_, Option<u64>>(column)?.map(UnixMillis))
}

/// A ban's target, from its `kind` and `target` columns.
struct TargetColumn(BanTarget);

impl FromSql for TargetColumn {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        let (kind, target) = text.split_once(' ').ok_or(FromSqlError::InvalidType)?;
        Ok(TargetColumn(match kind {
            "account" => BanTarget::Account(target.to_owned()),
            "addresses" => BanTarget::Addresses(
                target.parse::<AddressRange>().map_err(|e| FromSqlError::Other(e.into()))?,
            ),
            _ => return Err(FromSqlError::InvalidType),
        }))
    }
}

/// Everything stored, with each room's last `history` lines.
pub(crate) fn snapshot(conn: &Connection, history: usize) -> rusqlite::Result<Stored> {
    Ok(Stored {
        rooms: rooms(conn, history)?,
        accounts: conn
            .prepare("SELECT key, name, password_hash, created FROM accounts ORDER BY key")?
            .query_map([], |row| {
                Ok(Account {
                    key: row.get(0)?,
                    name: row.get(1)?,
                    password_hash: row.get(2)?,
                    created: millis(row, 3)?,
                })
            })?
            .collect::<Result<_, _>>()?,
        operators: conn
            .prepare("SELECT account, room, set_by, at FROM operators ORDER BY account, room")?
            .query_map([], |row| {
                let room: String = row.get(1)?;
                Ok(Operator {
                    account: row.get(0)?,
                    room: (!room.is_empty()).then_some(room),
                    set_by: row.get(2)?,
                    at: millis(row, 3)?,
                })
            })?
            .collect::<Result<_, _>>()?,
        bans: conn
            .prepare(
                "SELECT kind || ' ' || target, reason, set_by, at, expires FROM bans ORDER BY kind, target",
            )?
            .query_map([], |row| {
                Ok(Ban {
                    target: row.get::<_, TargetColumn>(0)?.0,
                    reason: row.get(1)?,
                    set_by: row.get(2)?,
                    at: millis(row, 3)?,
                    expires: maybe_millis(row, 4)?,
                })
            })?
            .collect::<Result<_, _>>()?,
        mutes: conn
            .prepare("SELECT account, set_by, at, expires FROM mutes ORDER BY account")?
            .query_map([], |row| {
                Ok(Mute {
                    account: row.get(0)?,
                    set_by: row.get(1)?,
                    at: millis(row, 2)?,
                    expires: maybe_millis(row, 3)?,
                })
            })?
            .collect::<Result<_, _>>()?,
        motd: conn
            .query_row("SELECT text, set_by, at FROM motd WHERE id = 1", [], |row| {
                Ok(Motd { text: row.get(0)?, set_by: row.get(1)?, at: millis(row, 2)? })
            })
            .optional()?,
    })
}

fn rooms(conn: &Connection, history: usize) -> rusqlite::Result<Vec<StoredRoom>> {
    let mut lines =
        conn.prepare("SELECT seq, at, frame FROM lines WHERE room = ?1 ORDER BY seq DESC LIMIT ?2")?;
    let mut rooms =
        conn.prepare("SELECT key, name, next_seq, topic, topic_set_by, topic_at FROM rooms ORDER BY key")?;
    let rooms = rooms.query_map([], |row| {
        let topic = match row.get::<_, Option<String>>(3)? {
            Some(text) => Some(Topic { text, set_by: row.get(4)?, at: millis(row, 5)? }),
            None => None,
        };
        Ok(StoredRoom {
            room: RoomRef { key: row.get(0)?, name: row.get(1)? },
            next_seq: row.get(2)?,
            topic,
            lines: Vec::new(),
        })
    })?;
    let mut rooms = rooms.collect::<Result<Vec<_>, _>>()?;
    for room in &mut rooms {
        room.lines = lines
            .query_map(rusqlite::params![room.room.key, history as u64], |row| {
                let frame: Vec<u8> = row.get(2)?;
                Ok(StoredLine { seq: row.get(0)?, at: millis(row, 1)?, frame: Bytes::from(frame) })
            })?
            .collect::<Result<_, _>>()?;
        room.lines.reverse();
        if let Some(last) = room.lines.last() {
            room.next_seq = room.next_seq.max(last.seq.saturating_add(1));
        }
    }
    Ok(rooms)
}
