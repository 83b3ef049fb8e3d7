//! How many connections this process can hold: threads are not free.
//!
//! Each connection has two threads, and each thread costs four memory mappings (its stack and
//! guard page, and the signal stack std gives every thread and its guard page). Linux limits a
//! process to `vm.max_map_count` mappings (65,530 by default), and when std cannot map a new
//! thread's signal stack it aborts the whole process. So the spawner refuses connections beyond
//! the limit computed here, instead of letting one more connection kill the server.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Memory mappings per connection: two threads of four each.
const MAPS_PER_CONNECTION: usize = 8;
/// Mappings kept for everything else: libraries, heap arenas, the server's own threads.
const MAPS_RESERVED: usize = 1024;

/// Counts live connections against the most this process can hold.
#[derive(Debug)]
pub(crate) struct Capacity {
    limit: usize,
    live: Arc<AtomicUsize>,
}

impl Capacity {
    /// The capacity of this process, as far as the operating system tells (unlimited where it
    /// does not).
    pub(crate) fn of_this_process() -> Self {
        let limit = map_limit().unwrap_or(usize::MAX);
        if limit != usize::MAX {
            tracing::debug!(connections = limit, "this process can hold this many connections");
        }
        Self { limit, live: Arc::default() }
    }

    /// The most connections at once.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// A slot for one more connection, or `None` if the process is full.
    pub(crate) fn take(&self) -> Option<Slot> {
        let taken = self.live.fetch_update(Ordering::AcqRel, Ordering::Acquire, |live| {
            (live < self.limit).then_some(live + 1)
        });
        taken.ok().map(|_| Slot(Arc::clone(&self.live)))
    }
}

/// One connection's place in the [`Capacity`], given back when dropped (when its threads end).
#[derive(Debug)]
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Connections that fit in the mappings left to this process (Linux; `None` elsewhere).
fn map_limit() -> Option<usize> {
    let max: usize = fs::read_to_string("/proc/sys/vm/max_map_count").ok()?.trim().parse().ok()?;
    let used = fs::read_to_string("/proc/self/maps").ok()?.lines().count();
    Some(max.saturating_sub(used + MAPS_RESERVED) / MAPS_PER_CONNECTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_refused_at_the_limit_and_given_back_when_dropped() {
        let capacity = Capacity { limit: 2, live: Arc::default() };
        let first = capacity.take().expect("room for one");
        let _second = capacity.take().expect("room for two");
        assert!(capacity.take().is_none());
        drop(first);
        assert!(capacity.take().is_some());
    }
}
