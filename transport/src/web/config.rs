//! [`WebConfig`]: what an HTTP listener serves and whom it trusts.

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use chat_core::Stats;

/// Produces the `/metrics` page (the Prometheus text format) from the server's latest
/// [`Stats`] when it is asked for. It runs on the thread that drives the transport, so it
/// must be quick.
pub type MetricsHook = Arc<dyn Fn(&Stats) -> String + Send + Sync>;

/// Where the runtime leaves the server's [`Stats`] for a listener that serves `/metrics`: it
/// publishes them ([`Transport::stats_board`](crate::Transport::stats_board)) just before it
/// feeds such a connection what it read, so the page shows the numbers of that moment.
/// Cheap to clone: clones share one board.
#[derive(Clone, Debug, Default)]
pub struct StatsBoard(Arc<Mutex<Stats>>);

impl StatsBoard {
    /// Leaves `stats` on the board, replacing what was there.
    pub fn publish(&self, stats: Stats) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = stats;
    }

    /// The stats last published (all zero before the first).
    pub fn read(&self) -> Stats {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Which pages may open a WebSocket to the chat (their `Origin` header).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum OriginPolicy {
    /// Only pages served by the host the request was sent to (its `Host` header): the web
    /// client served at `/`, and nothing else. The default.
    #[default]
    SameHost,
    /// Only pages from these origins, written as `https://chat.example.org` or
    /// `http://localhost:8080` (scheme, host and port if not the default; case does not matter).
    List(Vec<String>),
}

/// What one HTTP listener serves, shared by all of its connections.
///
/// [`WebConfig::chat`] serves the web client at `/`, the chat's WebSocket at `/ws` and
/// `/healthz`; [`WebConfig::admin`] serves `/metrics` and `/healthz` only.
#[derive(Clone)]
pub struct WebConfig {
    /// Serve the web client at `/` and the chat at `/ws`.
    pub chat: bool,
    /// Serve `/metrics` with this text, made from what the runtime left on `stats`.
    pub metrics: Option<MetricsHook>,
    /// The server's stats, for `metrics`.
    pub stats: StatsBoard,
    /// Which pages may open a WebSocket.
    pub origins: OriginPolicy,
    /// Proxies whose `X-Forwarded-For` header names the client's real address. From any other
    /// peer the header is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Longest text message a WebSocket client may send: the core's longest line
    /// ([`chat_core::Config::max_line`]). Longer ones close the connection with code 1009.
    pub max_message: usize,
}

impl WebConfig {
    /// The chat's web listener: the page, the WebSocket and `/healthz`, with the same-host
    /// Origin policy and no trusted proxies.
    pub fn chat(max_line: usize) -> Self {
        Self {
            chat: true,
            metrics: None,
            stats: StatsBoard::default(),
            origins: OriginPolicy::SameHost,
            trusted_proxies: Vec::new(),
            max_message: max_line,
        }
    }

    /// The operator's listener: `/metrics` from `metrics`, and `/healthz`.
    pub fn admin(metrics: MetricsHook) -> Self {
        Self { chat: false, metrics: Some(metrics), ..Self::chat(0) }
    }

    /// Where the runtime leaves the server's stats, if this listener serves `/metrics`.
    pub fn stats_board(&self) -> Option<&StatsBoard> {
        self.metrics.as_ref().map(|_| &self.stats)
    }
}

impl fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebConfig")
            .field("chat", &self.chat)
            .field("metrics", &self.metrics.is_some())
            .field("origins", &self.origins)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_message", &self.max_message)
            .finish()
    }
}
