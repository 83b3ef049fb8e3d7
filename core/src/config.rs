//! Every limit of the chat room, in one place.

use std::time::Duration;

use crate::protocol::Nick;
use crate::{AttemptLimits, ClusterConfig, ConfigError};

/// The limits and policies of a chat room. [`Config::default`] suits people chatting.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Most clients in the room at once; one more gets a notice and is closed. Default 10,000.
    pub max_clients: usize,
    /// Longest accepted line in bytes, not counting the line ending. A longer line is dropped
    /// and its sender told so; the connection stays. Default 4,096.
    pub max_line: usize,
    /// Lines per second a client may send on average (the token bucket's refill rate).
    /// `0.0` turns flood control off. Default 3.
    pub flood_rate: f64,
    /// Lines a client may send at once before the rate applies (the bucket's size). Big enough
    /// that pasting a block of 20 lines goes through. Default 30.
    pub flood_burst: u32,
    /// Lines refused in a row (while over the rate) after which the client is disconnected for
    /// flooding. Default 30.
    pub flood_kick: u32,
    /// The hard limit of a slow client's queue, in bytes of memory (each queued frame counted
    /// as its length plus [`Outbox::FRAME_OVERHEAD`](crate::kit::Outbox::FRAME_OVERHEAD)). A client
    /// whose socket has taken nothing for [`blocked_grace`](Self::blocked_grace) is
    /// disconnected as too slow as soon as its queue is over this. A client whose socket keeps
    /// taking bytes is never dropped, however much is queued: the server's own backlog is
    /// bounded by [`max_memory`](Self::max_memory) instead. Default 1 MiB.
    pub max_queue: usize,
    /// The soft limit of a slow client's queue, in bytes of memory as for
    /// [`max_queue`](Self::max_queue): a client whose socket has taken nothing for
    /// [`write_deadline`](Self::write_deadline) is disconnected as too slow once its queue is
    /// over this. A soft limit over `max_queue` acts as `max_queue`. Default 64 KiB.
    pub soft_queue: usize,
    /// How long a socket may take nothing while its queue is over [`soft_queue`](Self::soft_queue)
    /// (the write deadline of NATS, the soft-limit seconds of Redis). Default 10 s.
    pub write_deadline: Duration,
    /// How long a socket must have taken nothing before its client counts as stuck rather than
    /// momentarily full: only stuck clients are held to [`max_queue`](Self::max_queue) or dropped
    /// to bring the server under [`max_memory`](Self::max_memory). A client that reads, however
    /// slowly its socket empties, is never stuck this long. Default 1 s.
    pub blocked_grace: Duration,
    /// The budget for output queued in the whole server, in bytes of memory (counted as for
    /// [`max_queue`](Self::max_queue)). Over it, the core disconnects the stuck clients holding
    /// the most, and if that is not enough it stops reading from every connection
    /// ([`Output::PauseReading`](crate::Output::PauseReading)) until the queued output is back
    /// under three quarters of the budget: TCP then makes the senders wait, and nobody who
    /// reads is dropped. The transports' own buffers (TLS records, a WebSocket message being
    /// read, an HTTP request head: see [`Input::Buffered`](crate::Input::Buffered)) count
    /// toward it too. Default 256 MiB.
    pub max_memory: usize,
    /// Longest nickname, in characters. Default 24.
    pub max_nick: usize,
    /// Room size above which join and offline notices are coalesced into one summary line per
    /// [`presence_interval`](Self::presence_interval). Default 100.
    pub presence_batch_above: usize,
    /// How often coalesced join and offline notices go out in a big room. Default 2 s.
    pub presence_interval: Duration,
    /// Lines each room remembers and replays to whoever comes in (`/history` shows them all);
    /// `0` keeps none. Default 100.
    pub history: usize,
    /// How long a room remembers a line: older lines are no longer replayed (`--history-days`).
    /// `None` keeps lines whatever their age. Default `None`.
    pub history_max_age: Option<Duration>,
    /// Whether a database keeps what must survive a restart (`chat serve --data-dir`). The core
    /// then asks for every line said in a room and every topic change to be persisted
    /// ([`Request::Persist`](crate::Request::Persist)), and a room left empty keeps its
    /// history, numbering and topic, as the database does, instead of being forgotten.
    /// Default `false`: everything lives in memory.
    pub persist: bool,
    /// How long a new connection's arrival is held back before the others are told, unless it
    /// sends a line first: a client that opens with `/nick bob` then arrives as `bob`, never as
    /// its guest name. Default 300 ms.
    pub announce_after: Duration,
    /// How long a closing client (after `/quit`, a refusal or shutdown) may take to receive
    /// what is queued for it before its connection is closed anyway, and then how long a closed
    /// connection lingers (read and discarded, so the goodbye is not destroyed by a reset)
    /// before it is released. On shutdown, both together take at most this long. Default 2 s.
    pub close_linger: Duration,
    /// Most connections in the room at once from one address (an IPv4 address, or an IPv6
    /// /64 network); the next one gets a notice and is closed. `0` turns the limit off.
    /// Default 16, as ergo's. Loopback is exempt unless [`limit_loopback`](Self::limit_loopback).
    pub max_per_ip: usize,
    /// Most new connections from one address per [`connect_window`](Self::connect_window),
    /// refused or not (a token bucket: that many at once, then one per window / N). `0` turns
    /// the limit off. Default 32 per 10 minutes, as ergo's.
    pub max_connects_per_ip: u32,
    /// The window of [`max_connects_per_ip`](Self::max_connects_per_ip). Default 10 minutes.
    pub connect_window: Duration,
    /// Applies the per-address limits to loopback addresses too (127.0.0.0/8, ::1). Off by
    /// default, so that a local proxy, `chat-bench` and tests with many clients keep working.
    pub limit_loopback: bool,
    /// How long bytes without a newline may wait for it. Then the unfinished line is dropped
    /// with a notice, and if the next newline does not come within the same time again, the
    /// connection is closed: a client that trickles bytes and never ends a line (slowloris)
    /// cannot hold a connection. Default 30 s.
    pub line_timeout: Duration,
    /// Share rooms with other nodes through the bus (`chat serve --redis`): this node's name
    /// and heartbeat. `None` (the default): a server on its own, which never asks the bus for
    /// anything.
    pub cluster: Option<ClusterConfig>,
    /// Account names whose owners are server operators once identified (`chat serve --op
    /// NAME`): a name here gives nothing to whoever merely uses it, only to the client that
    /// identified as its registered account. Default none.
    pub operators: Vec<String>,
    /// How many failed password attempts an address, and an account, may make (`/identify`,
    /// `/nick NAME PASSWORD`, `/password`, `/unregister`). Default [`AttemptLimits::default`].
    pub attempts: AttemptLimits,
    /// How long a connection that is not a chat client yet ([`Input::Accepted`]: a TLS
    /// handshake, an HTTP connection that has not upgraded to the chat's WebSocket) may take to
    /// become one. Then it is closed, so a handshake that never finishes or a slowloris on the
    /// web port cannot hold a connection. Default 10 s.
    ///
    /// [`Input::Accepted`]: crate::Input::Accepted
    pub handshake_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_clients: 10_000,
            max_line: 4096,
            flood_rate: 3.0,
            flood_burst: 30,
            flood_kick: 30,
            max_queue: 1 << 20,
            soft_queue: 64 << 10,
            write_deadline: Duration::from_secs(10),
            blocked_grace: Duration::from_secs(1),
            max_memory: 256 << 20,
            max_nick: 24,
            presence_batch_above: 100,
            presence_interval: Duration::from_secs(2),
            history: 100,
            history_max_age: None,
            persist: false,
            announce_after: Duration::from_millis(300),
            close_linger: Duration::from_secs(2),
            max_per_ip: 16,
            max_connects_per_ip: 32,
            connect_window: Duration::from_secs(600),
            limit_loopback: false,
            line_timeout: Duration::from_secs(30),
            cluster: None,
            operators: Vec::new(),
            attempts: AttemptLimits::default(),
            handshake_timeout: Duration::from_secs(10),
        }
    }
}

