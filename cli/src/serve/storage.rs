//! The database `chat serve` keeps (`--data-dir`), opened with the other service threads.

use std::path::PathBuf;

use anyhow::{Context as _, anyhow};
use chat_auth::AuthOptions;
use chat_core::{Config, Stored};
use chat_services::{BusConfig, ServiceError, ServiceOptions, ServiceThreads};
use chat_store::{DB_FILE, StoreOptions};

use super::args::Storage;

/// The service threads started, what the database held, and the database file (`None` with
/// `--data-dir none`). Sets `config.persist` and `config.history_max_age` to match.
pub struct Started {
    /// The threads, for the runtime.
    pub services: ServiceThreads,
    /// What the database held, for the core.
    pub stored: Stored,
    /// The database file, if there is one.
    pub database: Option<PathBuf>,
}

/// Opens the database `storage` names (if any) and starts the service threads (the password
/// workers with `auth`, the Redis bridge when `bus` is given: `--redis`). A database that
/// cannot be used (locked by another process, unwritable, damaged) is an error saying what to
/// do; so is a bad `--node-name`.
pub fn start(
    storage: &Storage,
    auth: AuthOptions,
    config: &mut Config,
    bus: Option<BusConfig>,
) -> anyhow::Result<Started> {
    let dir = storage.data_dir().resolve().map_err(|error| anyhow!("{error}"))?;
    config.persist = dir.is_some();
    config.history_max_age = storage.max_age();
    let database = dir.as_ref().map(|dir| dir.join(DB_FILE));
    let store = dir.map(|dir| {
        let options = StoreOptions {
            history: config.history,
            history_days: storage.history_days,
            ..StoreOptions::default()
        };
        (dir, options)
    });
    let (services, stored) = match ServiceThreads::start(ServiceOptions { store, auth, bus }) {
        Ok(started) => started,
        // The store's errors say what went wrong and what to do, their cause included.
        Err(ServiceError::Store(error)) => return Err(anyhow!("{error}")),
        Err(ServiceError::Bus(error)) => return Err(anyhow!("{error}: check --redis and --node-name")),
        Err(error) => return Err(error).context("cannot start the server's worker threads"),
    };
    Ok(Started { services, stored, database })
}
