//! Writing the lines about the cluster: the link between nodes, lines that may be missing,
//! names held on another node. Clients read them as plain notices and errors.

use std::fmt::Display;

use bytes::Bytes;

use super::format::{error, line};

/// The reason shown when a node stops answering and its users are announced offline.
pub(crate) const NODE_LOST: &str = "their server stopped responding";

/// `*** Some lines of #ROOM may be missing: WHY.`: the room's stream lost lines for this node.
pub(crate) fn gap(room: &str, why: impl Display) -> Bytes {
    line(format_args!("*** Some lines of {room} may be missing: {why}."))
}

/// `*** The link to the other servers is down: ...`: the bus went away.
pub(crate) fn link_down() -> Bytes {
    line(format_args!(
        "*** The link to the other servers is down: what is said here is held and delivered when it is back."
    ))
}

/// `*** The link to the other servers is back.`.
pub(crate) fn link_up() -> Bytes {
    line(format_args!("*** The link to the other servers is back."))
}

/// `! The name NAME is taken on another server; pick another.`.
pub(crate) fn name_taken_elsewhere(name: &str) -> Bytes {
    error(format_args!("The name {name} is taken on another server; pick another."))
}

/// `! Your name NAME was taken by another server ...`: its lease was lost (Redis lost it, or
/// the link was down longer than its time to live) and another node holds it now.
pub(crate) fn name_taken_meanwhile(name: &str) -> Bytes {
    error(format_args!(
        "Your name {name} is no longer reserved for you: the shared reservation was lost and another server has taken it since; choose another with /nick."
    ))
}

/// `*** Your name NAME is reserved for you again.`: `/nick` with one's own name got its lease.
pub(crate) fn name_reserved_again(name: &str) -> Bytes {
    line(format_args!("*** Your name {name} is reserved for you again."))
}

/// `*** TEXT`: a notice from the room's stream.
pub(crate) fn notice(text: &str) -> Bytes {
    line(format_args!("*** {text}"))
}

/// `! No one on this server is in #ROOM: ...`: `/who #ROOM` for a room this node does not read.
pub(crate) fn not_read_here(room: &str) -> Bytes {
    error(format_args!(
        "No one on this server is in {room}, so it does not know who is there; /join it to see."
    ))
}
