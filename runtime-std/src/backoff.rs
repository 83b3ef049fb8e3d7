//! Pausing after resource errors without spinning or giving up.

use std::thread;
use std::time::Duration;

/// First pause after an error.
const FIRST: Duration = Duration::from_millis(10);
/// Longest pause while errors go on.
const MAX: Duration = Duration::from_millis(250);

/// Pauses that grow while an operation keeps failing for lack of a resource (EMFILE, too many
/// open files, from `accept`; EAGAIN from starting a thread), so the thread neither spins nor
/// gives up. The pause is a `park_timeout`: unparking the thread ends it early, which is how
/// shutdown reaches a thread that is backing off.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// Failures in a row.
    failures: u32,
}

impl Backoff {
    /// Logs `failure` (a warning for the first of a streak) and pauses.
    pub(crate) fn pause(&mut self, failure: &str) {
        let delay = FIRST.saturating_mul(1 << self.failures.min(8)).min(MAX);
        if self.failures == 0 {
            tracing::warn!("{failure}; retrying every {} ms or less", MAX.as_millis());
        } else {
            tracing::debug!("{failure}; retrying in {} ms", delay.as_millis());
        }
        self.failures = self.failures.saturating_add(1);
        // A spurious wake-up only retries early.
        thread::park_timeout(delay);
    }

    /// The operation works again.
    pub(crate) fn reset(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "working again after failures");
            self.failures = 0;
        }
    }
}
