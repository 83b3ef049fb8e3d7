//! [`WakeCell`]: the event loop's wake function, known only once the runtime starts, shared
//! with threads started before.

use std::sync::{Arc, Mutex, PoisonError};

use chat_core::kit::Wake;

/// Holds the wake function; until it is set, waking does nothing (the runtime drains every
/// answer ready when it starts anyway).
#[derive(Clone, Default)]
pub(crate) struct WakeCell(Arc<Mutex<Option<Wake>>>);

impl WakeCell {
    /// From now on, [`wake`](Self::wake) calls `wake`.
    pub(crate) fn set(&self, wake: Wake) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(wake);
    }

    /// Wakes the event loop, if it said how.
    pub(crate) fn wake(&self) {
        let wake = self.0.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(wake) = wake {
            wake();
        }
    }
}
