//! Reading the lines the server sends, for clients: the inverse of [`super::format`].
//!
//! Names never contain white space, `,` `*` `!` `<` `>` or `/` (chosen names also exclude `:`
//! `[` `]`; default names are `IP:PORT`, `[IPV6]:PORT` or either with `~N`), so a name always
//! ends at the first space, `>` or `*` after it, and every line kind below is told apart without
//! guessing, whatever the text after the name holds. The one exception is the departure list of
//! [`ServerLine::OfflineMany`], where a quit reason is free text: see [`Departures`].

use super::format::{HELP_PREFIX, NAMES_SHOWN, SHUTTING_DOWN};
use super::parse_rooms;
use super::rooms::AWAY_MARK;

/// One line from the server, as `docs/PROTOCOL.md` lists them. Every field borrows from the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerLine<'a> {
    /// `<NAME> TEXT`: `from` said `text` to the room.
    Message {
        /// Who said it.
        from: &'a str,
        /// What they said.
        text: &'a str,
    },
    /// `* NAME ACTION`: `from` did `/me text`.
    Action {
        /// Who did it.
        from: &'a str,
        /// The action.
        text: &'a str,
    },
    /// `*NAME* TEXT`: a private message to us.
    PrivateIn {
        /// Who sent it.
        from: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `-> *NAME* TEXT`: our private message was delivered.
    PrivateOut {
        /// Who it went to.
        to: &'a str,
        /// The message.
        text: &'a str,
    },
    /// `*** NAME entered the room`.
    Joined {
        /// Who joined.
        name: &'a str,
    },
    /// `*** NAME is offline (REASON)`.
    Offline {
        /// Who left.
        name: &'a str,
        /// `quit`, `quit: THEIR REASON`, `left`, `connection lost`, `too slow`, `flooding`,
        /// `unfinished line`, `kicked by OP[: REASON]` or `banned by OP[: REASON]`.
        reason: &'a str,
    },
    /// `*** OLD is now known as NEW`: someone else changed name.
    Renamed {
        /// The name they had.
        old: &'a str,
        /// The name they have now.
        new: &'a str,
    },
    /// `*** You are now known as NEW`: our `/nick` worked.
    YouRenamed {
        /// Our new name.
        name: &'a str,
    },
    /// `*** Welcome to the chat room, NAME: ...`: the first line after connecting.
    Welcome {
        /// Our name in the room.
        name: &'a str,
        /// How many other people were here.
        others: usize,
    },
    /// `*** N here: A, B and K more`: the answer to `/who`.
    Who {
        /// How many people are here, us included.
        count: usize,
        /// The first few of them, in alphabetical order.
        names: Names<'a>,
        /// How many more are here than `names` spells out.
        more: usize,
    },
    /// `*** N entered the room: A, B and K more`: the joins of the last interval in a big room.
    JoinedMany {
        /// How many joined.
        count: usize,
        /// The first few of them.
        names: Names<'a>,
        /// How many more joined than `names` spells out.
        more: usize,
    },
    /// `*** N are offline: A (left), B (quit) and K more`: the departures of the last interval
    /// in a big room.
    OfflineMany {
        /// How many left.
        count: usize,
        /// The first few of them, each with a reason.
        departures: Departures<'a>,
        /// How many more left than `departures` spells out.
        more: usize,
    },
    /// `*** Commands: ...`: the answer to `/help`.
    Help,
    /// `*** Server is shutting down. Goodbye!`: the connection closes next.
    ShuttingDown,
    /// `--- last N lines ---`: the lines up to [`ServerLine::HistoryEnd`] are the room's past,
    /// each a [`ServerLine::Replayed`].
    HistoryStart {
        /// How many lines follow.
        count: usize,
    },
    /// `--- end of history ---`: live lines follow.
    HistoryEnd,
    /// `[HH:MM] LINE`: a line said in the past (the time is UTC); parse `line` again for what
    /// it is.
    Replayed {
        /// The hour it was said, 0 to 23.
        hour: u8,
        /// The minute it was said, 0 to 59.
        minute: u8,
        /// The line as it was sent live, without its ending.
        line: &'a str,
    },
    /// `*** NAME joined #ROOM`: someone came into our room.
    RoomJoined {
        /// Who came.
        name: &'a str,
        /// Our room.
        room: &'a str,
    },
    /// `*** NAME left #ROOM`: someone went from our room to another one.
    RoomLeft {
        /// Who went.
        name: &'a str,
        /// Our room.
        room: &'a str,
    },
    /// `*** You are in #ROOM: N other people are here.`: our `/join` or `/part` worked.
    YouJoined {
        /// The room we are in now.
        room: &'a str,
        /// How many others are in it.
        others: usize,
    },
    /// `*** Topic of #ROOM: TEXT`: on joining a room with a topic, and the answer to `/topic`.
    Topic {
        /// The room.
        room: &'a str,
        /// Its topic.
        topic: &'a str,
    },
    /// `*** #ROOM has no topic`: the answer to `/topic` in a room without one.
    NoTopic {
        /// The room.
        room: &'a str,
    },
    /// `*** NAME set the topic of #ROOM: TEXT`.
    TopicSet {
        /// Who set it.
        name: &'a str,
        /// The room.
        room: &'a str,
        /// The new topic.
        topic: &'a str,
    },
    /// `*** NAME cleared the topic of #ROOM`.
    TopicCleared {
        /// Who cleared it.
        name: &'a str,
        /// The room.
        room: &'a str,
    },
    /// `*** Rooms, biggest first (N in all):`: the first line of the answer to `/list`; one
    /// [`ServerLine::RoomEntry`] per room shown follows.
    RoomsHeader {
        /// How many rooms exist (more than are listed, in a busy server).
        total: usize,
    },
    /// `*** #ROOM (N here): TOPIC`: one room of the answer to `/list`.
    RoomEntry {
        /// The room.
        room: &'a str,
        /// How many people are in it.
        count: usize,
        /// Its topic, if it has one.
        topic: Option<&'a str>,
    },
    /// `*** N in #ROOM: A, B (away) and K more`: the answer to `/who #ROOM`.
    WhoIn {
        /// The room.
        room: &'a str,
        /// How many people are in it.
        count: usize,
        /// The first few of them, in alphabetical order.
        names: Names<'a>,
        /// How many more are in it than `names` spells out.
        more: usize,
    },
    /// `*** NAME is away: MESSAGE`: the person we sent a private message to is away.
    Away {
        /// Who is away.
        name: &'a str,
        /// Their away message.
        message: &'a str,
    },
    /// `*** You are marked away: MESSAGE`: our `/away MESSAGE` worked.
    YouAway {
        /// Our away message.
        message: &'a str,
    },
    /// `*** You are no longer marked away`: our `/away` worked.
    YouBack,
    /// `*** Ignoring NAME: you will not see their lines`: our `/ignore NAME` worked.
    Ignoring {
        /// Whom we ignore.
        name: &'a str,
    },
    /// `*** No longer ignoring NAME`: our `/unignore NAME` worked.
    Unignored {
        /// Whom we no longer ignore.
        name: &'a str,
    },
    /// `*** You ignore: A, B and K more` or `*** You ignore no one`: the answer to `/ignore`.
    IgnoreList {
        /// How many people we ignore.
        count: usize,
        /// The first few of them.
        names: Names<'a>,
        /// How many more than `names` spells out.
        more: usize,
    },
    /// `*** Nothing was said in #ROOM yet`: the answer to `/history` in a room without any.
    NoHistory {
        /// The room.
        room: &'a str,
    },
    /// `*** ...` that is none of the notices above (from a newer server, say): the text after
    /// `*** `.
    Notice(&'a str),
    /// `! TEXT`: an error or warning about something we did: the text after `! `.
    Error(&'a str),
    /// Anything else (the lab handout's server, say): the whole line.
    Other(&'a str),
}

impl<'a> ServerLine<'a> {
    /// Recognises one line. A trailing `\n` or `\r\n` is ignored. Never panics; a line that
    /// does not have the exact shape of one of ours is [`ServerLine::Other`] (or
    /// [`ServerLine::Notice`] if it starts with `*** `).
    pub fn parse(line: &'a str) -> Self {
        let line = line.strip_suffix('\n').map_or(line, |l| l.strip_suffix('\r').unwrap_or(l));
        if let Some(notice) = line.strip_prefix("*** ") {
            return notice_line(line, notice)
                .or_else(|| parse_rooms::notice(line, notice))
                .unwrap_or(Self::Notice(notice));
        }
        said_line(line).or_else(|| parse_rooms::history_line(line)).unwrap_or(Self::Other(line))
    }
}

/// The lines that are not notices: messages, private messages and errors.
fn said_line(line: &str) -> Option<ServerLine<'_>> {
    if let Some(text) = line.strip_prefix("! ") {
        return Some(ServerLine::Error(text));
    }
    if let Some(rest) = line.strip_prefix('<') {
        let (from, text) = rest.split_once("> ")?;
        return is_name(from).then_some(ServerLine::Message { from, text });
    }
    if let Some(rest) = line.strip_prefix("* ") {
        let (from, text) = rest.split_once(' ')?;
        return is_name(from).then_some(ServerLine::Action { from, text });
    }
    if let Some(rest) = line.strip_prefix("-> ") {
        let (to, text) = private(rest)?;
        return Some(ServerLine::PrivateOut { to, text });
    }
    let (from, text) = private(line)?;
    Some(ServerLine::PrivateIn { from, text })
}

/// `*NAME* TEXT`.
fn private(line: &str) -> Option<(&str, &str)> {
    let (name, text) = line.strip_prefix('*')?.split_once("* ")?;
    is_name(name).then_some((name, text))
}

/// The `*** ` notices; `line` is the whole line, `notice` what follows `*** `.
fn notice_line<'a>(line: &'a str, notice: &'a str) -> Option<ServerLine<'a>> {
    if line == SHUTTING_DOWN {
        return Some(ServerLine::ShuttingDown);
    }
    if line.starts_with(HELP_PREFIX) {
        return Some(ServerLine::Help);
    }
    if let Some(rest) = notice.strip_prefix("Welcome to the chat room, ") {
        return welcome(rest);
    }
    if let Some(name) = notice.strip_prefix("You are now known as ") {
        return is_name(name).then_some(ServerLine::YouRenamed { name });
    }
    let (first, rest) = notice.split_once(' ')?;
    if let Some(count) = count(first) {
        if let Some(list) = rest.strip_prefix("here: ") {
            let (names, more) = names(count, list)?;
            return Some(ServerLine::Who { count, names, more });
        }
        if let Some(list) = rest.strip_prefix("entered the room: ") {
            let (names, more) = names(count, list)?;
            return Some(ServerLine::JoinedMany { count, names, more });
        }
        if let Some(list) = rest.strip_prefix("are offline: ") {
            let (list, more) = split_more(list);
            let shown = count.checked_sub(more).filter(|&shown| shown <= NAMES_SHOWN)?;
            let departures = Departures { list, shown };
            let valid = (shown > 0 || list.is_empty())
                && departures.iter().all(|(name, reason)| is_name(name) && !reason.is_empty());
            return valid.then_some(ServerLine::OfflineMany { count, departures, more });
        }
    }
    if !is_name(first) {
        return None;
    }
    if rest == "entered the room" {
        return Some(ServerLine::Joined { name: first });
    }
    if let Some(new) = rest.strip_prefix("is now known as ") {
        return is_name(new).then_some(ServerLine::Renamed { old: first, new });
    }
    let reason = rest.strip_prefix("is offline (")?.strip_suffix(')')?;
    Some(ServerLine::Offline { name: first, reason })
}

/// `NAME: nobody else is here yet. Type /help for commands.` (or `1 other person is here`, or
/// `N other people are here`).
fn welcome(rest: &str) -> Option<ServerLine<'_>> {
    let (name, rest) = rest.split_once(": ")?;
    let others = rest.strip_suffix(". Type /help for commands.")?;
    let others = parse_rooms::others_here(others)?;
    is_name(name).then_some(ServerLine::Welcome { name, others })
}

/// The names of a `/who` or joins summary of `count` people, and how many more there are.
pub(super) fn names(count: usize, list: &str) -> Option<(Names<'_>, usize)> {
    let (list, more) = split_more(list);
    let names = Names { list };
    let shown = names.iter().count();
    (names.iter().all(is_name) && shown <= NAMES_SHOWN && shown.checked_add(more) == Some(count))
        .then_some((names, more))
}

/// Splits ` and K more` off the end of a list, if it is there (K is then at least 1).
pub(super) fn split_more(list: &str) -> (&str, usize) {
    list.strip_suffix(" more")
        .and_then(|rest| rest.rsplit_once(" and "))
        .and_then(|(names, more)| Some((names, count(more).filter(|&more| more > 0)?)))
        .unwrap_or((list, 0))
}

/// A decimal count as the server writes it: ASCII digits only.
pub(super) fn count(digits: &str) -> Option<usize> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether `name` could be a name the server gives: a chosen one or a default `IP:PORT`.
pub(super) fn is_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '#'])
        && !name.contains(|c: char| c.is_whitespace() || c.is_control() || ",*!<>/".contains(c))
}

