//! How many connections this process can hold: threads are not free.
//!
//! Each connection has two threads, and each thread costs four memory mappings (its stack and
//! guard page, and the signal stack std gives every thread and its guard page). Linux limits a
//! process to `vm.max_map_count` mappings (65,530 by default), and when std cannot map a new
//! thread's signal stack it aborts the whole process. So the spawners refuse connections beyond
//! the limit computed here (one for the whole process, which all its servers share), instead of
//! letting one more connection kill the server. Those connections are sent the core's "server
//! is full" line first ([`crate::refuse`]), as any refused connection is.

use std::fs;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Memory mappings per connection: two threads of four each.
const MAPS_PER_CONNECTION: usize = 8;
/// Mappings kept for everything else: libraries, heap arenas, the servers' own threads, and
/// other threads of the program.
const MAPS_RESERVED: usize = 1024;

/// The live connections of every server in this process, which share its mappings.
static PROCESS: Capacity = Capacity::new();

/// Counts live connections against the most a process can hold.
#[derive(Debug)]
pub(crate) struct Capacity {
    /// What the operating system allows, worked out once.
    limit: OnceLock<usize>,
    /// A lower limit set by the program ([`set_max_connections`]); `usize::MAX` when none.
    cap: AtomicUsize,
    live: AtomicUsize,
}

/// Caps the connections that the std servers of this process hold at once (two threads each)
/// at `max`, below what the operating system allows (about 8,000 on a default Linux).
///
/// The cap is for the whole process, shared by all its servers; a server started later lowers
/// its `max_clients` to it (less a margin for refusals), and connections beyond it are turned
/// away with the core's "server is full" line. Use it to keep threads for other work in the
/// process, or to see what a crowd larger than the cap gets.
pub fn set_max_connections(max: usize) {
    PROCESS.cap.store(max, Ordering::Release);
}

impl Capacity {
    const fn new() -> Self {
        Self { limit: OnceLock::new(), cap: AtomicUsize::new(usize::MAX), live: AtomicUsize::new(0) }
    }

    /// The capacity of this process, shared by every server in it.
    pub(crate) fn of_this_process() -> &'static Self {
        &PROCESS
    }

    /// The most connections at once: what the operating system allows (unlimited where it does
    /// not tell; worked out on first use from the mappings left then), or the program's cap if
    /// lower.
    pub(crate) fn limit(&self) -> usize {
        let allowed = *self.limit.get_or_init(|| map_limit().unwrap_or(usize::MAX));
        allowed.min(self.cap.load(Ordering::Acquire))
    }

    /// A slot for one more connection, or `None` if the process is full.
    pub(crate) fn take(&'static self) -> Option<Slot> {
        let limit = self.limit();
        let taken = self
            .live
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |live| (live < limit).then_some(live + 1));
        taken.ok().map(|_| Slot(&self.live))
    }
}

/// One connection's place in the [`Capacity`], given back when dropped (when its threads end).
#[derive(Debug)]
pub(crate) struct Slot(&'static AtomicUsize);

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
        let capacity: &'static Capacity = Box::leak(Box::new(Capacity::new()));
        capacity.limit.set(2).unwrap();
        let first = capacity.take().expect("room for one");
        let _second = capacity.take().expect("room for two");
        assert!(capacity.take().is_none());
        drop(first);
        assert!(capacity.take().is_some());
    }

    #[test]
    fn a_cap_below_the_system_limit_applies() {
        let capacity: &'static Capacity = Box::leak(Box::new(Capacity::new()));
        capacity.limit.set(3).unwrap();
        capacity.cap.store(1, Ordering::Release);
        assert_eq!(capacity.limit(), 1);
        let _only = capacity.take().expect("room for one");
        assert!(capacity.take().is_none());
        capacity.cap.store(10, Ordering::Release);
        assert_eq!(capacity.limit(), 3, "a cap above the system's limit changes nothing");
    }
}
