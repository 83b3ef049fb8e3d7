//! `chat-store`: the chat server's embedded database (SQLite, bundled: no system library).
//!
//! The core decides what must survive a restart and says so with
//! [`Record`](chat_core::Record)s; this crate writes them, on its own thread, and loads them
//! back as a [`Stored`](chat_core::Stored) snapshot when the server starts:
//!
//! ```no_run
//! use chat_store::{DataDir, Store, StoreOptions};
//!
//! # fn main() -> Result<(), chat_store::StoreError> {
//! let data_dir: DataDir = "none".parse().unwrap(); // from --data-dir
//! if let Some(dir) = data_dir.resolve()? {
//!     let (store, stored) = Store::open(&dir, StoreOptions::default())?;
//!     // Build the core from `stored`; then, on the event loop, for every record it emits:
//!     // store.persist(record);   // never blocks
//!     // ...and at shutdown:
//!     store.close();
//! }
//! # Ok(()) }
//! ```
//!
//! **Invariant:** one writer. [`Store::open`] takes an exclusive lock on the database for as
//! long as the [`StoreHandle`] lives, so a second server on the same `--data-dir` gets
//! [`StoreError::Locked`] instead of interleaving its sequence numbers with the first's; the
//! records are written in the order [`StoreHandle::persist`] was called.
//!
//! - **Never on the event loop.** `persist` only queues (bounded; when full, lines are
//!   dropped first, counted and logged). The writer thread writes batched transactions every
//!   50 ms or 512 records, in WAL mode with `synchronous=NORMAL`: a committed batch survives
//!   the process being killed, so `kill -9` loses only the records not yet committed, at most
//!   one batch interval plus one write (measured in `tests/kill9.rs`; see `docs/STORAGE.md`).
//! - **Errors at start, retries later.** A database that cannot be opened (locked,
//!   unwritable, damaged, from a newer `chat`) is one [`StoreError`] saying what to do; a write
//!   that fails once running is logged and retried with back-off, never returned.
//! - **Retention.** Each room keeps its last [`StoreOptions::history`] lines (older ones are
//!   deleted as new ones are written) and none older than [`StoreOptions::history_days`];
//!   expired bans and mutes are deleted at start-up.
//! - **Schema** versioned in SQLite's `user_version` ([`SCHEMA_VERSION`]), migrated forward at
//!   open, one transaction per step.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod apply;
mod error;
mod handle;
mod load;
mod open;
mod options;
mod retention;
mod schema;
mod writer;

pub use error::StoreError;
pub use handle::{StoreHandle, StoreStats};
pub use open::Store;
pub use options::{DB_FILE, DataDir, StoreOptions};
pub use schema::SCHEMA_VERSION;
