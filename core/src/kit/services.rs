//! [`Services`]: what a runtime hands the core's service requests to.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::{PasswordOutcome, PasswordRequest, Reply, Request};

/// Called from a service thread when a reply is ready, to wake the event loop.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// The threads beside the event loop (database writer, password hashing, bus bridge) as one
/// object a runtime owns. A runtime calls [`request`](Services::request) for every
/// [`Output::Service`](crate::Output::Service), and after every wake-up feeds what
/// [`try_reply`](Services::try_reply) returns to the core as
/// [`Input::Service`](crate::Input::Service). No method may block the event loop.
pub trait Services: Send {
    /// Registers the function that wakes the event loop when a reply is ready. Called once,
    /// before any other method, from the event loop's thread.
    fn set_wake(&mut self, wake: Wake);

    /// Takes `request` without waiting (a full queue is answered or counted, never waited on).
    fn request(&mut self, request: Request);

    /// The next reply ready, if any.
    fn try_reply(&mut self) -> Option<Reply>;

    /// The server stopped: finish what was asked (write what is queued) and stop the threads.
    fn close(&mut self);
}

/// No threads at all: records are not kept (everything lives in memory), password work is
/// answered [`PasswordOutcome::Unavailable`], and bus commands go nowhere (a server without a
/// bus never sends any).
#[derive(Debug, Default)]
pub struct NoServices {
    replies: VecDeque<Reply>,
}

impl Services for NoServices {
    fn set_wake(&mut self, _wake: Wake) {}

    fn request(&mut self, request: Request) {
        if let Request::Password(password) = request {
            let ticket = PasswordRequest::ticket(&password);
            self.replies.push_back(Reply::Password { ticket, outcome: PasswordOutcome::Unavailable });
        }
    }

    fn try_reply(&mut self) -> Option<Reply> {
        self.replies.pop_front()
    }

    fn close(&mut self) {}
}
