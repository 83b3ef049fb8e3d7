//! [`CoreCell`]: the core, owned by one thread, with the wake-ups its deadline and its end need.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::Instant;

use chat_core::{Input, Output, Server};

use crate::wake_slot::WakeSlot;

/// The one [`Server`] of a running room, on the thread that drives it (the event loop's, with
/// one thread; the hub's, with more). Every input goes through [`CoreCell::feed`].
pub(crate) struct CoreCell {
    server: RefCell<Server>,
    /// When the core wants [`Input::Timeout`] next.
    deadline: Cell<Option<Instant>>,
    /// The timer task, parked until `deadline` changes or passes.
    timer: WakeSlot,
    /// The task waiting for the end of shutdown.
    shutdown: WakeSlot,
}

impl CoreCell {
    /// A cell for `server`.
    pub(crate) fn new(server: Server) -> Self {
        let deadline = server.poll_timeout();
        Self {
            server: RefCell::new(server),
            deadline: Cell::new(deadline),
            timer: WakeSlot::default(),
            shutdown: WakeSlot::default(),
        }
    }

    /// Feeds one input to the core, hands every output to `carry` (feeding the core at once
    /// what `carry` answers: a transport took bytes, a socket is full), then re-arms the timer:
    /// the core's invariant, in one place. `carry` must not feed the core itself.
    #[inline]
    pub(crate) fn feed(&self, input: Input<'_>, mut carry: impl FnMut(Output) -> Option<Input<'static>>) {
        let mut server = self.server.borrow_mut();
        if let Err(error) = server.handle_input(Instant::now(), input) {
            tracing::error!(%error, "the core refused an input (a runtime bug)");
        }
        while let Some(output) = server.poll_output() {
            if let Some(input) = carry(output)
                && let Err(error) = server.handle_input(Instant::now(), input)
            {
                tracing::error!(%error, "the core refused an input (a runtime bug)");
            }
        }
        let deadline = server.poll_timeout();
        if deadline != self.deadline.replace(deadline) {
            self.timer.wake();
        }
        if server.is_finished() {
            self.shutdown.wake();
        }
    }

    /// The next instant the core wants [`Input::Timeout`], with the timer task parked until it
    /// changes.
    pub(crate) fn poll_deadline(&self, cx: &Context<'_>) -> Option<Instant> {
        self.timer.register(cx);
        self.deadline.get()
    }

    /// Waits until the core has finished shutting down: every connection closed and released
    /// (the core bounds how long that takes).
    pub(crate) async fn wound_down(&self) {
        poll_fn(|cx| {
            self.shutdown.register(cx);
            if self.server.borrow().is_finished() { Poll::Ready(()) } else { Poll::Pending }
        })
        .await;
    }
}
