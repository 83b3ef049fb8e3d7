//! Asking the server to stop, from any thread.

use crossbeam_channel::Sender;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::event::Progress;

/// Starts graceful shutdown: every client gets the shutdown notice, queued output gets the core's
/// grace period, then every connection closes and [`Running::wait`](crate::Running::wait)
/// returns. Cheap to clone, usable from any thread (a signal handler thread, a test);
/// [`stop`](Self::stop) is idempotent and never blocks.
#[derive(Clone, Debug)]
pub struct Stopper(pub(crate) Arc<StopRequest>);

impl Stopper {
    /// Asks the server to shut down. Does nothing if it was asked before or has ended.
    pub fn stop(&self) {
        self.0.request();
    }
}

/// The shared flag behind [`Stopper`], which the core thread checks before it waits.
#[derive(Debug)]
pub(crate) struct StopRequest {
    requested: AtomicBool,
    wake: Sender<Progress>,
}

impl StopRequest {
    /// A request not made yet; `wake` reaches the core thread.
    pub(crate) fn new(wake: Sender<Progress>) -> Self {
        Self { requested: AtomicBool::new(false), wake }
    }

    /// Sets the flag and wakes the core thread. If the progress queue is full, the core thread is
    /// busy and sees the flag before it next waits, so the wake-up is never lost and the
    /// caller never blocks.
    pub(crate) fn request(&self) {
        if !self.requested.swap(true, Ordering::AcqRel) {
            let _ = self.wake.try_send(Progress::Wake);
        }
    }

    /// Whether shutdown was asked for.
    pub(crate) fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }
}
