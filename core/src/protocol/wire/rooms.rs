//! Writing the lines about rooms, history, away and ignore; [`super::parse`] reads them back.
//!
//! Room names always start with `#` and hold no space or `:`, and people's names never start
//! with `#`, so every line here is told apart from the others without guessing.

use std::fmt::Write;

use bytes::{BufMut, Bytes, BytesMut};

use super::format::{line, name_list};

/// The first line of a history replay: `--- last N lines ---`.
pub(crate) fn history_start(count: usize) -> Bytes {
    let lines = if count == 1 { "line" } else { "lines" };
    line(format_args!("--- last {count} {lines} ---"))
}

/// The last line of a history replay.
pub(super) const HISTORY_END: &str = "--- end of history ---";

/// `--- end of history ---`.
pub(crate) fn history_end() -> Bytes {
    line(format_args!("{HISTORY_END}"))
}

/// `[HH:MM] LINE`: a line of the past, as it was sent live, with the time (UTC) it was said.
pub(crate) fn replayed(hour: u8, minute: u8, frame: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(frame.len() + 8);
    let _ = write!(out, "[{hour:02}:{minute:02}] ");
    out.put_slice(frame);
    out.freeze()
}

/// `*** NAME joined #ROOM`: someone came into the room.
pub(crate) fn room_joined(name: &str, room: &str) -> Bytes {
    line(format_args!("*** {name} joined {room}"))
}

/// `*** NAME left #ROOM`: someone went to another room.
pub(crate) fn room_left(name: &str, room: &str) -> Bytes {
    line(format_args!("*** {name} left {room}"))
}

/// `*** You are in #ROOM: N other people are here.`: our `/join` or `/part` worked.
pub(crate) fn you_joined(room: &str, others: usize) -> Bytes {
    line(format_args!("*** You are in {room}: {}.", others_here(others)))
}

/// `nobody else is here yet`, `1 other person is here`, `N other people are here`.
pub(super) fn others_here(others: usize) -> String {
    match others {
        0 => "nobody else is here yet".to_owned(),
        1 => "1 other person is here".to_owned(),
        n => format!("{n} other people are here"),
    }
}

/// `*** Topic of #ROOM: TEXT`.
pub(crate) fn topic(room: &str, topic: &str) -> Bytes {
    line(format_args!("*** Topic of {room}: {topic}"))
}

/// `*** #ROOM has no topic`.
pub(crate) fn no_topic(room: &str) -> Bytes {
    line(format_args!("*** {room} has no topic"))
}

/// `*** NAME set the topic of #ROOM: TEXT`.
pub(crate) fn topic_set(name: &str, room: &str, topic: &str) -> Bytes {
    line(format_args!("*** {name} set the topic of {room}: {topic}"))
}

/// `*** NAME cleared the topic of #ROOM`.
pub(crate) fn topic_cleared(name: &str, room: &str) -> Bytes {
    line(format_args!("*** {name} cleared the topic of {room}"))
}

/// `*** Rooms, biggest first (N in all):`: the first line of the answer to `/list`.
pub(crate) fn rooms_header(total: usize) -> Bytes {
    line(format_args!("*** Rooms, biggest first ({total} in all):"))
}

/// `*** #ROOM (N here): TOPIC` (or without `: TOPIC`): one room of the answer to `/list`.
pub(crate) fn room_entry(room: &str, count: usize, topic: Option<&str>) -> Bytes {
    match topic {
        Some(topic) => line(format_args!("*** {room} ({count} here): {topic}")),
        None => line(format_args!("*** {room} ({count} here)")),
    }
}

/// `*** N in #ROOM: A, B (away) and K more`: the answer to `/who #ROOM`. `names` are already
/// marked.
pub(crate) fn who_in<'a>(room: &str, count: usize, names: impl Iterator<Item = &'a str>) -> Bytes {
    line(format_args!("*** {count} in {room}: {}", name_list(count, names)))
}

/// How a name is shown in `/who` when its holder is away: `NAME (away)`.
pub(crate) fn marked_away(name: &str) -> String {
    format!("{name}{AWAY_MARK}")
}

/// What follows an away name in `/who`.
pub(super) const AWAY_MARK: &str = " (away)";

/// `*** NAME is away: MESSAGE`: told to whoever sends them a private message.
pub(crate) fn is_away(name: &str, message: &str) -> Bytes {
    line(format_args!("*** {name} is away: {message}"))
}

/// `*** You are marked away: MESSAGE`.
pub(crate) fn you_away(message: &str) -> Bytes {
    line(format_args!("*** You are marked away: {message}"))
}

/// The answer to `/away` with no message.
pub(super) const YOU_BACK: &str = "*** You are no longer marked away";

/// `*** You are no longer marked away`.
pub(crate) fn you_back() -> Bytes {
    line(format_args!("{YOU_BACK}"))
}

/// `*** Ignoring NAME: you will not see their lines`.
pub(crate) fn ignoring(name: &str) -> Bytes {
    line(format_args!("*** Ignoring {name}: you will not see their lines"))
}

/// `*** No longer ignoring NAME`.
pub(crate) fn unignored(name: &str) -> Bytes {
    line(format_args!("*** No longer ignoring {name}"))
}

/// `*** You ignore: A, B and K more` (or `*** You ignore no one`): the answer to `/ignore`.
pub(crate) fn ignore_list<'a>(count: usize, names: impl Iterator<Item = &'a str>) -> Bytes {
    if count == 0 {
        return line(format_args!("{IGNORE_NONE}"));
    }
    line(format_args!("*** You ignore: {}", name_list(count, names)))
}

/// The answer to `/ignore` when no one is ignored.
pub(super) const IGNORE_NONE: &str = "*** You ignore no one";

/// `*** Nothing was said in #ROOM yet`: the answer to `/history` in a room without any.
pub(crate) fn no_history(room: &str) -> Bytes {
    line(format_args!("*** Nothing was said in {room} yet"))
}