impl Config {
    /// Checks that the limits make sense together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.max_line < 16 {
            return Err(ConfigError::MaxLineTooSmall(self.max_line));
        }
        if !(self.flood_rate.is_finite() && self.flood_rate >= 0.0) {
            return Err(ConfigError::FloodRate(self.flood_rate));
        }
        if self.flood_rate > 0.0 && self.flood_burst == 0 {
            return Err(ConfigError::FloodBurstZero);
        }
        if self.max_queue < self.max_line * 4 {
            return Err(ConfigError::MaxQueueTooSmall { max_queue: self.max_queue, min: self.max_line * 4 });
        }
        if self.max_memory < self.max_queue {
            return Err(ConfigError::MaxMemoryTooSmall {
                max_memory: self.max_memory,
                max_queue: self.max_queue,
            });
        }
        if self.max_nick == 0 {
            return Err(ConfigError::MaxNickZero);
        }
        if self.max_connects_per_ip > 0 && self.connect_window.is_zero() {
            return Err(ConfigError::ConnectWindowZero);
        }
        if self.line_timeout.is_zero() {
            return Err(ConfigError::LineTimeoutZero);
        }
        if let Some(cluster) = &self.cluster {
            if cluster.node.is_empty() {
                return Err(ConfigError::NodeNameEmpty);
            }
            if cluster.heartbeat.is_zero() {
                return Err(ConfigError::HeartbeatZero);
            }
        }
        if let Some(name) = self.operators.iter().find(|name| Nick::parse(name, self.max_nick).is_err()) {
            return Err(ConfigError::Operator(name.clone()));
        }
        if self.handshake_timeout.is_zero() {
            return Err(ConfigError::HandshakeTimeoutZero);
        }
        Ok(())
    }
}
