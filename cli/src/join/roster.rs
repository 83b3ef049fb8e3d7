//! Who is in the room, as far as the server's lines tell: the names Tab completes.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::style::Kind;

/// The names seen in the room, learned from messages and presence notices.
#[derive(Debug, Default)]
pub struct Roster {
    /// Keyed by the lowercased name, so one person is one entry whatever case they appear in.
    names: Mutex<BTreeMap<String, String>>,
}

impl Roster {
    /// An empty roster.
    pub fn new() -> Self {
        Self::default()
    }

    /// Learns from one received line (already sanitized).
    pub fn learn(&self, line: &str) {
        let mut names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        let mut add = |name: &str| {
            if is_completable(name) {
                names.insert(name.to_lowercase(), name.to_owned());
            }
        };
        match Kind::of(line) {
            Kind::Said { name, .. } | Kind::Action { name, .. } | Kind::Private { name, .. } => add(name),
            Kind::PrivateSent { name, .. } => add(name),
            Kind::Notice | Kind::Other => {}
        }
        let Some(notice) = line.strip_prefix("*** ") else { return };
        if let Some(name) = notice.strip_suffix(" entered the room") {
            add(name);
        } else if let Some((old, new)) = notice.split_once(" is now known as ") {
            names.remove(&old.to_lowercase());
            if is_completable(new) {
                names.insert(new.to_lowercase(), new.to_owned());
            }
        } else if let Some((name, _)) = notice.split_once(" is offline (") {
            names.remove(&name.to_lowercase());
        } else if let Some(list) =
            summary(notice, " here: ").or_else(|| summary(notice, " entered the room: "))
        {
            list.into_iter().for_each(add);
        } else if let Some(list) = summary(notice, " are offline: ") {
            for entry in list {
                let name = entry.split_once(" (").map_or(entry, |(name, _)| name);
                names.remove(&name.to_lowercase());
            }
        }
    }

    /// The known names starting with `prefix`, ignoring case, in alphabetical order.
    pub fn starting_with(&self, prefix: &str) -> Vec<String> {
        let prefix = prefix.to_lowercase();
        let names = self.names.lock().unwrap_or_else(PoisonError::into_inner);
        names
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .map(|(_, name)| name.clone())
            .collect()
    }
}

/// The names of a summary notice such as `3 here: a, b and 1 more` (after `N` and `marker`),
/// without the `and K more` tail.
fn summary<'a>(notice: &'a str, marker: &str) -> Option<Vec<&'a str>> {
    let (count, list) = notice.split_once(marker)?;
    if !count.chars().all(|c| c.is_ascii_digit()) || count.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = list.split(", ").collect();
    if let Some(last) = names.pop() {
        let mut parts = last.split(" and ");
        names.extend(parts.next());
        names.extend(parts.next().filter(|tail| !tail.ends_with(" more")));
    }
    Some(names)
}

/// A name Tab can insert as one word (the handout's server names people `('IP', PORT)`).
fn is_completable(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(lines: &[&str]) -> Roster {
        let roster = Roster::new();
        lines.iter().for_each(|line| roster.learn(line));
        roster
    }

    #[test]
    fn names_come_and_go_with_the_notices() {
        let room = roster(&[
            "*** 3 here: alice, Bob, carol",
            "*** dave entered the room",
            "<erin> hi",
            "*** carol is offline (quit: bye)",
            "*** Bob is now known as robert",
        ]);
        assert_eq!(room.starting_with(""), ["alice", "dave", "erin", "robert"]);
        assert_eq!(room.starting_with("R"), ["robert"]);
    }

    #[test]
    fn summaries_of_big_rooms_are_read() {
        let room = roster(&[
            "*** 150 here: amy, ann, bea and 147 more",
            "*** 3 entered the room: cid, dan and 1 more",
            "*** 2 are offline: ann (left), cid (quit: later)",
        ]);
        assert_eq!(room.starting_with(""), ["amy", "bea", "dan"]);
        assert_eq!(room.starting_with("a"), ["amy"]);
    }

    #[test]
    fn names_with_spaces_and_text_in_messages_are_not_taken() {
        let room = roster(&["<('127.0.0.1', 5555)> hi", "<zed> *** mallory entered the room"]);
        assert_eq!(room.starting_with(""), ["zed"]);
    }
}
