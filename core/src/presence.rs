//! Join and offline notices in a big room, coalesced into one summary line per interval.
//!
//! When everyone arrives at once, one notice per person to everyone costs n² deliveries. Above
//! [`Config::presence_batch_above`](crate::Config::presence_batch_above) clients, the server
//! collects joins and departures here and sends one summary line of each kind per
//! [`Config::presence_interval`](crate::Config::presence_interval).

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::protocol::wire;

/// Names and counts waiting for the next summary.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    joined: Batch,
    left: Batch,
    due: Option<Instant>,
}

#[derive(Debug, Default)]
struct Batch {
    count: usize,
    names: Vec<String>,
}

impl Batch {
    fn add(&mut self, name: String) {
        self.count += 1;
        if self.names.len() < wire::NAMES_SHOWN {
            self.names.push(name);
        }
    }

    fn take(&mut self, render: fn(usize, std::slice::Iter<'_, String>) -> Bytes) -> Option<Bytes> {
        let batch = std::mem::take(self);
        (batch.count > 0).then(|| render(batch.count, batch.names.iter()))
    }
}

impl Presence {
    /// Records that `name` joined; the summary is due one `interval` after the first record.
    pub(crate) fn joined(&mut self, name: &str, now: Instant, interval: Duration) {
        self.joined.add(name.to_owned());
        self.due.get_or_insert(now + interval);
    }

    /// Records that `name` left, `reason` as shown in the summary.
    pub(crate) fn left(
        &mut self,
        name: &str,
        reason: &impl std::fmt::Display,
        now: Instant,
        interval: Duration,
    ) {
        self.left.add(format!("{name} ({reason})"));
        self.due.get_or_insert(now + interval);
    }

    /// When the next summary is due, if any is pending.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.due
    }

    /// The summary lines, if they are due at `now`: joins first, then departures.
    pub(crate) fn take_due(&mut self, now: Instant) -> impl Iterator<Item = Bytes> + use<> {
        let due = self.due.is_some_and(|due| due <= now);
        let (joined, left) = if due {
            self.due = None;
            (
                self.joined.take(|n, names| wire::joined_many(n, names.map(String::as_str))),
                self.left.take(|n, names| wire::offline_many(n, names.map(String::as_str))),
            )
        } else {
            (None, None)
        };
        joined.into_iter().chain(left)
    }

    /// Forgets everything pending (at shutdown).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }
}
