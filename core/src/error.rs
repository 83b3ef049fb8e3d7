//! The errors of the core's API.

use crate::ClientId;

/// A [`Config`](crate::Config) whose limits do not make sense.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    /// `max_line` is too small to hold a command.
    #[error("the maximum line length must be at least 16 bytes, not {0}")]
    MaxLineTooSmall(usize),
    /// `flood_rate` is negative or not a number.
    #[error("the flood rate must be 0 (off) or a positive number of lines per second, not {0}")]
    FloodRate(f64),
    /// Flood control is on but lets no line through.
    #[error("the flood burst must be at least 1 when flood control is on")]
    FloodBurstZero,
    /// `max_queue` cannot hold a few of the longest lines.
    #[error("the per-client queue cap of {max_queue} bytes is below {min} (4 maximum-length lines)")]
    MaxQueueTooSmall {
        /// The configured cap.
        max_queue: usize,
        /// The smallest accepted cap.
        min: usize,
    },
    /// `max_memory` cannot hold one client's full queue.
    #[error(
        "the memory budget for queued output ({max_memory} bytes) must be at least --max-queue ({max_queue} bytes)"
    )]
    MaxMemoryTooSmall {
        /// The configured budget.
        max_memory: usize,
        /// The configured per-client hard limit.
        max_queue: usize,
    },
    /// `max_nick` is zero.
    #[error("the maximum nickname length must be at least 1")]
    MaxNickZero,
    /// `max_connects_per_ip` is on but its window is zero.
    #[error("the window of the per-address connection rate must be longer than zero")]
    ConnectWindowZero,
    /// `line_timeout` is zero: every unfinished line would be dropped at once.
    #[error("the time allowed to finish a line must be longer than zero")]
    LineTimeoutZero,
    /// A cluster node with no name.
    #[error("a node of a cluster needs a name (--node-name)")]
    NodeNameEmpty,
    /// A cluster node that would never say it is alive.
    #[error("a node's heartbeat interval must be longer than zero")]
    HeartbeatZero,
    /// A server operator's name is not a name anyone could register.
    #[error("the operator name {0:?} is not a valid name (a word of letters, digits, - or _)")]
    Operator(String),
    /// `handshake_timeout` is zero: no TLS or web connection could ever become a client.
    #[error(
        "the time allowed to become a client (a TLS handshake, a WebSocket upgrade) must be longer than zero"
    )]
    HandshakeTimeoutZero,
}

/// An input that breaks the API's contract: a bug in the runtime, not bad client behaviour
/// (which the core handles itself).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    /// [`Input::Connected`](crate::Input::Connected) named an id that is still in use.
    #[error("client id {0} is already connected")]
    DuplicateId(ClientId),
}
