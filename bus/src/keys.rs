//! The Redis keys of a deployment, all under `chat:`.

/// The deployment's epoch: a value set once (`SET NX`) when Redis first serves `chat`; if it
/// changes, Redis lost its data.
pub(crate) const EPOCH: &str = "chat:epoch";
/// The set of node names that ever registered (and whose death was not yet cleaned up).
pub(crate) const NODES: &str = "chat:nodes";

/// Room `room`'s stream.
pub(crate) fn room_stream(room: &str) -> String {
    format!("chat:room:{room}")
}

/// The room key back from its stream's key.
pub(crate) fn room_of_stream(stream: &str) -> Option<&str> {
    stream.strip_prefix("chat:room:")
}

/// How many entries room `room`'s stream is trimmed to: `max` for a room; the server-wide
/// stream ([`SERVER_STREAM`](chat_core::SERVER_STREAM)) is not trimmed, so a node started later
/// reads every ban, mute and message of the day from its start.
pub(crate) fn max_len(room: &str, max: u64) -> u64 {
    if room == chat_core::SERVER_STREAM { i64::MAX.unsigned_abs() } else { max }
}

/// Per room: each node's last appended publishing mark (`incarnation:seq`), so a retried append
/// is written once.
pub(crate) fn room_marks(room: &str) -> String {
    format!("chat:marks:{room}")
}

/// Node `node`'s heartbeat: present while it is alive.
pub(crate) fn node_alive(node: &str) -> String {
    format!("chat:node:{node}")
}

/// The users on node `node`.
pub(crate) fn node_users(node: &str) -> String {
    format!("chat:users:{node}")
}

/// The lease on name `name`: its value is the holding node.
pub(crate) fn lease(name: &str) -> String {
    format!("chat:lease:{name}")
}

/// The account whose name has uniqueness key `key`, shared by every node (a hash).
pub(crate) fn account(key: &str) -> String {
    format!("chat:account:{key}")
}

/// The users of node `node`'s previous incarnation `incarnation`, kept a while after it was
/// restarted without a goodbye.
pub(crate) fn previous_users(node: &str, incarnation: &str) -> String {
    format!("chat:users:{node}@{incarnation}")
}

/// The previous incarnation of node `node`, when it was restarted before that one's heartbeat
/// expired (for a minute).
pub(crate) fn restarted(node: &str) -> String {
    format!("chat:restarted:{node}")
}

/// The rooms node `node` has users in, with how many (a hash with the heartbeat's time to live).
pub(crate) fn node_rooms(node: &str) -> String {
    format!("chat:rooms:{node}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_streams_map_back_to_rooms() {
        assert_eq!(room_stream("#lobby"), "chat:room:#lobby");
        assert_eq!(room_of_stream(&room_stream("#a:b")), Some("#a:b"));
        assert_eq!(room_of_stream("chat:node:x"), None);
        assert_eq!(max_len("#lobby", 10), 10);
        assert_eq!(max_len(chat_core::SERVER_STREAM, 10), i64::MAX.unsigned_abs(), "never trimmed");
    }
}
