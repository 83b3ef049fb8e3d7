//! [`Progress`]: a count that one thread raises and others wait on, with a deadline.

use std::sync::{Condvar, Mutex, PoisonError};

use crate::Deadline;

/// A count of things done (lines read, actions started) shared between test threads, so one
/// can wait for another without sleeping.
#[derive(Debug, Default)]
pub struct Progress {
    count: Mutex<usize>,
    changed: Condvar,
}

impl Progress {
    /// A count at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the count by one.
    pub fn advance(&self) {
        *self.count.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.changed.notify_all();
    }

    /// Raises the count to `count` (never lowers it).
    pub fn reach(&self, count: usize) {
        let mut current = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        if count > *current {
            *current = count;
            self.changed.notify_all();
        }
    }

    /// Waits until the count is at least `count`; panics at `deadline`, saying `what` it was
    /// waiting for.
    pub fn wait_for(&self, count: usize, deadline: Deadline, what: &str) {
        let current = self.count.lock().unwrap_or_else(PoisonError::into_inner);
        let (current, timeout) = self
            .changed
            .wait_timeout_while(current, deadline.remaining().unwrap_or_default(), |current| *current < count)
            .unwrap_or_else(PoisonError::into_inner);
        assert!(
            !timeout.timed_out(),
            "waited {:?} for {what} to reach {count}, it is at {}",
            deadline.budget(),
            *current
        );
    }
}
