//! A room's log of recent broadcasts, kept for its *parked* members: those whose socket is
//! full, who are owed every line said since instead of being queued a handle per line.
//!
//! A broadcast to a room of N costs a handle per recipient (queued, cloned, written). For a
//! member whose socket takes nothing, that work buys nothing until it reads again, and with
//! thousands of such members (issue 9's attack) it is most of the server's time and memory.
//! So such a member is parked: it keeps a [`Mark`] (a position in this log) and the broadcasts
//! skip it; the log keeps each line once, whatever the number of parked members, and only
//! from the oldest mark on. When the member's socket takes bytes again, what it is owed is
//! handed out from its mark on, in order ([`Log::since`]); if it is owed too much for too long,
//! it is too slow and dropped (its mark is let go).
//!
//! Nothing is logged while no member is parked: the log costs nothing in a room whose
//! members all read.

use std::collections::{BTreeSet, VecDeque};

use bytes::Bytes;

use crate::ClientId;
use crate::kit::Outbox;

/// One broadcast as the log keeps it: the frame and who it is not for.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The line, shared with every recipient.
    pub(crate) frame: Bytes,
    /// Left out (the sender of a line).
    pub(crate) except: Option<ClientId>,
    /// Said by this client: members who ignore it do not get it.
    pub(crate) said_by: Option<ClientId>,
    /// The log's cumulative cost before this entry (a mark at it owes the rest).
    cost_before: u64,
}

impl Entry {
    /// What the log counts this entry as costing: its bytes and one frame's overhead.
    fn cost(&self) -> usize {
        self.frame.len() + Outbox::FRAME_OVERHEAD
    }
}

/// Where a parked member is in its room's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    /// The sequence number of the first entry it is owed.
    pub(crate) seq: u64,
    /// The log's cumulative cost when it was parked, so that what it is owed costs
    /// [`Log::owed`] to know.
    cost: u64,
}

/// A parked member's state: its mark, and the frames sent to it alone while parked (answers
/// to its own commands), each with the log position it goes before.
#[derive(Debug)]
pub(crate) struct Parked {
    pub(crate) mark: Mark,
    /// Frames for this client alone, each to go before the log entry of the given sequence
    /// number (and after every earlier one).
    pub(crate) held: Vec<(u64, Bytes)>,
    /// What `held` costs (bytes plus a frame's overhead each).
    pub(crate) held_cost: usize,
}

impl Parked {
    /// Parked at `mark`, with nothing held yet.
    pub(crate) fn new(mark: Mark) -> Self {
        Self { mark, held: Vec::new(), held_cost: 0 }
    }

    /// Holds `frame`, sent to this client alone, for after every log entry before `seq`.
    /// Returns what it costs.
    pub(crate) fn hold(&mut self, seq: u64, frame: Bytes) -> usize {
        let cost = frame.len() + Outbox::FRAME_OVERHEAD;
        self.held_cost += cost;
        self.held.push((seq, frame));
        cost
    }
}

/// The broadcasts of one room since its oldest parked member's mark.
#[derive(Debug, Default)]
pub(crate) struct Log {
    entries: VecDeque<Entry>,
    /// Sequence number of `entries[0]`.
    first: u64,
    /// Cost of every entry ever appended.
    appended: u64,
    /// Parked members, oldest mark first.
    parked: BTreeSet<(u64, ClientId)>,
}

impl Log {
    /// True while some member is parked: broadcasts must then be logged.
    pub(crate) fn is_watched(&self) -> bool {
        !self.parked.is_empty()
    }

    /// The sequence number the next entry will have.
    pub(crate) fn end(&self) -> u64 {
        self.first + self.entries.len() as u64
    }

    /// Parks member `id`: it is owed every entry appended from now on.
    pub(crate) fn park(&mut self, id: ClientId) -> Mark {
        let seq = self.end();
        self.parked.insert((seq, id));
        Mark { seq, cost: self.appended }
    }

