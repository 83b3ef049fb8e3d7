//! Counting what one receiver got from each sender: in order, lost, duplicated, out of order.

/// What one receiver saw from one sender. A healthy server delivers every line once, in order,
/// so the common case is one comparison; a bitmap of seen sequence numbers is only made after
/// the first anomaly, to tell duplicates from late arrivals exactly.
#[derive(Debug, Default)]
struct Track {
    /// The sequence number expected next if all is well: everything below was seen.
    next: u32,
    /// Distinct lines seen.
    distinct: u32,
    /// Set after the first anomaly: one bit per sequence number seen.
    seen: Option<Vec<u64>>,
}

/// Delivery counts, added up over receivers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Lines delivered intact (first copies only).
    pub delivered: u64,
    /// Lines delivered again after their first copy.
    pub duplicated: u64,
    /// Lines that arrived after a later line of the same sender.
    pub out_of_order: u64,
    /// Lines of this run that arrived mangled (split, merged, truncated).
    pub corrupted: u64,
}

impl Counts {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Counts) {
        self.delivered += other.delivered;
        self.duplicated += other.duplicated;
        self.out_of_order += other.out_of_order;
        self.corrupted += other.corrupted;
    }
}

/// One receiver's view of every sender.
#[derive(Debug)]
pub struct Tally {
    tracks: Vec<Track>,
}

/// What [`Tally::record`] made of one line.
#[derive(Debug, PartialEq, Eq)]
pub enum Seen {
    /// A first copy after every line seen so far from this sender (lines skipped over are
    /// lost unless they turn up later).
    InOrder,
    /// A first copy that arrived after a later line from the same sender.
    OutOfOrder,
    /// A copy of a line already seen.
    Duplicate,
}

impl Tally {
    /// Tracks `senders` senders.
    pub fn new(senders: usize) -> Self {
        Self { tracks: (0..senders).map(|_| Track::default()).collect() }
    }

    /// Records line `seq` from `sender`; `None` if there is no such sender.
    pub fn record(&mut self, sender: u16, seq: u32) -> Option<Seen> {
        let track = self.tracks.get_mut(usize::from(sender))?;
        if track.seen.is_none() && seq == track.next {
            track.next += 1;
            track.distinct += 1;
            return Some(Seen::InOrder);
        }
        let seen = track.seen.get_or_insert_with(|| {
            let mut bits = vec![u64::MAX; track.next as usize / 64];
            let rest = track.next % 64;
            if rest > 0 {
                bits.push((1u64 << rest) - 1);
            }
            bits
        });
        let (word, bit) = (seq as usize / 64, 1u64 << (seq % 64));
        if word >= seen.len() {
            seen.resize(word + 1, 0);
        }
        if seen[word] & bit != 0 {
            return Some(Seen::Duplicate);
        }
        seen[word] |= bit;
        track.distinct += 1;
        let late = seq < track.next;
        track.next = track.next.max(seq + 1);
        Some(if late { Seen::OutOfOrder } else { Seen::InOrder })
    }

    /// How many senders are tracked.
    pub fn senders(&self) -> usize {
        self.tracks.len()
    }

    /// Distinct lines seen from `sender`.
    pub fn distinct(&self, sender: usize) -> u32 {
        self.tracks.get(sender).map_or(0, |t| t.distinct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_lines_need_no_bitmap() {
        let mut tally = Tally::new(2);
        for seq in 0..1000 {
            assert_eq!(tally.record(1, seq), Some(Seen::InOrder));
        }
        assert!(tally.tracks[1].seen.is_none());
        assert_eq!(tally.distinct(1), 1000);
        assert_eq!(tally.record(2, 0), None);
    }

    #[test]
    fn tells_duplicates_from_late_lines() {
        let mut tally = Tally::new(1);
        for seq in 0..70 {
            tally.record(0, seq);
        }
        assert_eq!(tally.record(0, 72), Some(Seen::InOrder));
        assert_eq!(tally.record(0, 70), Some(Seen::OutOfOrder));
        assert_eq!(tally.record(0, 72), Some(Seen::Duplicate));
        assert_eq!(tally.record(0, 3), Some(Seen::Duplicate));
        assert_eq!(tally.record(0, 73), Some(Seen::InOrder));
        assert_eq!(tally.distinct(0), 73);
    }
}
