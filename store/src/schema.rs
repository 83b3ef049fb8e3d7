//! The schema, versioned in SQLite's `user_version`, and the ladder of migrations up to it.
//!
//! Migration `n` (1-based) takes a database from version `n - 1` to `n`, in one transaction with
//! the version bump, so a crash mid-way leaves the old version intact. Never edit a migration
//! once released: add the next one.

use rusqlite::{Connection, Transaction};

/// Version 1: rooms and their numbered lines.
const V1: &str = "
CREATE TABLE rooms (
    key      TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    next_seq INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE lines (
    room  TEXT NOT NULL,
    seq   INTEGER NOT NULL,
    at    INTEGER NOT NULL,
    frame BLOB NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE INDEX lines_by_time ON lines (at);
";

/// Version 2: topics, accounts and moderation.
const V2: &str = "
ALTER TABLE rooms ADD COLUMN topic TEXT;
ALTER TABLE rooms ADD COLUMN topic_set_by TEXT;
ALTER TABLE rooms ADD COLUMN topic_at INTEGER;
CREATE TABLE accounts (
    key           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE operators (
    account TEXT NOT NULL,
    room    TEXT NOT NULL,
    set_by  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (account, room)
) WITHOUT ROWID;
CREATE TABLE bans (
    kind    TEXT NOT NULL CHECK (kind IN ('account', 'addresses')),
    target  TEXT NOT NULL,
    reason  TEXT NOT NULL,
    set_by  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    expires INTEGER,
    PRIMARY KEY (kind, target)
) WITHOUT ROWID;
CREATE TABLE mutes (
    account TEXT PRIMARY KEY,
    set_by  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    expires INTEGER
) WITHOUT ROWID;
CREATE TABLE motd (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    text   TEXT NOT NULL,
    set_by TEXT NOT NULL,
    at     INTEGER NOT NULL
);
";

/// Every migration, oldest first; the schema version is its length.
const MIGRATIONS: &[&str] = &[V1, V2];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// What the ladder found and did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Migrated {
    /// From this version up to [`SCHEMA_VERSION`] (equal if nothing was to do).
    From(u32),
    /// The file is newer than this build: nothing was touched.
    TooNew(u32),
}

/// Brings the database up to [`SCHEMA_VERSION`].
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let found: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Ok(Migrated::TooNew(found));
    }
    for (done, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction()?;
        step(&tx, migration, done as u32 + 1)?;
        tx.commit()?;
        tracing::info!(version = done + 1, "database schema migrated");
    }
    Ok(Migrated::From(found))
}

fn step(tx: &Transaction<'_>, migration: &str, version: u32) -> rusqlite::Result<()> {
    tx.execute_batch(migration)?;
    tx.pragma_update(None, "user_version", version)
}
