//! [`AcceptBackoff`]: what a runtime does when taking a new connection fails.

use std::io::{self, ErrorKind};
use std::time::Duration;

/// The policy for errors from `accept` (and anything else a runtime does to take a new
/// connection, such as starting its threads), the same in every runtime.
///
/// - An error about **one connection** (it was aborted or reset before it was accepted, a
///   network error pending on it, or a signal) is skipped: the next `accept` may proceed at once.
/// - Any other error (EMFILE or ENFILE: out of file descriptors; ENOBUFS, ENOMEM; EAGAIN from
///   starting a thread) lasts until something changes, so the runtime pauses before trying
///   again, neither spinning nor giving up: 10 ms after the first failure, doubling while
///   failures go on, up to 250 ms.
///
/// It logs for the runtime: one warning per episode of failures (the first), the rest at debug
/// level, and a note when taking connections works again.
///
/// ```
/// use std::io::{Error, ErrorKind};
/// use std::time::Duration;
/// use chat_core::kit::AcceptBackoff;
///
/// let mut backoff = AcceptBackoff::new();
/// assert_eq!(backoff.on_error(&Error::from(ErrorKind::ConnectionAborted)), None);
/// let emfile = Error::from_raw_os_error(24);
/// assert_eq!(backoff.on_error(&emfile), Some(Duration::from_millis(10)));
/// assert_eq!(backoff.on_error(&emfile), Some(Duration::from_millis(20)));
/// backoff.on_success();
/// assert_eq!(backoff.on_error(&emfile), Some(Duration::from_millis(10)));
/// ```
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    /// Lasting failures in a row.
    failures: u32,
}

impl AcceptBackoff {
    /// The pause after the first lasting failure of an episode.
    pub const FIRST_PAUSE: Duration = Duration::from_millis(10);
    /// The longest pause, however long failures go on.
    pub const MAX_PAUSE: Duration = Duration::from_millis(250);

    /// No failure yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes note of a failure to take a new connection. Returns `None` if it was about that
    /// one connection (skip it and go on at once), or how long to pause before trying again.
    pub fn on_error(&mut self, error: &io::Error) -> Option<Duration> {
        if is_about_one_connection(error.kind()) {
            tracing::debug!(%error, "a connection failed before it was taken; skipped");
            return None;
        }
        let pause = Self::FIRST_PAUSE.saturating_mul(1 << self.failures.min(8)).min(Self::MAX_PAUSE);
        if self.failures == 0 {
            tracing::warn!(
                %error,
                "cannot take new connections; retrying every {} ms or less (further failures are \
                 logged at debug level)",
                Self::MAX_PAUSE.as_millis()
            );
        } else {
            tracing::debug!(%error, "cannot take new connections; retrying in {} ms", pause.as_millis());
        }
        self.failures = self.failures.saturating_add(1);
        Some(pause)
    }

    /// Takes note that a new connection was taken: an episode of failures, if any, is over.
    pub fn on_success(&mut self) {
        if self.failures > 0 {
            tracing::info!(failures = self.failures, "taking new connections again");
            self.failures = 0;
        }
    }
}

/// Errors that concern only the connection being accepted, not the listener or the process.
/// Linux passes network errors already pending on a new connection to `accept`, and asks
/// servers to retry at once after them.
fn is_about_one_connection(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionReset
            | ErrorKind::Interrupted
            | ErrorKind::TimedOut
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(kind: ErrorKind) -> io::Error {
        io::Error::from(kind)
    }

    #[test]
    fn errors_about_one_connection_are_skipped_without_a_pause() {
        let mut backoff = AcceptBackoff::new();
        for kind in [ErrorKind::ConnectionAborted, ErrorKind::ConnectionReset, ErrorKind::Interrupted] {
            assert_eq!(backoff.on_error(&error(kind)), None, "{kind:?}");
        }
        // They do not start an episode either.
        assert_eq!(backoff.on_error(&error(ErrorKind::OutOfMemory)), Some(AcceptBackoff::FIRST_PAUSE));
    }

    #[test]
    fn lasting_errors_pause_longer_and_longer_up_to_the_most() {
        let mut backoff = AcceptBackoff::new();
        let emfile = io::Error::from_raw_os_error(24);
        let pauses: Vec<u64> =
            (0..8).map(|_| backoff.on_error(&emfile).expect("a pause").as_millis() as u64).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 250, 250, 250]);
        // A per-connection error in between does not reset the episode.
        assert_eq!(backoff.on_error(&error(ErrorKind::ConnectionReset)), None);
        assert_eq!(backoff.on_error(&emfile), Some(AcceptBackoff::MAX_PAUSE));
    }

    #[test]
    fn a_success_ends_the_episode() {
        let mut backoff = AcceptBackoff::new();
        let enobufs = io::Error::from_raw_os_error(105);
        backoff.on_error(&enobufs);
        backoff.on_error(&enobufs);
        backoff.on_success();
        assert_eq!(backoff.on_error(&enobufs), Some(AcceptBackoff::FIRST_PAUSE));
    }

    #[test]
    fn an_endless_episode_never_overflows() {
        let mut backoff = AcceptBackoff { failures: u32::MAX - 1 };
        let emfile = io::Error::from_raw_os_error(24);
        assert_eq!(backoff.on_error(&emfile), Some(AcceptBackoff::MAX_PAUSE));
        assert_eq!(backoff.on_error(&emfile), Some(AcceptBackoff::MAX_PAUSE));
    }
}
