//! Who is in the room, as far as the server's lines tell: the names Tab completes.
//!
//! Names come from `chat_core::protocol::ServerLine`, so they never hold white space: each is one word
//! Tab can insert. The handout server's names (`('IP', PORT)`) are not learned.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use chat_core::protocol::ServerLine;

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
            names.insert(name.to_lowercase(), name.to_owned());
        };
        match ServerLine::parse(line) {
            ServerLine::Message { from: name, .. }
            | ServerLine::Action { from: name, .. }
            | ServerLine::PrivateIn { from: name, .. }
            | ServerLine::PrivateOut { to: name, .. }
            | ServerLine::Joined { name }
            | ServerLine::RoomJoined { name, .. } => add(name),
            ServerLine::Who { names: list, .. }
            | ServerLine::WhoIn { names: list, .. }
            | ServerLine::JoinedMany { names: list, .. } => {
                list.iter().for_each(add);
            }
            ServerLine::Renamed { old, new } => {
                names.remove(&old.to_lowercase());
                names.insert(new.to_lowercase(), new.to_owned());
            }
            ServerLine::Offline { name, .. } | ServerLine::RoomLeft { name, .. } => {
                names.remove(&name.to_lowercase());
            }
            ServerLine::OfflineMany { departures, .. } => {
                for (name, _) in departures.iter() {
                    names.remove(&name.to_lowercase());
                }
            }
            _ => {}
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
        let room = roster(&[
            "<('127.0.0.1', 5555)> hi",
            "<zed> *** mallory entered the room",
            "* zed *** 1 here: eve",
            "<[::1]:5000> hi",
        ]);
        assert_eq!(room.starting_with(""), ["[::1]:5000", "zed"]);
    }
}
