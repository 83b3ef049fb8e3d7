//! Reading the lines of [`super::rooms`] back: the notices about rooms, history, away and
//! ignore. [`super::parse`] tries its own notices first and these after.

use super::parse::{Names, ServerLine, count, is_name, names, split_more};
use super::rooms::{HISTORY_END, IGNORE_NONE, YOU_BACK};

/// The history markers and replayed lines: `--- ... ---` and `[HH:MM] LINE`.
pub(super) fn history_line(line: &str) -> Option<ServerLine<'_>> {
    if line == HISTORY_END {
        return Some(ServerLine::HistoryEnd);
    }
    if let Some(rest) = line.strip_prefix("--- last ") {
        let (n, rest) = rest.split_once(' ')?;
        let count = count(n)?;
        let lines = if count == 1 { "line ---" } else { "lines ---" };
        return (rest == lines).then_some(ServerLine::HistoryStart { count });
    }
    let rest = line.strip_prefix('[')?;
    let (time, said) = (rest.get(..5)?, rest.get(5..)?.strip_prefix("] ")?);
    let (hour, minute) = time.split_once(':')?;
    let two_digits = |s: &str| (s.len() == 2).then(|| count(s)).flatten();
    let (hour, minute) = (two_digits(hour)?, two_digits(minute)?);
    (hour < 24 && minute < 60).then_some(ServerLine::Replayed {
        hour: hour as u8,
        minute: minute as u8,
        line: said,
    })
}

/// The `*** ` notices of rooms, away and ignore; `line` is the whole line, `notice` what
/// follows `*** `.
pub(super) fn notice<'a>(line: &'a str, notice: &'a str) -> Option<ServerLine<'a>> {
    if line == YOU_BACK {
        return Some(ServerLine::YouBack);
    }
    if line == IGNORE_NONE {
        return Some(ServerLine::IgnoreList { count: 0, names: Names::EMPTY, more: 0 });
    }
    if let Some(message) = notice.strip_prefix("You are marked away: ") {
        return Some(ServerLine::YouAway { message });
    }
    if let Some(rest) = notice.strip_prefix("You are in ") {
        let (room, rest) = rest.split_once(": ")?;
        let others = others_here(rest.strip_suffix('.')?)?;
        return is_room(room).then_some(ServerLine::YouJoined { room, others });
    }
    if let Some(rest) = notice.strip_prefix("Topic of ") {
        let (room, topic) = rest.split_once(": ")?;
        return is_room(room).then_some(ServerLine::Topic { room, topic });
    }
    if let Some(rest) = notice.strip_prefix("Rooms, biggest first (") {
        let total = count(rest.strip_suffix(" in all):")?)?;
        return Some(ServerLine::RoomsHeader { total });
    }
    if let Some(rest) = notice.strip_prefix("Ignoring ") {
        let name = rest.strip_suffix(": you will not see their lines")?;
        return is_name(name).then_some(ServerLine::Ignoring { name });
    }
    if let Some(name) = notice.strip_prefix("No longer ignoring ") {
        return is_name(name).then_some(ServerLine::Unignored { name });
    }
    if let Some(list) = notice.strip_prefix("You ignore: ") {
        let (names, more) = names_of_unknown_count(list)?;
        return Some(ServerLine::IgnoreList { count: names.iter().count() + more, names, more });
    }
    if let Some(room) = notice.strip_prefix("Nothing was said in ") {
        let room = room.strip_suffix(" yet")?;
        return is_room(room).then_some(ServerLine::NoHistory { room });
    }
    let (first, rest) = notice.split_once(' ')?;
    if is_room(first) {
        return room_first(first, rest);
    }
    if let Some(count) = count(first) {
        let (room, list) = rest.strip_prefix("in ")?.split_once(": ")?;
        let (names, more) = names(count, list)?;
        return is_room(room).then_some(ServerLine::WhoIn { room, count, names, more });
    }
    if !is_name(first) {
        return None;
    }
    let name = first;
    if let Some(room) = rest.strip_prefix("joined ") {
        return is_room(room).then_some(ServerLine::RoomJoined { name, room });
    }
    if let Some(room) = rest.strip_prefix("left ") {
        return is_room(room).then_some(ServerLine::RoomLeft { name, room });
    }
    if let Some(message) = rest.strip_prefix("is away: ") {
        return Some(ServerLine::Away { name, message });
    }
    if let Some(rest) = rest.strip_prefix("set the topic of ") {
        let (room, topic) = rest.split_once(": ")?;
        return is_room(room).then_some(ServerLine::TopicSet { name, room, topic });
    }
    let room = rest.strip_prefix("cleared the topic of ")?;
    is_room(room).then_some(ServerLine::TopicCleared { name, room })
}

