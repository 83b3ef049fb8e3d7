//! [`Stats`]: what the server has done since it started, as plain numbers, for an operator's
//! `/metrics` page. [`Server::stats`](crate::Server::stats) copies them out; counting costs an
//! addition where the thing happens.

use std::time::Duration;

/// Why the server dropped a connection or turned one away. More reasons may come (bans), so
/// match with a wildcard arm and list them with [`DropReason::ALL`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// Its socket stopped taking bytes with too much queued (see
    /// [`Config::max_queue`](crate::Config::max_queue)), or it was stuck while the server was
    /// over its memory budget.
    Slow,
    /// It kept sending over the flood limit.
    Flood,
    /// It left a line unfinished for too long.
    UnfinishedLine,
    /// The server was full ([`Config::max_clients`](crate::Config::max_clients)).
    Full,
    /// Its address had too many connections, or opened them too often.
    PerAddress,
    /// It did not become a client in time (a TLS handshake that never finished, an HTTP
    /// connection that never upgraded): see
    /// [`Config::handshake_timeout`](crate::Config::handshake_timeout).
    Handshake,
    /// Its address (or account) is banned.
    Banned,
}

impl DropReason {
    /// Every reason, in the order [`Drops`] keeps them.
    pub const ALL: [DropReason; 7] = [
        DropReason::Slow,
        DropReason::Flood,
        DropReason::UnfinishedLine,
        DropReason::Full,
        DropReason::PerAddress,
        DropReason::Handshake,
        DropReason::Banned,
    ];

    /// A short lower-case name, for a metric's label: `slow`, `flood`, `unfinished_line`,
    /// `full`, `per_ip`, `handshake`, `banned`.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Slow => "slow",
            DropReason::Flood => "flood",
            DropReason::UnfinishedLine => "unfinished_line",
            DropReason::Full => "full",
            DropReason::PerAddress => "per_ip",
            DropReason::Handshake => "handshake",
            DropReason::Banned => "banned",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

// A reason added to the enum must be added to `ALL` too (last in both).
const _: () = assert!(DropReason::Banned as usize + 1 == DropReason::ALL.len());

/// Connections dropped or turned away, by [`DropReason`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Drops([u64; DropReason::ALL.len()]);

impl Drops {
    /// How many were dropped for `reason`.
    pub fn get(&self, reason: DropReason) -> u64 {
        self.0[reason.index()]
    }

    /// Every reason with its count.
    pub fn iter(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL.into_iter().map(|reason| (reason, self.get(reason)))
    }

    pub(crate) fn count(&mut self, reason: DropReason) {
        self.0[reason.index()] += 1;
    }
}

/// How late the event loop served the core's timers: a histogram of the time between the
/// instant the core asked to be woken ([`Server::poll_timeout`](crate::Server::poll_timeout))
/// and the instant of the first input fed after it. An idle loop wakes on time; a busy one
/// (a flood being fanned out, a blocked thread) serves every timer late by as long as it was
/// busy, which is what this shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lateness {
    /// Observations in each bucket of [`Lateness::BOUNDS`] (not cumulative), the last one
    /// above every bound.
    buckets: [u64; Lateness::BOUNDS.len() + 1],
    sum: Duration,
}

impl Lateness {
    /// The upper bounds of the buckets (inclusive); one more bucket holds the rest.
    pub const BOUNDS: [Duration; 9] = [
        Duration::from_micros(500),
        Duration::from_millis(1),
        Duration::from_millis(5),
        Duration::from_millis(10),
        Duration::from_millis(50),
        Duration::from_millis(100),
        Duration::from_millis(500),
        Duration::from_secs(1),
        Duration::from_secs(5),
    ];

    /// Records one timer served `late`.
    pub fn observe(&mut self, late: Duration) {
        let bucket = Self::BOUNDS.iter().position(|bound| late <= *bound).unwrap_or(Self::BOUNDS.len());
        self.buckets[bucket] += 1;
        self.sum += late;
    }

    /// Each bucket's upper bound (`None` for the last, unbounded one) with how many
    /// observations fell in it (not cumulative).
    pub fn buckets(&self) -> impl Iterator<Item = (Option<Duration>, u64)> + '_ {
        Self::BOUNDS.iter().copied().map(Some).chain([None]).zip(self.buckets.iter().copied())
    }

    /// How many timers were observed.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// How late they were, in all.
    pub fn sum(&self) -> Duration {
        self.sum
    }
}

/// What the server has done since it started ([`Server::stats`](crate::Server::stats)):
/// counters that only grow, and gauges of the moment. Plain data, cheap to copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Lines received from clients (every framed line, blank and too long ones included).
    pub lines_received: u64,
    /// Frames handed to the runtime for clients (`Output::Transmit`): one per recipient of a
    /// line, notice or reply (lines one client said in a row, read together, share one).
    pub deliveries: u64,
    /// Bytes of those frames.
    pub delivered_bytes: u64,
    /// Connections dropped or turned away, by reason.
    pub drops: Drops,
    /// How late the event loop served the core's timers.
    pub lateness: Lateness,
    /// Gauge: clients connected now.
    pub clients: usize,
    /// Gauge: rooms that exist now.
    pub rooms: usize,
    /// Gauge: what the output queued for clients costs now, in bytes
    /// ([`Server::queued_memory`](crate::Server::queued_memory)).
    pub queued_bytes: usize,
}

impl Stats {
    /// Counts `frames` frames of `len` bytes handed out.
    pub(crate) fn count_deliveries(&mut self, frames: u64, len: u64) {
        self.deliveries += frames;
        self.delivered_bytes += frames * len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lateness_falls_in_the_first_bucket_that_bounds_it() {
        let mut lateness = Lateness::default();
        lateness.observe(Duration::ZERO);
        lateness.observe(Duration::from_millis(1));
        lateness.observe(Duration::from_millis(2));
        lateness.observe(Duration::from_secs(60));
        let buckets: Vec<(Option<Duration>, u64)> = lateness.buckets().filter(|(_, n)| *n > 0).collect();
        assert_eq!(
            buckets,
            [
                (Some(Duration::from_micros(500)), 1),
                (Some(Duration::from_millis(1)), 1),
                (Some(Duration::from_millis(5)), 1),
                (None, 1)
            ]
        );
        assert_eq!(lateness.count(), 4);
        assert_eq!(lateness.sum(), Duration::from_millis(60_003));
    }

    #[test]
    fn every_reason_has_its_own_count_and_name() {
        let mut drops = Drops::default();
        drops.count(DropReason::Flood);
        drops.count(DropReason::Flood);
        drops.count(DropReason::PerAddress);
        let counted: Vec<(&str, u64)> = drops.iter().map(|(reason, n)| (reason.as_str(), n)).collect();
        assert_eq!(
            counted,
            [
                ("slow", 0),
                ("flood", 2),
                ("unfinished_line", 0),
                ("full", 0),
                ("per_ip", 1),
                ("handshake", 0),
                ("banned", 0)
            ]
        );
    }
}
