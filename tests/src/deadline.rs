//! Bounded waiting: every wait in the suite ends at a [`Deadline`].

use std::time::{Duration, Instant};

/// How long a single expected event may take before the test fails. Generous, because a
/// debug build on a loaded two-core machine can stall for a while; a correct server answers
/// in milliseconds, so only a hang ever reaches it.
pub const WAIT: Duration = Duration::from_secs(20);

/// A point in time after which waiting is a failure.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

impl Deadline {
    /// A deadline `budget` from now.
    pub fn after(budget: Duration) -> Self {
        Self { at: Instant::now() + budget, budget }
    }

    /// The default deadline for one expected event: [`WAIT`] from now.
    pub fn standard() -> Self {
        Self::after(WAIT)
    }

    /// Time left, or `None` once the deadline has passed.
    pub fn remaining(&self) -> Option<Duration> {
        self.at.checked_duration_since(Instant::now()).filter(|left| !left.is_zero())
    }

    /// The whole budget this deadline was given, for failure messages.
    pub fn budget(&self) -> Duration {
        self.budget
    }
}
