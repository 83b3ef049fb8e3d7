//! Writing the lines about accounts: registering, identifying, changing or giving up a
//! password. They are `*** ` notices to one client only; a client reads them as
//! [`ServerLine::Notice`](super::ServerLine::Notice). Refusals are `! ` errors, written where
//! they are decided.

use bytes::Bytes;

use super::format::{error, line};

/// `*** You registered NAME: the name is yours, and you are identified.`
pub(crate) fn registered(name: &str) -> Bytes {
    line(format_args!("*** You registered {name}: the name is yours, and you are identified."))
}

/// `*** You are identified as NAME.`
pub(crate) fn identified(name: &str) -> Bytes {
    line(format_args!("*** You are identified as {name}."))
}

/// `! You are not identified as NAME: ...`: in a cluster, the account's name could not be
/// reserved for the one who proved its password.
pub(crate) fn not_identified_elsewhere(name: &str) -> Bytes {
    error(format_args!(
        "You are not identified as {name}: the other servers did not give you the name (another server may be using it); /identify again once it is free."
    ))
}

/// `*** Your password is changed.`
pub(crate) fn password_changed() -> Bytes {
    line(format_args!("*** Your password is changed."))
}

/// `*** NAME is no longer registered: it is an ordinary name again.`
pub(crate) fn unregistered(name: &str) -> Bytes {
    line(format_args!("*** {name} is no longer registered: it is an ordinary name again."))
}

/// `*** The account NAME was given up from another connection; you are a guest again.`
pub(crate) fn unregistered_elsewhere(name: &str) -> Bytes {
    line(format_args!("*** The account {name} was given up from another connection; you are a guest again."))
}