    /// Logs a broadcast (call only while [`is_watched`](Self::is_watched)). Returns what it
    /// costs in memory.
    pub(crate) fn append(
        &mut self,
        frame: Bytes,
        except: Option<ClientId>,
        said_by: Option<ClientId>,
    ) -> usize {
        let entry = Entry { frame, except, said_by, cost_before: self.appended };
        let cost = entry.cost();
        self.appended += cost as u64;
        self.entries.push_back(entry);
        cost
    }

    /// What the member parked at `mark` is owed from the log (every entry since, counted
    /// whether or not it is for that member: a bound, cheap to know).
    pub(crate) fn owed(&self, mark: &Mark) -> usize {
        usize::try_from(self.appended - mark.cost).unwrap_or(usize::MAX)
    }

    /// The parked members, oldest mark (owed the most from the log) first.
    pub(crate) fn parked(&self) -> impl Iterator<Item = ClientId> + '_ {
        self.parked.iter().map(|&(_, id)| id)
    }

    /// The entries from sequence number `seq` on, each with its sequence number.
    pub(crate) fn since(&self, seq: u64) -> impl Iterator<Item = (u64, &Entry)> {
        let skip = usize::try_from(seq.saturating_sub(self.first)).unwrap_or(usize::MAX);
        self.entries.iter().enumerate().skip(skip).map(|(i, entry)| (self.first + i as u64, entry))
    }

    /// Moves member `id` from `mark` on to the entry `seq` (it was handed those before), then
    /// forgets the entries no parked member is owed any more. Returns the new mark and what
    /// the forgotten entries cost.
    pub(crate) fn advance(&mut self, id: ClientId, mark: &Mark, seq: u64) -> (Mark, usize) {
        let index = usize::try_from(seq.saturating_sub(self.first)).unwrap_or(usize::MAX);
        let cost = self.entries.get(index).map_or(self.appended, |entry| entry.cost_before);
        let to = Mark { seq, cost };
        self.parked.remove(&(mark.seq, id));
        self.parked.insert((seq, id));
        (to, self.trim())
    }

    /// Lets go of member `id` parked at `mark` (it was handed what it is owed, or dropped),
    /// then forgets the entries no parked member is owed any more. Returns what they cost.
    pub(crate) fn unpark(&mut self, id: ClientId, mark: &Mark) -> usize {
        self.parked.remove(&(mark.seq, id));
        self.trim()
    }

    /// Forgets the entries before the oldest mark (all of them if no one is parked).
    fn trim(&mut self) -> usize {
        let keep_from = self.parked.first().map_or(self.end(), |&(seq, _)| seq);
        let mut freed = 0;
        while self.first < keep_from {
            let Some(entry) = self.entries.pop_front() else { break };
            freed += entry.cost();
            self.first += 1;
        }
        if self.entries.is_empty() && self.entries.capacity() > Outbox::KEEP_FRAMES {
            self.entries = VecDeque::new();
        }
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[test]
    fn entries_are_kept_from_the_oldest_mark_and_freed_when_no_one_is_owed_them() {
        let mut log = Log::default();
        assert!(!log.is_watched());
        let a = log.park(ClientId(1));
        let cost = log.append(frame("one\n"), None, None);
        let b = log.park(ClientId(2));
        log.append(frame("two\n"), Some(ClientId(3)), Some(ClientId(3)));
        assert_eq!(log.parked().collect::<Vec<_>>(), [ClientId(1), ClientId(2)]);
        assert_eq!(log.owed(&a), 2 * cost);
        assert_eq!(log.owed(&b), cost);
        let seen: Vec<(u64, &[u8])> = log.since(a.seq).map(|(seq, e)| (seq, &e.frame[..])).collect();
        assert_eq!(seen, [(0, &b"one\n"[..]), (1, &b"two\n"[..])]);
        assert_eq!(log.since(b.seq).count(), 1);
        assert_eq!(log.unpark(ClientId(1), &a), cost, "the first entry was owed to 1 alone");
        assert_eq!(log.since(b.seq).count(), 1);
        assert_eq!(log.unpark(ClientId(2), &b), cost);
        assert!(!log.is_watched());
        assert_eq!(log.end(), 2, "sequence numbers go on");
    }
}
