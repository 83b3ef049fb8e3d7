//! [`Running`] and [`Stopper`]: handles to a server started with [`spawn_with`](crate::spawn_with).

use std::convert::Infallible;
use std::thread::JoinHandle;

use smol::channel::Sender;

use crate::Error;

/// A running server. Dropping it without [`wait`](Self::wait) starts a graceful shutdown and
/// lets it finish in the background.
#[derive(Debug)]
pub struct Running {
    pub(crate) stopper: Stopper,
    pub(crate) thread: Option<JoinHandle<()>>,
}

impl Running {
    /// A handle that starts graceful shutdown from anywhere (a signal handler thread, a test).
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Blocks until the server has shut down (after a [`Stopper::stop`]) and its thread has
    /// ended.
    pub fn wait(mut self) -> Result<(), Error> {
        match self.thread.take().map(JoinHandle::join) {
            Some(Err(_)) => Err(Error::Panicked),
            Some(Ok(())) | None => Ok(()),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stopper.stop();
        }
    }
}

/// Starts graceful shutdown: every client gets the shutdown notice, queued output gets the
/// core's grace period, then every connection is closed and the server thread ends.
/// [`stop`](Self::stop) is idempotent and can be called from any thread.
#[derive(Clone, Debug)]
pub struct Stopper {
    /// Closing the channel is the signal: it wakes the event loop, and closing twice is harmless.
    pub(crate) signal: Sender<Infallible>,
}

impl Stopper {
    /// Starts graceful shutdown (once; later calls do nothing).
    pub fn stop(&self) {
        self.signal.close();
    }
}