/// `#ROOM has no topic` and `#ROOM (N here)[: TOPIC]`.
fn room_first<'a>(room: &'a str, rest: &'a str) -> Option<ServerLine<'a>> {
    if rest == "has no topic" {
        return Some(ServerLine::NoTopic { room });
    }
    let rest = rest.strip_prefix('(')?;
    let (n, rest) = rest.split_once(" here)")?;
    let count = count(n)?;
    let topic = match rest {
        "" => None,
        rest => Some(rest.strip_prefix(": ")?),
    };
    Some(ServerLine::RoomEntry { room, count, topic })
}

/// A list of names whose total the line does not state before it: the shown names and `K more`.
fn names_of_unknown_count(list: &str) -> Option<(Names<'_>, usize)> {
    let (shown, more) = split_more(list);
    names(shown.split(", ").count() + more, list)
}

/// `nobody else is here yet`, `1 other person is here`, `N other people are here`.
pub(super) fn others_here(text: &str) -> Option<usize> {
    match text {
        "nobody else is here yet" => Some(0),
        "1 other person is here" => Some(1),
        others => count(others.strip_suffix(" other people are here")?).filter(|&n| n > 1),
    }
}

/// Whether `room` could be a room name the server writes: `#` and then letters, digits, `-`,
/// `_` and `.`.
pub(super) fn is_room(room: &str) -> bool {
    room.strip_prefix('#').is_some_and(|bare| {
        !bare.is_empty() && bare.chars().all(|c| c.is_alphanumeric() || "-_.".contains(c))
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use proptest::prelude::*;

    use super::super::format;
    use super::super::rooms;
    use super::*;

    const NAMES: [&str; 3] = ["alice", "guest-0351", "Zoë_99"];
    const ROOMS: [&str; 3] = ["#lobby", "#Rust-2.0_x", "#café"];
    /// Texts holding what could be taken for a line's punctuation.
    const TEXTS: [&str; 6] = ["hi", "a: b (c) d", "#x (3 here)", "--- end of history ---", "", "is away: x"];

    fn parse(line: &Bytes) -> ServerLine<'_> {
        let line = std::str::from_utf8(line).unwrap();
        assert!(line.ends_with('\n'), "{line:?}");
        ServerLine::parse(line)
    }

    #[test]
    fn history_lines_round_trip() {
        for count in [0, 1, 12, 100] {
            assert_eq!(parse(&rooms::history_start(count)), ServerLine::HistoryStart { count });
        }
        assert_eq!(parse(&rooms::history_end()), ServerLine::HistoryEnd);
        for text in TEXTS {
            let live = format::message("alice", text);
            let replayed = rooms::replayed(14, 3, &live);
            let ServerLine::Replayed { hour: 14, minute: 3, line } = parse(&replayed) else {
                panic!("{replayed:?}")
            };
            assert_eq!(ServerLine::parse(line), ServerLine::Message { from: "alice", text });
        }
        assert_eq!(
            parse(&rooms::replayed(0, 0, b"* bob waves\n")),
            ServerLine::Replayed { hour: 0, minute: 0, line: "* bob waves" }
        );
    }

    #[test]
    fn room_notices_round_trip() {
        for room in ROOMS {
            for name in NAMES {
                assert_eq!(parse(&rooms::room_joined(name, room)), ServerLine::RoomJoined { name, room });
                assert_eq!(parse(&rooms::room_left(name, room)), ServerLine::RoomLeft { name, room });
                assert_eq!(parse(&rooms::topic_cleared(name, room)), ServerLine::TopicCleared { name, room });
                for topic in TEXTS.into_iter().filter(|t| !t.is_empty()) {
                    assert_eq!(
                        parse(&rooms::topic_set(name, room, topic)),
                        ServerLine::TopicSet { name, room, topic }
                    );
                }
            }
            for others in [0, 1, 2, 500] {
                assert_eq!(parse(&rooms::you_joined(room, others)), ServerLine::YouJoined { room, others });
            }
            for topic in TEXTS.into_iter().filter(|t| !t.is_empty()) {
                assert_eq!(parse(&rooms::topic(room, topic)), ServerLine::Topic { room, topic });
                assert_eq!(
                    parse(&rooms::room_entry(room, 7, Some(topic))),
                    ServerLine::RoomEntry { room, count: 7, topic: Some(topic) }
                );
            }
            assert_eq!(parse(&rooms::no_topic(room)), ServerLine::NoTopic { room });
            assert_eq!(parse(&rooms::no_history(room)), ServerLine::NoHistory { room });
            assert_eq!(
                parse(&rooms::room_entry(room, 1, None)),
                ServerLine::RoomEntry { room, count: 1, topic: None }
            );
        }
        assert_eq!(parse(&rooms::rooms_header(42)), ServerLine::RoomsHeader { total: 42 });
    }

    #[test]
    fn who_in_a_room_marks_who_is_away() {
        let marked = [rooms::marked_away("alice"), "bob".to_owned(), rooms::marked_away("guest-0351")];
        let line = rooms::who_in("#rust", 14, marked.iter().map(String::as_str));
        let ServerLine::WhoIn { room: "#rust", count: 14, names, more: 11 } = parse(&line) else {
            panic!("{line:?}")
        };
        assert_eq!(names.iter().collect::<Vec<_>>(), ["alice", "bob", "guest-0351"]);
        assert_eq!(
            names.marked().collect::<Vec<_>>(),
            [("alice", true), ("bob", false), ("guest-0351", true)]
        );
        let here = format::who(2, marked[..2].iter().map(String::as_str));
        let ServerLine::Who { count: 2, names, more: 0 } = parse(&here) else { panic!("{here:?}") };
        assert_eq!(names.marked().collect::<Vec<_>>(), [("alice", true), ("bob", false)]);
    }

    #[test]
    fn away_and_ignore_round_trip() {
        for name in NAMES {
            for message in TEXTS.into_iter().filter(|t| !t.is_empty()) {
                assert_eq!(parse(&rooms::is_away(name, message)), ServerLine::Away { name, message });
                assert_eq!(parse(&rooms::you_away(message)), ServerLine::YouAway { message });
            }
            assert_eq!(parse(&rooms::ignoring(name)), ServerLine::Ignoring { name });
            assert_eq!(parse(&rooms::unignored(name)), ServerLine::Unignored { name });
        }
        assert_eq!(parse(&rooms::you_back()), ServerLine::YouBack);
        let none = rooms::ignore_list(0, std::iter::empty());
        assert!(matches!(parse(&none), ServerLine::IgnoreList { count: 0, more: 0, .. }));
        for count in [1, 3, 10, 11, 40] {
            let all: Vec<String> = (0..count).map(|i| format!("n{i}")).collect();
            let line = rooms::ignore_list(count, all.iter().map(String::as_str));
            let ServerLine::IgnoreList { count: c, names, more } = parse(&line) else { panic!("{line:?}") };
            assert_eq!((c, more), (count, count.saturating_sub(10)));
            assert_eq!(names.iter().count(), count.min(10));
        }
    }

    #[test]
    fn near_misses_are_not_room_lines() {
        for line in [
            "[1:03] <a> b",
            "[24:00] <a> b",
            "[12:60] x",
            "[12:00]x",
            "--- last x lines ---",
            "--- last 1 lines ---",
        ] {
            assert_eq!(ServerLine::parse(line), ServerLine::Other(line));
        }
        for notice in
            ["alice joined rust", "# (3 here)", "#a (x here)", "#a (3 here)x", "You are in lobby: 3."]
        {
            assert_eq!(ServerLine::parse(&format!("*** {notice}")), ServerLine::Notice(notice));
        }
    }

    proptest! {
        #[test]
        fn any_topic_or_away_message_is_read_back(text in r"\PC+", name in r"[a-z][a-z0-9_-]{0,23}") {
            let room = "#r";
            assert_eq!(parse(&rooms::topic_set(&name, room, &text)), ServerLine::TopicSet { name: &name, room, topic: &text });
            assert_eq!(parse(&rooms::topic(room, &text)), ServerLine::Topic { room, topic: &text });
            assert_eq!(parse(&rooms::is_away(&name, &text)), ServerLine::Away { name: &name, message: &text });
            assert_eq!(parse(&rooms::room_entry(room, 3, Some(&text))), ServerLine::RoomEntry { room, count: 3, topic: Some(&text) });
        }
    }
}
