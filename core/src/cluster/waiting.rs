//! Lines of clients waiting for the bus to answer about their name (a `/nick` lease, an
//! account's shared record): kept, in order, and handled once the answer came, so a command
//! typed right behind `/nick NAME` acts under the name it was typed for.

use std::collections::HashMap;

use crate::ClientId;
use crate::cluster::Held;
use crate::protocol::Line;

/// The lines held per client while it waits.
#[derive(Debug, Default)]
pub(crate) struct WaitingLines {
    by_client: HashMap<ClientId, Held>,
}

impl WaitingLines {
    /// Keeps `line` of `id` (past [`HELD_LINES`](crate::cluster::names::HELD_LINES) it is dropped and
    /// counted).
    pub(crate) fn hold(&mut self, id: ClientId, line: Line) {
        self.by_client.entry(id).or_default().push(line);
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

    /// `id` left: what it sent is dropped.
    pub(crate) fn forget(&mut self, id: ClientId) {
        self.by_client.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::names::HELD_LINES;

    #[test]
    fn lines_are_held_in_order_up_to_a_bound() {
        let mut waiting = WaitingLines::default();
        let id = ClientId(1);
        let text = |n: usize| Line::Text(format!("line {n}"));
        for n in 0..HELD_LINES + 2 {
            waiting.hold(id, text(n));
        }
        let Held { mut lines, dropped } = waiting.take(id);
        assert_eq!((lines.len(), dropped), (HELD_LINES, 2));
        assert!(!waiting.has(id));
        assert_eq!(lines.first(), Some(&text(0)));
        assert_eq!(lines.pop(), Some(text(HELD_LINES - 1)));
    }
}
