//! The deadline for an unfinished line: bytes without a newline may not wait forever.
//!
//! A client that trickles bytes and never ends a line (slowloris) would otherwise hold its
//! connection and a line's worth of memory for ever. When a line has been unfinished for
//! [`Config::line_timeout`](crate::Config::line_timeout), it is dropped with a notice (and the
//! rest of it, up to the next newline, is skipped); if that newline does not come within the
//! same time again, the connection is closed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

use crate::ClientId;

/// One client's unfinished line.
#[derive(Debug, Default)]
pub(crate) struct Unfinished {
    /// When the unfinished line began (or was dropped), if a line is unfinished.
    since: Option<Instant>,
    /// The line was dropped already: next time, the connection is closed.
    dropped: bool,
    /// The client has an entry in [`Deadlines`] (at most one at a time).
    armed: bool,
}

/// What to do about a client whose unfinished line is due.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    /// Drop the unfinished line and tell the client.
    DropLine,
    /// The line is still not finished after it was dropped: close the connection.
    Close,
}

impl Unfinished {
    /// Notes what the client's latest bytes did: whether a newline came, and whether a line is
    /// unfinished now. Arms a deadline in `deadlines` if one is needed.
    pub(crate) fn update(
        &mut self,
        id: ClientId,
        newline: bool,
        mid_line: bool,
        now: Instant,
        deadlines: &mut Deadlines,
    ) {
        if newline {
            self.since = None;
            self.dropped = false;
        }
        if !mid_line {
            self.since = None;
            return;
        }
        let since = *self.since.get_or_insert(now);
        self.arm(id, since, deadlines);
    }

    /// A deadline entry for this client came due at `now`: what to do, if anything. A stale
    /// entry (the line ended, or a newer line began) re-arms for the current line.
    pub(crate) fn expire(
        &mut self,
        id: ClientId,
        now: Instant,
        deadlines: &mut Deadlines,
    ) -> Option<Expired> {
        self.armed = false;
        let since = self.since?;
        if since + deadlines.timeout > now {
            self.arm(id, since, deadlines);
            return None;
        }
        if self.dropped {
            self.since = None;
            return Some(Expired::Close);
        }
        self.dropped = true;
        self.since = Some(now);
        self.arm(id, now, deadlines);
        Some(Expired::DropLine)
    }

    fn arm(&mut self, id: ClientId, since: Instant, deadlines: &mut Deadlines) {
        if !self.armed {
            self.armed = true;
            deadlines.heap.push(Reverse((since + deadlines.timeout, id)));
        }
    }
}

/// The clients' unfinished-line deadlines, earliest first. An entry may be stale; whoever pops
/// it asks the client's [`Unfinished`].
#[derive(Debug)]
pub(crate) struct Deadlines {
    timeout: Duration,
    heap: BinaryHeap<Reverse<(Instant, ClientId)>>,
}

impl Deadlines {
    /// Deadlines `timeout` after a line begins.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self { timeout, heap: BinaryHeap::new() }
    }

    /// The earliest deadline, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes the next entry due at `now`, if any.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<ClientId> {
        let &Reverse((at, id)) = self.heap.peek()?;
        (at <= now).then(|| {
            self.heap.pop();
            id
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: ClientId = ClientId(7);

    #[test]
    fn an_unfinished_line_is_dropped_then_the_connection_closed() {
        let t0 = Instant::now();
        let secs = |n| t0 + Duration::from_secs(n);
        let mut deadlines = Deadlines::new(Duration::from_secs(30));
        let mut line = Unfinished::default();
        line.update(ID, false, true, t0, &mut deadlines);
        line.update(ID, false, true, secs(10), &mut deadlines);
        assert_eq!(deadlines.next(), Some(secs(30)), "one deadline, from the line's first byte");
        assert_eq!(deadlines.pop_due(secs(29)), None);
        assert_eq!(deadlines.pop_due(secs(30)), Some(ID));
        assert_eq!(line.expire(ID, secs(30), &mut deadlines), Some(Expired::DropLine));
        assert_eq!(deadlines.pop_due(secs(60)), Some(ID));
        assert_eq!(line.expire(ID, secs(60), &mut deadlines), Some(Expired::Close));
        assert_eq!(deadlines.next(), None);
    }

    #[test]
    fn a_newline_in_time_forgives_and_a_new_line_starts_its_own_clock() {
        let t0 = Instant::now();
        let secs = |n| t0 + Duration::from_secs(n);
        let mut deadlines = Deadlines::new(Duration::from_secs(30));
        let mut line = Unfinished::default();
        line.update(ID, false, true, t0, &mut deadlines);
        line.update(ID, true, true, secs(20), &mut deadlines);
        assert_eq!(deadlines.pop_due(secs(30)), Some(ID));
        assert_eq!(line.expire(ID, secs(30), &mut deadlines), None, "the new line began at 20 s");
        assert_eq!(deadlines.next(), Some(secs(50)));
        line.update(ID, true, false, secs(40), &mut deadlines);
        assert_eq!(deadlines.pop_due(secs(50)), Some(ID));
        assert_eq!(line.expire(ID, secs(50), &mut deadlines), None);
        assert_eq!(deadlines.next(), None);
    }
}
