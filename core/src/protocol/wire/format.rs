//! Writing the lines the server sends; [`super::parse`] reads them back.
//!
//! Each function returns one whole line ending in `\n`. User text passed in must already be
//! sanitised; names are valid by construction.

use std::fmt::{self, Display, Write};

use bytes::Bytes;

use crate::protocol::Command;

/// Why a client left the room, as shown in the offline notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// `/quit`, with the user's reason if any.
    Quit(Option<String>),
    /// The client closed its connection.
    Left,
    /// The client went to another room (only in a big room's summary of departures).
    Moved,
    /// The connection was reset or failed.
    Lost,
    /// The client fell more than the queue cap behind.
    TooSlow,
    /// The client kept sending over the flood limit.
    Flooding,
    /// The client left a line unfinished for too long.
    UnfinishedLine,
    /// An operator kicked the client (by name, with the reason given, possibly empty).
    Kicked {
        /// The operator's name.
        by: String,
        /// The reason given.
        reason: String,
    },
    /// An operator banned the client.
    Banned {
        /// The operator's name.
        by: String,
        /// The reason given.
        reason: String,
    },
    /// Their server stopped (told to the other nodes of a cluster).
    ServerStopped,
}

impl Reason {
    /// Why the server dropped the client, if it did.
    pub(crate) fn dropped(&self) -> Option<crate::DropReason> {
        match self {
            Reason::TooSlow => Some(crate::DropReason::Slow),
            Reason::Flooding => Some(crate::DropReason::Flood),
            Reason::UnfinishedLine => Some(crate::DropReason::UnfinishedLine),
            Reason::Banned { .. } => Some(crate::DropReason::Banned),
            Reason::Quit(_)
            | Reason::Left
            | Reason::Moved
            | Reason::Lost
            | Reason::Kicked { .. }
            | Reason::ServerStopped => None,
        }
    }
}

impl Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Quit(None) => f.write_str("quit"),
            Reason::Quit(Some(reason)) => write!(f, "quit: {reason}"),
            Reason::Left => f.write_str("left"),
            Reason::Moved => f.write_str("moved to another room"),
            Reason::Lost => f.write_str("connection lost"),
            Reason::TooSlow => f.write_str("too slow"),
            Reason::Flooding => f.write_str("flooding"),
            Reason::UnfinishedLine => f.write_str("unfinished line"),
            Reason::Kicked { by, reason } if reason.is_empty() => write!(f, "kicked by {by}"),
            Reason::Kicked { by, reason } => write!(f, "kicked by {by}: {reason}"),
            Reason::Banned { by, reason } if reason.is_empty() => write!(f, "banned by {by}"),
            Reason::Banned { by, reason } => write!(f, "banned by {by}: {reason}"),
            Reason::ServerStopped => f.write_str("their server stopped"),
        }
    }
}

/// How many names a summary line (`/who`, coalesced presence) spells out before counting.
pub(crate) const NAMES_SHOWN: usize = 10;

pub(super) fn line(args: fmt::Arguments<'_>) -> Bytes {
    let mut text = String::with_capacity(64);
    let _ = text.write_fmt(args);
    text.push('\n');
    Bytes::from(text)
}

/// `<NAME> TEXT`: a chat message.
pub(crate) fn message(name: &str, text: &str) -> Bytes {
    line(format_args!("<{name}> {text}"))
}

/// `* NAME ACTION`: a `/me` action.
pub(crate) fn action(name: &str, text: &str) -> Bytes {
    line(format_args!("* {name} {text}"))
}

/// `*NAME* TEXT`: a private message, as its recipient sees it.
pub(crate) fn private_in(from: &str, text: &str) -> Bytes {
    line(format_args!("*{from}* {text}"))
}

/// `-> *NAME* TEXT`: a private message, as its sender sees it.
pub(crate) fn private_out(to: &str, text: &str) -> Bytes {
    line(format_args!("-> *{to}* {text}"))
}

/// `*** NAME entered the room`.
pub(crate) fn joined(name: &str) -> Bytes {
    line(format_args!("*** {name} entered the room"))
}

/// `*** NAME is offline (REASON)`.
pub(crate) fn offline(name: &str, reason: &impl Display) -> Bytes {
    line(format_args!("*** {name} is offline ({reason})"))
}

/// `*** OLD is now known as NEW`.
pub(crate) fn renamed(old: &str, new: &str) -> Bytes {
    line(format_args!("*** {old} is now known as {new}"))
}

/// `*** You are now known as NEW`.
pub(crate) fn you_renamed(new: &str) -> Bytes {
    line(format_args!("*** You are now known as {new}"))
}

/// The first line a client receives.
pub(crate) fn welcome(name: &str, others: usize) -> Bytes {
    let others = super::rooms::others_here(others);
    line(format_args!("*** Welcome to the chat room, {name}: {others}. Type /help for commands."))
}

/// `*** N here: a, b, c and K more`.
pub(crate) fn who<'a>(count: usize, names: impl Iterator<Item = &'a str>) -> Bytes {
    line(format_args!("*** {count} here: {}", name_list(count, names)))
}

/// `*** N entered the room: a, b and K more` (coalesced joins in a big room).
pub(crate) fn joined_many<'a>(count: usize, names: impl Iterator<Item = &'a str>) -> Bytes {
    line(format_args!("*** {count} entered the room: {}", name_list(count, names)))
}

/// `*** N are offline: a (left), b (quit) and K more` (coalesced departures in a big room).
pub(crate) fn offline_many<'a>(count: usize, names: impl Iterator<Item = &'a str>) -> Bytes {
    line(format_args!("*** {count} are offline: {}", name_list(count, names)))
}

/// The start of the `/help` line, before the list of commands.
pub(super) const HELP_PREFIX: &str = "*** Commands: ";

/// The `/help` line: `*** Commands: /nick NAME, /me ACTION, ... /help.` and how to say `/`.
pub(crate) fn help() -> Bytes {
    let mut commands = String::new();
    for (i, command) in Command::LIST.iter().enumerate() {
        let comma = if i > 0 { ", " } else { "" };
        let space = if command.args.is_empty() { "" } else { " " };
        let _ = write!(commands, "{comma}{}{space}{}", command.name, command.args);
    }
    line(format_args!("{HELP_PREFIX}{commands}. Start a line with // to send a line that starts with /."))
}

/// The line sent to everyone when the server stops.
pub(super) const SHUTTING_DOWN: &str = "*** Server is shutting down. Goodbye!";

/// `*** Server is shutting down. Goodbye!`.
pub(crate) fn shutting_down() -> Bytes {
    line(format_args!("{SHUTTING_DOWN}"))
}

/// `! The server is full (N people); try again later.`: sent instead of the welcome.
pub(crate) fn full(max_clients: usize) -> Bytes {
    error(format_args!("The server is full ({max_clients} people); try again later."))
}

/// `! TEXT`: an error or warning for one client only.
pub(crate) fn error(text: impl Display) -> Bytes {
    line(format_args!("! {text}"))
}

/// Up to [`NAMES_SHOWN`] names from a list of `count`, then `and K more`.
pub(super) fn name_list<'a>(count: usize, names: impl Iterator<Item = &'a str>) -> String {
    let mut list = String::new();
    let mut shown = 0;
    for name in names.take(NAMES_SHOWN) {
        if shown > 0 {
            list.push_str(", ");
        }
        list.push_str(name);
        shown += 1;
    }
    if count > shown {
        let _ = write!(list, " and {} more", count - shown);
    }
    list
}
