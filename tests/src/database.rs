//! [`TestDatabase`]: a data directory of its own for a test's servers, removed when dropped.
//!
//! Servers in tests keep nothing unless a test asks for a database (the suite stays fast);
//! one that does starts with [`TestServer::start_with_database`](crate::TestServer::start_with_database),
//! and can read what was kept once the server has stopped ([`TestDatabase::stored`]).

use std::path::Path;

use chat_auth::{AuthOptions, HashParams};
use chat_core::{Config, Stored, StoredRoom};
use chat_services::{ServiceOptions, ServiceThreads};
use chat_store::{Store, StoreOptions};

/// A temporary `--data-dir`.
pub struct TestDatabase {
    dir: tempfile::TempDir,
}

impl TestDatabase {
    /// A fresh, empty data directory.
    pub fn new() -> Self {
        Self {
            dir: tempfile::Builder::new().prefix("chat-tests-db-").tempdir().expect("a temporary directory"),
        }
    }

    /// The directory (`--data-dir`).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The store's options for a server running `config`.
    fn options(config: &Config) -> StoreOptions {
        StoreOptions { history: config.history, ..StoreOptions::default() }
    }

    /// Opens the database and starts the service threads, as `chat serve` does (but with
    /// argon2's costs at their least, for speed).
    pub(crate) fn open(&self, config: &Config) -> (ServiceThreads, Stored) {
        let store = Some((self.path().to_owned(), Self::options(config)));
        let params = HashParams { memory_kib: 64, iterations: 1, parallelism: 1 };
        let auth = AuthOptions { params, ..AuthOptions::default() };
        ServiceThreads::start(ServiceOptions { store, auth, ..ServiceOptions::default() })
            .unwrap_or_else(|e| panic!("cannot open the test database: {e}"))
    }

    /// What the database holds, read as a server keeping `history` lines would read it at
    /// start-up. The server using it must have stopped (it holds the database's lock).
    pub fn stored(&self, history: usize) -> Stored {
        let (store, stored) = Store::open(self.path(), StoreOptions { history, ..StoreOptions::default() })
            .unwrap_or_else(|e| panic!("cannot read the test database: {e}"));
        store.close();
        stored
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

/// The room called `key` (its uniqueness key, such as `#lobby`) in `stored`.
pub fn stored_room<'a>(stored: &'a Stored, key: &str) -> &'a StoredRoom {
    stored
        .rooms
        .iter()
        .find(|room| room.room.key == key)
        .unwrap_or_else(|| panic!("no room {key} in the database: {:?}", stored.rooms))
}
