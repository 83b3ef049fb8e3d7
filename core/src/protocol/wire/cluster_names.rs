//! Writing the lines about names and users across the nodes of a cluster: a name welcomed
//! without its lease, one found in use elsewhere, lines held before a welcome. Clients read
//! them as plain notices and errors.

use bytes::Bytes;

use super::format::{error, line};

/// `*** The other servers did not answer in time: your name NAME may also be given out on
/// another server.`: a connection welcomed without its name's lease.
pub(crate) fn name_unconfirmed(name: &str) -> Bytes {
    line(format_args!(
        "*** The other servers did not answer in time: your name {name} may also be given out on another server."
    ))
}

/// `! Your name NAME is also in use on another server; choose another with /nick.`: the late
/// answer to a name welcomed without its lease.
pub(crate) fn name_in_use_elsewhere(name: &str) -> Bytes {
    error(format_args!("Your name {name} is also in use on another server; choose another with /nick."))
}

/// `! N lines you sent before your welcome were dropped.`: too many lines came before it.
pub(crate) fn held_lines_dropped(count: usize) -> Bytes {
    let lines = if count == 1 { "line" } else { "lines" };
    error(format_args!("{count} {lines} you sent before your welcome were dropped."))
}

/// `! N lines you sent while your name was being checked were dropped.`: too many lines came
/// while a `/nick` or an account waited for the other nodes.
pub(crate) fn waiting_lines_dropped(count: usize) -> Bytes {
    let lines = if count == 1 { "line" } else { "lines" };
    error(format_args!("{count} {lines} you sent while your name was being checked were dropped."))
}

/// `! The name NAME is registered on another server: /identify NAME PASSWORD if it is yours.`:
/// `/register` of a name another node registered first.
pub(crate) fn registered_elsewhere(name: &str) -> Bytes {
    error(format_args!(
        "The name {name} is registered on another server: /identify {name} PASSWORD if it is yours."
    ))
}

/// `! No one here is called NAME.`: `/msg` to a name no one holds (on any node).
pub(crate) fn no_such_user(name: &str) -> Bytes {
    error(format_args!("No one here is called {}.", crate::protocol::sanitize(name)))
}

/// `*** NAME is on another server (NODE); /whois there tells more.`: `/whois` of a name another
/// node holds.
pub(crate) fn elsewhere(name: &str, node: &str) -> Bytes {
    let (name, node) = (crate::protocol::sanitize(name), crate::protocol::sanitize(node));
    line(format_args!("*** {name} is on another server ({node}); /whois there tells more."))
}

/// `! Your line to #ROOM was not sent: the link to the other servers is overloaded; try again in a moment.`
pub(crate) fn line_not_sent(room: &str) -> Bytes {
    error(format_args!(
        "Your line to {room} was not sent: the link to the other servers is overloaded; try again in a moment."
    ))
}

/// `! The other servers cannot be asked right now; try again in a moment.`: a command that
/// needed them was refused by a full link.
pub(crate) fn cluster_busy() -> Bytes {
    error(format_args!("The other servers cannot be asked right now; try again in a moment."))
}
