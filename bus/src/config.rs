//! How a bridge is set up: where Redis is, who this node is, and its bounds and timings.

use std::time::Duration;

use crate::RedisUrl;

/// A bridge's settings. [`BusConfig::new`] gives the defaults for a node.
#[derive(Clone, Debug)]
pub struct BusConfig {
    /// Where Redis is.
    pub url: RedisUrl,
    /// This node's name, unique in the deployment (`--node-name`): it names the node's heartbeat
    /// key, its presence set and the leases it holds.
    pub node: String,
    /// Each room's stream is trimmed to about this many entries (`XADD MAXLEN ~`).
    pub max_stream_len: u64,
    /// A node's heartbeat and name leases live this long unless renewed; the engine sends
    /// [`BusCommand::Heartbeat`](chat_core::BusCommand::Heartbeat) every third of it.
    pub heartbeat_ttl: Duration,
    /// At most this many appends wait to be sent (while Redis is unreachable, say).
    pub queue_entries: usize,
    /// At most this many bytes of appends wait to be sent.
    pub queue_bytes: usize,
    /// At most this many other commands wait to be sent.
    pub queue_commands: usize,
    /// First delay before reconnecting; it doubles up to [`BusConfig::backoff_cap`].
    pub backoff_first: Duration,
    /// Longest delay between reconnection attempts.
    pub backoff_cap: Duration,
    /// How long one `XREAD BLOCK` waits; the reader also wakes at once when rooms change.
    pub block: Duration,
    /// A command (or a connection attempt) that takes longer than this counts as Redis being
    /// unreachable.
    pub io_timeout: Duration,
}

impl BusConfig {
    /// The defaults for node `node` of the deployment at `url`.
    pub fn new(url: RedisUrl, node: impl Into<String>) -> Self {
        Self {
            url,
            node: node.into(),
            max_stream_len: 10_000,
            heartbeat_ttl: Duration::from_secs(6),
            queue_entries: 100_000,
            queue_bytes: 64 << 20,
            queue_commands: 100_000,
            backoff_first: Duration::from_millis(50),
            backoff_cap: Duration::from_secs(2),
            block: Duration::from_secs(1),
            io_timeout: Duration::from_secs(2),
        }
    }
}

/// Whether `node` can name keys: 1 to 64 of letters, digits, `.`, `-`, `_`, `:`.
pub(crate) fn valid_node_name(node: &str) -> bool {
    (1..=64).contains(&node.len())
        && node.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names_are_short_and_plain() {
        assert!(valid_node_name("host-1.example:4000"));
        assert!(!valid_node_name(""));
        assert!(!valid_node_name("a b"));
        assert!(!valid_node_name("a{b}"));
        assert!(!valid_node_name(&"n".repeat(65)));
    }
}
