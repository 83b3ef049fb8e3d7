//! Lines of clients waiting for the bus to answer about their name (a `/nick` lease, an
//! account's shared record): kept, in order, and handled once the answer came, so a command
//! typed right behind `/nick NAME` acts under the name it was typed for.

use std::collections::HashMap;

use crate::ClientId;
use crate::cluster::{HELD_LINES, Held};
use crate::protocol::Line;

/// The lines held per client while it waits.
#[derive(Debug, Default)]
pub(crate) struct WaitingLines {
    by_client: HashMap<ClientId, Held>,
}

impl WaitingLines {
    /// Keeps `line` of `id` (past [`HELD_LINES`] it is dropped and counted).
    pub(crate) fn hold(&mut self, id: ClientId, line: Line) {
        let held = self.by_client.entry(id).or_default();
        if held.lines.len() < HELD_LINES {
            held.lines.push(line);
        } else {
            held.dropped += 1;
        }
    }

    /// Whether `id` has lines held.
    pub(crate) fn has(&self, id: ClientId) -> bool {
        self.by_client.contains_key(&id)
    }

    /// The clients with lines held.
    pub(crate) fn clients(&self) -> Vec<ClientId> {
        self.by_client.keys().copied().collect()
    }

    /// `id`'s lines, taken out to be handled.
    pub(crate) fn take(&mut self, id: ClientId) -> Held {
        self.by_client.remove(&id).unwrap_or_default()
    }

    /// Puts back, in front of anything held since, lines `id` could not have handled yet.
    pub(crate) fn put_back(&mut self, id: ClientId, mut lines: Vec<Line>) {
        if lines.is_empty() {
            return;
        }
        let held = self.by_client.entry(id).or_default();
        lines.append(&mut held.lines);
        held.lines = lines;
    }

    /// `id` left: what it sent is dropped.
    pub(crate) fn forget(&mut self, id: ClientId) {
        self.by_client.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_held_in_order_up_to_a_bound_and_put_back_in_front() {
        let mut waiting = WaitingLines::default();
        let id = ClientId(1);
        let text = |n: usize| Line::Text(format!("line {n}"));
        for n in 0..HELD_LINES + 2 {
            waiting.hold(id, text(n));
        }
        let Held { mut lines, dropped } = waiting.take(id);
        assert_eq!((lines.len(), dropped), (HELD_LINES, 2));
        assert!(!waiting.has(id));
        let rest = lines.split_off(1);
        waiting.hold(id, text(99));
        waiting.put_back(id, rest);
        let again = waiting.take(id).lines;
        assert_eq!(again.first(), Some(&text(1)));
        assert_eq!(again.last(), Some(&text(99)));
        assert_eq!(again.len(), HELD_LINES);
    }
}
