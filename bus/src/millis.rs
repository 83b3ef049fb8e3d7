//! Durations as Redis takes them: whole milliseconds.

use std::time::Duration;

/// `duration` in whole milliseconds, saturating, and at least 1: to Redis a block time of 0
/// means forever, and an expiry of 0 deletes the key at once.
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX).max(1)
}