/// The names a summary line spells out, in order: `A, B, C`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Names<'a> {
    list: &'a str,
}

impl<'a> Names<'a> {
    /// No names.
    pub(super) const EMPTY: Self = Self { list: "" };

    /// The names, in the order of the line (without their away marks).
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.marked().map(|(name, _)| name)
    }

    /// The names, in the order of the line, each with whether it is marked away (`/who`).
    pub fn marked(&self) -> impl Iterator<Item = (&'a str, bool)> + use<'a> {
        let list = self.list;
        (!list.is_empty())
            .then(|| list.split(", "))
            .into_iter()
            .flatten()
            .map(|entry| entry.strip_suffix(AWAY_MARK).map_or((entry, false), |name| (name, true)))
    }
}

/// The departures an [`ServerLine::OfflineMany`] line spells out: `NAME (REASON)` each.
///
/// **Ambiguity:** a quit reason is free text, so one holding `"), "` can pass for the end of
/// its entry. The line's count says how many entries there are and each entry but the last
/// ends at the first `"), "`, so a crafted reason can shift the entries after it (a name read
/// from inside the reason, the real name read as part of a reason) but never adds entries
/// beyond the count. The other lines have no such ambiguity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Departures<'a> {
    list: &'a str,
    shown: usize,
}

impl<'a> Departures<'a> {
    /// The `(name, reason)` pairs, in the order of the line; the reason is as in
    /// [`ServerLine::Offline`].
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        let (mut list, mut left) = (self.list, self.shown);
        std::iter::from_fn(move || {
            left = left.checked_sub(1)?;
            let entry = if left == 0 {
                std::mem::take(&mut list).strip_suffix(')').unwrap_or_default()
            } else {
                let (entry, rest) = list.split_once("), ").unwrap_or_default();
                list = rest;
                entry
            };
            Some(entry.split_once(" (").unwrap_or_default())
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use proptest::prelude::*;

    use super::super::format::{self, Reason};
    use super::*;
    use crate::protocol::Command;

    /// Names of every shape: chosen, default IPv4 and IPv6, and a second connection's default.
    const NAMES: [&str; 6] =
        ["alice", "Zoë_99", "127.0.0.1:5000", "[::1]:5000", "[fe80::1%2]:41000", "10.0.0.7:80~2"];
    /// Texts holding what could be taken for a line's punctuation.
    const TEXTS: [&str; 7] =
        ["hi", "", "a> b: c * d", "<eve> fake", "*** x entered the room", "-> *x* y", "  and 3 more"];

    fn parse(line: &Bytes) -> ServerLine<'_> {
        let line = std::str::from_utf8(line).unwrap();
        assert!(line.ends_with('\n'), "{line:?}");
        ServerLine::parse(line)
    }

    #[test]
    fn said_lines_round_trip() {
        for name in NAMES {
            for text in TEXTS {
                let (from, to) = (name, name);
                assert_eq!(parse(&format::message(name, text)), ServerLine::Message { from, text });
                assert_eq!(parse(&format::action(name, text)), ServerLine::Action { from, text });
                assert_eq!(parse(&format::private_in(name, text)), ServerLine::PrivateIn { from, text });
                assert_eq!(parse(&format::private_out(name, text)), ServerLine::PrivateOut { to, text });
                assert_eq!(parse(&format::error(text)), ServerLine::Error(text));
            }
        }
    }

    #[test]
    fn single_notices_round_trip() {
        let reasons = [
            Reason::Quit(None),
            Reason::Quit(Some("bye (for now), see you) and 2 more".into())),
            Reason::Left,
            Reason::Lost,
            Reason::TooSlow,
            Reason::Flooding,
            Reason::UnfinishedLine,
            Reason::Kicked { by: "alice".into(), reason: String::new() },
            Reason::Banned { by: "alice".into(), reason: "spam (again)".into() },
        ];
        for name in NAMES.into_iter().chain(["3", "Welcome", "You", "Server"]) {
            assert_eq!(parse(&format::joined(name)), ServerLine::Joined { name });
            assert_eq!(parse(&format::you_renamed(name)), ServerLine::YouRenamed { name });
            for reason in &reasons {
                let shown = reason.to_string();
                assert_eq!(
                    parse(&format::offline(name, reason)),
                    ServerLine::Offline { name, reason: &shown }
                );
            }
            for new in NAMES {
                assert_eq!(parse(&format::renamed(name, new)), ServerLine::Renamed { old: name, new });
            }
            for others in [0, 1, 2, 9_999] {
                assert_eq!(parse(&format::welcome(name, others)), ServerLine::Welcome { name, others });
            }
        }
        assert_eq!(parse(&format::shutting_down()), ServerLine::ShuttingDown);
        assert_eq!(parse(&format::help()), ServerLine::Help);
    }

    #[test]
    fn the_help_line_lists_every_command() {
        let help = format::help();
        let help = std::str::from_utf8(&help).unwrap();
        for command in Command::LIST {
            let usage = format!("{} {}", command.name, command.args);
            assert!(help.contains(usage.trim_end()), "{usage:?} missing from {help:?}");
        }
    }

    #[test]
    fn summaries_round_trip() {
        let many: Vec<String> = (0..25).map(|i| format!("{}{i}", NAMES[i % NAMES.len()])).collect();
        for count in [1, 2, 10, 11, 150] {
            let names: Vec<&str> = many.iter().map(String::as_str).take(count).collect();
            let shown = count.min(NAMES_SHOWN);
            let more = count - shown;
            let check = |line: ServerLine<'_>, got: Names<'_>| {
                assert_eq!(got.iter().collect::<Vec<_>>(), names[..shown], "{line:?}");
            };
            match parse(&format::who(count, names.iter().copied())) {
                line @ ServerLine::Who { count: c, names: got, more: m } if (c, m) == (count, more) => {
                    check(line, got)
                }
                line => panic!("{line:?}"),
            }
            match parse(&format::joined_many(count, names.iter().copied())) {
                line @ ServerLine::JoinedMany { count: c, names: got, more: m }
                    if (c, m) == (count, more) =>
                {
                    check(line, got)
                }
                line => panic!("{line:?}"),
            }
            let reasons = ["left", "quit", "quit: a, b (c) d", "connection lost", "too slow", "flooding"];
            let departures: Vec<String> = names
                .iter()
                .zip(reasons.iter().cycle())
                .map(|(name, reason)| format!("{name} ({reason})"))
                .collect();
            match parse(&format::offline_many(count, departures.iter().map(String::as_str))) {
                ServerLine::OfflineMany { count: c, departures: got, more: m } if (c, m) == (count, more) => {
                    let expected: Vec<_> =
                        names.iter().copied().zip(reasons.iter().copied().cycle()).take(shown).collect();
                    assert_eq!(got.iter().collect::<Vec<_>>(), expected);
                }
                line => panic!("{line:?}"),
            }
        }
    }

    #[test]
    fn a_crafted_quit_reason_cannot_add_departures() {
        let line = format::offline_many(1, ["ann (quit: x), bob (left)"].into_iter());
        match parse(&line) {
            ServerLine::OfflineMany { count: 1, departures, more: 0 } => {
                assert_eq!(departures.iter().collect::<Vec<_>>(), [("ann", "quit: x), bob (left")]);
            }
            line => panic!("{line:?}"),
        }
    }

    #[test]
    fn lines_that_are_not_ours_are_other() {
        for line in [
            "<('127.0.0.1', 5555)> hi",
            "[127.0.0.1:5555] entered room",
            "Client ('127.0.0.1', 5555) is offline",
            "",
            "<> x",
            "<a>b",
            "* bob",
            "** x",
            "*a b* x",
            "-> bob",
            "!x",
        ] {
            assert_eq!(ServerLine::parse(line), ServerLine::Other(line));
        }
        for notice in [
            "2 here: a",
            "1 here: a and 0 more",
            "x here: a",
            "+1 here: a",
            "1 are offline: a",
            "a entered the room: b",
            "Welcome to the chat room, a: 1 other people are here. Type /help for commands.",
            "bob is offline (quit",
            "a b entered the room",
            "something new",
        ] {
            assert_eq!(ServerLine::parse(&format!("*** {notice}")), ServerLine::Notice(notice));
        }
    }

    #[test]
    fn line_endings_are_ignored() {
        assert_eq!(ServerLine::parse("<a> b\r\n"), ServerLine::Message { from: "a", text: "b" });
        assert_eq!(ServerLine::parse("<a> b\r"), ServerLine::Message { from: "a", text: "b\r" });
    }

    proptest! {
        #[test]
        fn every_name_the_server_gives_is_read_back(
            chosen in r"\PC{1,24}",
            guests in 0..20_000usize,
            text in r"\PC*",
        ) {
            let mut names = crate::protocol::guest::GuestNames::default();
            let guest = names.next(guests, |_| false);
            let chosen = crate::protocol::Nick::parse(&chosen, 24).ok();
            for name in chosen.iter().chain([&guest]).map(crate::protocol::Nick::as_str) {
                let from = name;
                assert_eq!(parse(&format::message(name, &text)), ServerLine::Message { from, text: &text });
                assert_eq!(parse(&format::private_in(name, &text)), ServerLine::PrivateIn { from, text: &text });
                assert_eq!(parse(&format::joined(name)), ServerLine::Joined { name });
                assert_eq!(parse(&format::renamed(name, name)), ServerLine::Renamed { old: name, new: name });
                let reason = Reason::Quit(Some(text.clone()));
                let shown = reason.to_string();
                assert_eq!(parse(&format::offline(name, &reason)), ServerLine::Offline { name, reason: &shown });
            }
        }

        #[test]
        fn parse_never_panics(line in any::<String>()) {
            let _ = ServerLine::parse(&line);
        }

        #[test]
        fn parse_never_panics_on_near_misses(line in r"(\*\*\* )?[0-9a-z<>*:!, ()\[\]-]{0,40}( and [0-9]{1,3} more)?") {
            if let ServerLine::OfflineMany { departures, .. } = ServerLine::parse(&line) {
                departures.iter().for_each(drop);
            }
        }
    }
}
