//! New connections of a node in a cluster: a guest name is leased too, and a connection is
//! welcomed only once its name's lease is granted (or, past a deadline, without it).
//!
//! While it waits, what the connection sends is held here (a bounded number of lines) and
//! handled after its welcome, so it never acts under a name it might lose.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use crate::ClientId;
use crate::protocol::Line;

/// Lines a connection may send before its welcome; more are dropped, and it is told.
pub(crate) const HELD_LINES: usize = 32;

/// One connection waiting for its welcome.
#[derive(Debug)]
struct Greeting {
    /// The key of the guest name asked for.
    key: String,
    deadline: Instant,
    held: Held,
}

/// What a connection sent while it waited: its lines, and how many more were dropped.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) lines: Vec<Line>,
    pub(crate) dropped: usize,
}

impl Held {
    /// Keeps `line`; past [`HELD_LINES`] it is dropped and counted.
    pub(crate) fn push(&mut self, line: Line) {
        if self.lines.len() < HELD_LINES {
            self.lines.push(line);
        } else {
            self.dropped += 1;
        }
    }
}

/// Whose answer a lease's answer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answered {
    /// A connection still waiting for its welcome.
    Waiting(ClientId),
    /// A connection welcomed past its deadline without its lease.
    Late(ClientId),
    /// A connection already called by the name, asking for its lease again (the lease was
    /// lost, or it typed `/nick` with its own name): `told` when a grant is to be said.
    Again(ClientId, bool),
}

/// The connections waiting for their guest name's lease.
#[derive(Debug, Default)]
pub(crate) struct Greetings {
    waiting: HashMap<ClientId, Greeting>,
    /// The name keys asked for, by who asked (waiting, or welcomed without the answer).
    asked: HashMap<String, Answered>,
    deadlines: BTreeSet<(Instant, ClientId)>,
}

impl Greetings {
    /// `id` waits for the lease on `key` until `deadline`.
    pub(crate) fn wait(&mut self, id: ClientId, key: &str, deadline: Instant) {
        self.asked.insert(key.to_owned(), Answered::Waiting(id));
        self.deadlines.insert((deadline, id));
        self.waiting.insert(id, Greeting { key: key.to_owned(), deadline, held: Held::default() });
    }

    /// `id`, still waiting, now asks for `key` (the name it asked for before was refused).
    pub(crate) fn ask_again(&mut self, id: ClientId, key: &str) {
        if let Some(greeting) = self.waiting.get_mut(&id) {
            greeting.key = key.to_owned();
            self.asked.insert(key.to_owned(), Answered::Waiting(id));
        }
    }

    /// `id`, already called by the name whose key is `key`, asks for its lease again (`told`:
    /// a grant is to be said): returns whether the lease is to be asked for (not if an answer
    /// for it is awaited already).
    pub(crate) fn reclaim(&mut self, id: ClientId, key: &str, told: bool) -> bool {
        match self.asked.get(key).copied() {
            None => {
                self.asked.insert(key.to_owned(), Answered::Again(id, told));
                true
            }
            Some(answered @ (Answered::Late(asker) | Answered::Again(asker, _))) if asker == id => {
                let was_told = answered == Answered::Again(id, true);
                self.asked.insert(key.to_owned(), Answered::Again(id, told || was_told));
                false
            }
            Some(_) => false,
        }
    }

    /// Whether `id` waits for its welcome.
    pub(crate) fn is_waiting(&self, id: ClientId) -> bool {
        self.waiting.contains_key(&id)
    }

    /// The answer for `key` came: whose it is, if a greeting asked for it.
    pub(crate) fn answered(&mut self, key: &str) -> Option<Answered> {
        let answered = self.asked.remove(key)?;
        match answered {
            Answered::Waiting(id) if self.waiting.get(&id).is_none_or(|greeting| greeting.key != key) => None,
            answered => Some(answered),
        }
    }

    /// Keeps `line` of `id` for after its welcome; hands it back if `id` is not waiting.
    pub(crate) fn hold(&mut self, id: ClientId, line: Line) -> Option<Line> {
        let Some(greeting) = self.waiting.get_mut(&id) else { return Some(line) };
        greeting.held.push(line);
        None
    }

    /// `id` is welcomed (or gone): what it sent meanwhile. With `late`, an answer still to
    /// come for its name is remembered as [`Answered::Late`].
    pub(crate) fn done(&mut self, id: ClientId, late: bool) -> Held {
        let Some(greeting) = self.waiting.remove(&id) else { return Held::default() };
        self.deadlines.remove(&(greeting.deadline, id));
        match self.asked.get_mut(&greeting.key) {
            Some(answered) if *answered == Answered::Waiting(id) => {
                if late {
                    *answered = Answered::Late(id);
                } else {
                    self.asked.remove(&greeting.key);
                }
            }
            _ => {}
        }
        greeting.held
    }

    /// Forgets a late answer still to come for `id` (it left).
    pub(crate) fn forget(&mut self, id: ClientId) {
        self.asked.retain(|_, answered| !matches!(*answered, Answered::Late(asker) | Answered::Again(asker, _) if asker == id));
    }

    /// The earliest deadline of a waiting connection.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// A connection whose deadline has passed at `now`, if any.
    pub(crate) fn due(&self, now: Instant) -> Option<ClientId> {
        self.deadlines.first().filter(|(at, _)| *at <= now).map(|(_, id)| *id)
    }

    /// One of the connections waiting, if any.
    pub(crate) fn any_waiting(&self) -> Option<ClientId> {
        self.deadlines.first().map(|(_, id)| *id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_greeting_holds_lines_up_to_a_bound_and_is_answered_once() {
        let start = Instant::now();
        let mut greetings = Greetings::default();
        let (a, b) = (ClientId(1), ClientId(2));
        greetings.wait(a, "guest-1", start + Duration::from_secs(2));
        greetings.wait(b, "guest-2", start + Duration::from_secs(1));
        assert_eq!(greetings.deadline(), Some(start + Duration::from_secs(1)));
        assert_eq!(greetings.due(start), None);
        assert_eq!(greetings.due(start + Duration::from_secs(1)), Some(b));
        for _ in 0..HELD_LINES + 3 {
            assert_eq!(greetings.hold(a, Line::Blank), None);
        }
        assert_eq!(greetings.hold(ClientId(9), Line::Blank), Some(Line::Blank), "not waiting");
        greetings.ask_again(a, "guest-3");
        assert_eq!(greetings.answered("guest-1"), None, "an answer for a name given up");
        assert_eq!(greetings.answered("guest-3"), Some(Answered::Waiting(a)));
        let held = greetings.done(a, false);
        assert_eq!((held.lines.len(), held.dropped), (HELD_LINES, 3));
        assert!(!greetings.is_waiting(a));
        let _ = greetings.done(b, true);
        assert_eq!(greetings.deadline(), None);
        assert_eq!(greetings.answered("guest-2"), Some(Answered::Late(b)));
        assert_eq!(greetings.answered("guest-2"), None, "answered once");
    }
}
