//! What can go wrong before the bridge runs; once running, Redis failures are retried and
//! reported as [`BusEvent::Down`](chat_core::BusEvent::Down), never returned.

use chat_core::BusCommand;

/// A `--redis` address that is not a `redis://HOST:PORT[/DB]` URL.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("--redis {url:?}: {problem}; write redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0")]
pub struct UrlError {
    /// What was given.
    pub url: String,
    /// What is wrong with it.
    pub problem: String,
}

/// Why the bridge could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The node name cannot name Redis keys.
    #[error(
        "node name {0:?} must be 1 to 64 letters, digits, '.', '-', '_' or ':' (pass another --node-name)"
    )]
    NodeName(String),
    /// The Redis client could not be built from the address.
    #[error("cannot use Redis at {url}: {source}")]
    Client {
        /// The address.
        url: String,
        /// What the client said.
        #[source]
        source: redis::RedisError,
    },
    /// A bridge thread could not be started.
    #[error("cannot start the Redis bridge thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// A command the bridge did not take: its queue is full (Redis has been unreachable for a
/// while, or is slower than the node). The command is handed back; nothing queued before it is
/// dropped.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the Redis bridge's queue is full: the command was not taken")]
pub struct QueueFull(pub BusCommand);
