//! Why the store could not be opened: each error says what to do about it.

use std::path::PathBuf;

/// A database that cannot be used. Raised by [`Store::open`](crate::Store::open) only: once
/// open, write failures are logged and retried, never returned to the event loop.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The platform has no data directory for this user (no home directory).
    #[error(
        "no data directory is known for this user (is HOME set?): pass --data-dir DIR, or --data-dir none to keep nothing"
    )]
    NoDataDir,
    /// The data directory or the database file cannot be created or written.
    #[error(
        "cannot create or write the database in {dir}: {source}; fix its permissions, free some space, or pass another --data-dir"
    )]
    Unwritable {
        /// The data directory.
        dir: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// Another process (most likely another `chat serve`) holds the database.
    #[error(
        "the database {path} is in use by another process (is another chat serve running with this --data-dir?): stop it, or pass another --data-dir"
    )]
    Locked {
        /// The database file.
        path: PathBuf,
    },
    /// The file is not a database, or is damaged.
    #[error(
        "{path} is not a chat database or is damaged ({source}): move it aside to start afresh (or restore a backup), or pass another --data-dir"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer `chat` with a schema this one does not know.
    #[error(
        "{path} has schema version {found}, newer than this chat knows ({known}): run a newer chat, or pass another --data-dir"
    )]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// The schema version found in the file.
        found: u32,
        /// The newest schema version this build knows.
        known: u32,
    },
    /// Any other SQLite failure while opening.
    #[error("cannot open the database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The writer thread could not be started.
    #[error("cannot start the database writer thread: {0}")]
    Thread(#[source] std::io::Error),
}

impl StoreError {
    /// Sorts a SQLite error met while opening `path` into the variant telling what to do.
    pub(crate) fn from_sqlite(path: &std::path::Path, source: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let path = path.to_owned();
        if is_damaged(&source) {
            return Self::Corrupt { path, source };
        }
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => Self::Locked { path },
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Self::Corrupt { path, source },
            Some(
                ErrorCode::ReadOnly
                | ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure,
            ) => {
                let dir = path.parent().map(ToOwned::to_owned).unwrap_or_default();
                Self::Unwritable { dir, source: std::io::Error::other(source) }
            }
            _ => Self::Sqlite { path, source },
        }
    }
}

/// A column holding what was never written there: the file was changed behind the store's back.
fn is_damaged(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::IntegralValueOutOfRange(..)
    )
}
