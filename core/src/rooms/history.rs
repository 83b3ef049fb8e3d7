//! A room's memory: its last lines, numbered, with the time each was said.

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;

use crate::{ClientId, StoredLine};

/// One line said in a room, as kept for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Said {
    /// The room's sequence number of the line (1 for its first).
    pub(crate) seq: u64,
    /// Who said it (replays leave out the lines of those the reader ignores); `None` for a
    /// line restored from the database, said before the server started.
    pub(crate) from: Option<ClientId>,
    /// When it was said: wall-clock time since the Unix epoch.
    pub(crate) at: Duration,
    /// The line exactly as it was sent live, ending in `\n`.
    pub(crate) frame: Bytes,
}

/// The last `capacity` lines of a room, oldest first; sequence numbers increase (consecutive,
/// but for lines a restored database had deleted).
#[derive(Debug)]
pub(crate) struct History {
    capacity: usize,
    lines: VecDeque<Said>,
    /// The sequence number the next line gets.
    next_seq: u64,
}

impl History {
    /// Keeps at most `capacity` lines (0 keeps none, but still numbers them).
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, lines: VecDeque::new(), next_seq: 1 }
    }

    /// A history as a database kept it: the next line is numbered `next_seq` (or after the
    /// last of `lines`, if that is higher) and the last `capacity` of `lines` (oldest first,
    /// numbers increasing) are kept.
    pub(crate) fn restored(capacity: usize, next_seq: u64, lines: Vec<StoredLine>) -> Self {
        let mut history = Self::new(capacity);
        let skip = lines.len().saturating_sub(capacity);
        for line in lines.into_iter().skip(skip) {
            if line.seq < history.next_seq {
                continue;
            }
            history.next_seq = line.seq.saturating_add(1);
            history.keep(Said { seq: line.seq, from: None, at: line.at.as_duration(), frame: line.frame });
        }
        history.next_seq = history.next_seq.max(next_seq);
        history
    }

    /// Numbers `frame`, said at `at`, and keeps it; the oldest line goes if the ring is full.
    /// Returns its sequence number.
    pub(crate) fn push(&mut self, from: ClientId, at: Duration, frame: Bytes) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.keep(Said { seq, from: Some(from), at, frame });
        seq
    }

    fn keep(&mut self, said: Said) {
        if self.capacity > 0 {
            if self.lines.len() == self.capacity {
                self.lines.pop_front();
            }
            self.lines.push_back(said);
        }
    }

    /// Whether any line was ever said (the numbering has begun).
    pub(crate) fn has_begun(&self) -> bool {
        self.next_seq > 1
    }

    /// Forgets the lines said before wall-clock time `cutoff` (lines are kept in the order
    /// said, so these are the oldest).
    pub(crate) fn forget_before(&mut self, cutoff: Duration) {
        while self.lines.front().is_some_and(|said| said.at < cutoff) {
            self.lines.pop_front();
        }
    }

    /// Keeps `frame` as line `seq` (numbered by the room's stream, in a cluster), if it comes
    /// after the last line: the numbers may jump, never go back. Returns whether it was kept.
    pub(crate) fn push_numbered(&mut self, seq: u64, from: ClientId, at: Duration, frame: Bytes) -> bool {
        if seq < self.next_seq {
            return false;
        }
        self.next_seq = seq;
        self.push(from, at, frame);
        true
    }

    /// Numbers up to `seq` are used: the next line comes after it.
    pub(crate) fn skip_to(&mut self, seq: u64) {
        self.next_seq = self.next_seq.max(seq.saturating_add(1));
    }

    /// The sequence number of the last line said, 0 before the first.
    pub(crate) fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// How many lines are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lines.len()
    }

    /// The last `count` lines kept whose frames add up to at most `budget` bytes, oldest first.
    pub(crate) fn last(&self, count: usize, budget: usize) -> impl Iterator<Item = &Said> {
        let mut bytes = 0;
        let taken = self
            .lines
            .iter()
            .rev()
            .take(count)
            .take_while(|said| {
                bytes += said.frame.len();
                bytes <= budget
            })
            .count();
        self.lines.range(self.lines.len() - taken..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(history: &mut History, text: &str) -> u64 {
        history.push(ClientId(1), Duration::from_secs(60), Bytes::from(format!("{text}\n")))
    }

    fn seqs<'a>(lines: impl Iterator<Item = &'a Said>) -> Vec<u64> {
        lines.map(|said| said.seq).collect()
    }

    #[test]
    fn keeps_the_last_lines_numbered_from_one() {
        let mut history = History::new(3);
        assert_eq!(history.last_seq(), 0);
        for (i, text) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            assert_eq!(said(&mut history, text), i as u64 + 1);
        }
        assert_eq!(history.len(), 3);
        assert_eq!(history.last_seq(), 5);
        assert_eq!(seqs(history.last(10, usize::MAX)), [3, 4, 5]);
        assert_eq!(seqs(history.last(2, usize::MAX)), [4, 5]);
        assert_eq!(seqs(history.last(0, usize::MAX)), [0u64; 0]);
    }

    #[test]
    fn replay_stops_at_the_byte_budget() {
        let mut history = History::new(10);
        for text in ["aaaa", "bbbb", "cccc"] {
            said(&mut history, text);
        }
        assert_eq!(seqs(history.last(10, 10)), [2, 3], "5 bytes a line");
        assert_eq!(seqs(history.last(10, 4)), [0u64; 0]);
    }

    fn stored(seq: u64, at_secs: u64) -> StoredLine {
        StoredLine { seq, at: crate::UnixMillis(at_secs * 1000), frame: Bytes::from(format!("{seq}\n")) }
    }

    #[test]
    fn a_restored_history_keeps_its_last_lines_and_numbers_on() {
        let lines = vec![stored(2, 1), stored(3, 2), stored(5, 3), stored(6, 4)];
        let mut history = History::restored(3, 7, lines.clone());
        assert_eq!(seqs(history.last(10, usize::MAX)), [3, 5, 6]);
        assert!(history.last(10, usize::MAX).all(|said| said.from.is_none()));
        assert_eq!(history.last(1, usize::MAX).next().unwrap().at, Duration::from_secs(4));
        assert_eq!(said(&mut history, "next"), 7);
        // A numbering behind its lines (never written so) still goes on after the last.
        let mut behind = History::restored(10, 2, lines);
        assert_eq!(said(&mut behind, "next"), 7);
        // Lines out of order (never written so) are skipped rather than numbered twice.
        let mut jumbled = History::restored(10, 1, vec![stored(4, 1), stored(2, 2)]);
        assert_eq!(seqs(jumbled.last(10, usize::MAX)), [4]);
        assert_eq!(said(&mut jumbled, "next"), 5);
        // Nothing kept but the numbering.
        let mut empty = History::restored(0, 41, vec![stored(40, 1)]);
        assert_eq!(empty.len(), 0);
        assert!(empty.has_begun());
        assert_eq!(said(&mut empty, "next"), 41);
        assert!(!History::restored(5, 1, Vec::new()).has_begun());
    }

    #[test]
    fn lines_said_before_a_cutoff_are_forgotten() {
        let mut history = History::restored(10, 1, vec![stored(1, 10), stored(2, 20), stored(3, 30)]);
        history.forget_before(Duration::from_secs(20));
        assert_eq!(seqs(history.last(10, usize::MAX)), [2, 3]);
        history.forget_before(Duration::from_secs(31));
        assert_eq!(history.len(), 0);
        assert_eq!(said(&mut history, "next"), 4, "forgetting keeps the numbering");
    }

    #[test]
    fn lines_numbered_by_a_stream_may_jump_but_never_go_back() {
        let mut history = History::new(5);
        let frame = || Bytes::from_static(b"x\n");
        assert!(history.push_numbered(3, ClientId(1), Duration::ZERO, frame()));
        assert!(history.push_numbered(7, ClientId(1), Duration::ZERO, frame()));
        assert!(!history.push_numbered(7, ClientId(1), Duration::ZERO, frame()), "no number twice");
        assert!(!history.push_numbered(5, ClientId(1), Duration::ZERO, frame()), "no going back");
        history.skip_to(9);
        assert!(!history.push_numbered(9, ClientId(1), Duration::ZERO, frame()));
        assert!(history.push_numbered(10, ClientId(1), Duration::ZERO, frame()));
        assert_eq!(seqs(history.last(10, usize::MAX)), [3, 7, 10]);
        assert_eq!(history.last_seq(), 10);
    }

    #[test]
    fn capacity_zero_numbers_lines_but_keeps_none() {
        let mut history = History::new(0);
        assert_eq!(said(&mut history, "a"), 1);
        assert_eq!(said(&mut history, "b"), 2);
        assert_eq!(history.len(), 0);
        assert_eq!(history.last_seq(), 2);
    }
}
