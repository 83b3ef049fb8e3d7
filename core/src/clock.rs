//! Wall-clock time without a clock: what time it was when the core handled an input.
//!
//! The core never reads a clock. [`Server::new`](crate::Server::new) is told which wall-clock
//! time its first `now` corresponds to, and every later instant is mapped from there, so a line's
//! time is derived from the `Instant` it was handled at and tests on the simulated clock are
//! deterministic.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Maps the core's instants to wall-clock time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WallClock {
    origin: Instant,
    /// Seconds since the Unix epoch at `origin` (0 for a time before 1970).
    origin_wall: Duration,
}

impl WallClock {
    /// `origin` happened at wall-clock time `wall`.
    pub(crate) fn new(origin: Instant, wall: SystemTime) -> Self {
        Self { origin, origin_wall: wall.duration_since(UNIX_EPOCH).unwrap_or_default() }
    }

    /// The wall-clock time of `at`, as time since the Unix epoch.
    pub(crate) fn at(&self, at: Instant) -> Duration {
        match at.checked_duration_since(self.origin) {
            Some(later) => self.origin_wall.saturating_add(later),
            None => self.origin_wall.saturating_sub(self.origin.saturating_duration_since(at)),
        }
    }
}

/// `HH:MM` in UTC of a time since the Unix epoch.
pub(crate) fn hours_minutes(since_epoch: Duration) -> (u8, u8) {
    let of_day = since_epoch.as_secs() % 86_400;
    ((of_day / 3_600) as u8, (of_day % 3_600 / 60) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_map_to_wall_time() {
        let origin = Instant::now();
        // 2026-11-28 14:03:30 UTC.
        let wall = UNIX_EPOCH + Duration::from_secs(1_795_874_610);
        let clock = WallClock::new(origin, wall);
        assert_eq!(hours_minutes(clock.at(origin)), (14, 3));
        assert_eq!(hours_minutes(clock.at(origin + Duration::from_secs(30))), (14, 4));
        assert_eq!(hours_minutes(clock.at(origin + Duration::from_secs(10 * 3_600))), (0, 3));
    }

    #[test]
    fn a_time_before_the_epoch_counts_as_the_epoch() {
        let origin = Instant::now();
        let clock = WallClock::new(origin, UNIX_EPOCH - Duration::from_secs(5));
        assert_eq!(clock.at(origin), Duration::ZERO);
    }
}
