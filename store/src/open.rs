//! Opening the database: directory, lock, schema, retention, snapshot, writer thread.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chat_core::Stored;
use rusqlite::Connection;

use crate::handle::Counters;
use crate::options::{DB_FILE, StoreOptions, max_age};
use crate::schema::{Migrated, SCHEMA_VERSION, migrate};
use crate::writer::Writer;
use crate::{StoreError, StoreHandle, load, retention};

/// How long opening waits for another connection's lock before calling the database locked.
const OPEN_BUSY_TIMEOUT: Duration = Duration::from_millis(500);

/// The embedded database: [`Store::open`] is the way in.
#[derive(Debug)]
pub struct Store;

impl Store {
    /// Opens (creating if need be) the database in `dir`, brings its schema up to date, applies
    /// retention, loads the snapshot the core is built from, and starts the writer thread.
    ///
    /// The directory is created readable by its owner only (it holds password hashes).
    pub fn open(dir: &Path, options: StoreOptions) -> Result<(StoreHandle, Stored), StoreError> {
        create_dir(dir)?;
        let path = dir.join(DB_FILE);
        let sqlite = |source| StoreError::from_sqlite(&path, source);
        let mut conn = Connection::open(&path).map_err(sqlite)?;
        configure(&conn).map_err(sqlite)?;
        match migrate(&mut conn).map_err(sqlite)? {
            Migrated::TooNew(found) => return Err(StoreError::TooNew { path, found, known: SCHEMA_VERSION }),
            Migrated::From(found) if found < SCHEMA_VERSION => {
                tracing::info!(path = %path.display(), from = found, to = SCHEMA_VERSION, "database ready");
            }
            Migrated::From(_) => {}
        }
        sweep(&conn, &options).map_err(sqlite)?;
        let stored = load::snapshot(&conn, options.history).map_err(sqlite)?;

        let capacity = options.queue.max(2);
        let (queue, records) = crossbeam_channel::bounded(capacity);
        let counters = Arc::new(Counters::default());
        let writer = Writer::new(conn, records, options, Arc::clone(&counters));
        let thread = std::thread::Builder::new()
            .name("chat-store-writer".into())
            .spawn(move || writer.run())
            .map_err(StoreError::Thread)?;
        Ok((StoreHandle::new(queue, capacity, counters, thread), stored))
    }
}

fn create_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| StoreError::Unwritable { dir: dir.to_owned(), source })
}

/// WAL, `synchronous=NORMAL` (a commit survives the process dying; only a power cut may lose
/// the last ones), and an exclusive lock held until the connection closes: one writer.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(OPEN_BUSY_TIMEOUT)?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(%mode, "the database cannot use WAL here: writes will be slower");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // A write takes the lock now rather than at the first batch.
    conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;")?;
    // Prove the file is a database we can read before going further.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
}

/// Start-up retention: expired bans and mutes, lines too old or past the count.
fn sweep(conn: &Connection, options: &StoreOptions) -> rusqlite::Result<()> {
    let now = retention::now();
    let expired = retention::forget_expired(conn, now)?;
    let too_old = match max_age(options) {
        Some(max_age) => retention::forget_older(conn, now, max_age)?,
        None => 0,
    };
    let past_count = retention::keep_last_everywhere(conn, options.history)?;
    tracing::debug!(expired, too_old, past_count, "start-up retention");
    Ok(())
}
