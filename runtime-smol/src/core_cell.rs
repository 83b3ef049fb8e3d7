//! [`CoreCell`]: the core, owned by one thread, with the wake-ups its deadline and its end need.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::task::{Context, Poll};
use std::time::Instant;

use chat_core::kit::{Services, Wake};
use chat_core::{Input, Output, Server};

use crate::wake_slot::WakeSlot;

/// The one [`Server`] of a running room and its services, on the thread that drives it (the
/// event loop's, with one thread; the hub's, with more). Every input goes through
/// [`CoreCell::feed`].
pub(crate) struct CoreCell {
    server: RefCell<Server>,
    /// The threads beside the event loop (database, passwords, bus).
    services: RefCell<Box<dyn Services>>,
    /// When the core wants [`Input::Timeout`] next.
    deadline: Cell<Option<Instant>>,
    /// The timer task, parked until `deadline` changes or passes.
    timer: WakeSlot,
    /// The task waiting for the end of shutdown.
    shutdown: WakeSlot,
}

impl CoreCell {
    /// A cell for `server` and its `services`.
    pub(crate) fn new(server: Server, services: Box<dyn Services>) -> Self {
        let deadline = server.poll_timeout();
        Self {
            server: RefCell::new(server),
            services: RefCell::new(services),
            deadline: Cell::new(deadline),
            timer: WakeSlot::default(),
            shutdown: WakeSlot::default(),
        }
    }

    /// Feeds one input to the core, hands every output for the connections to `carry`
    /// (feeding the core at once what `carry` answers: a transport took bytes, a socket is
    /// full) and every service request to the services, feeds it the services' answers that
    /// are ready (likewise), then re-arms the timer: the core's invariant, in one place.
    /// `carry` must not feed the core itself.
    #[inline]
    pub(crate) fn feed(&self, input: Input<'_>, mut carry: impl FnMut(Output) -> Option<Input<'static>>) {
        let mut server = self.server.borrow_mut();
        if let Err(error) = server.handle_input(Instant::now(), input) {
            tracing::error!(%error, "the core refused an input (a runtime bug)");
        }
        self.carry_out(&mut server, &mut carry);
        loop {
            let Some(reply) = self.services.borrow_mut().try_reply() else { break };
            if let Err(error) = server.handle_input(Instant::now(), Input::Service(reply)) {
                tracing::error!(%error, "the core refused an input (a runtime bug)");
            }
            self.carry_out(&mut server, &mut carry);
        }
        let deadline = server.poll_timeout();
        if deadline != self.deadline.replace(deadline) {
            self.timer.wake();
        }
        if server.is_finished() {
            self.shutdown.wake();
        }
    }

    /// Carries out every output the core has: service requests here, the rest by `carry`.
    #[inline]
    fn carry_out(&self, server: &mut Server, carry: &mut impl FnMut(Output) -> Option<Input<'static>>) {
        while let Some(output) = server.poll_output() {
            let follow = match output {
                Output::Service(request) => {
                    self.services.borrow_mut().request(*request);
                    None
                }
                output => carry(output),
            };
            if let Some(input) = follow
                && let Err(error) = server.handle_input(Instant::now(), input)
            {
                tracing::error!(%error, "the core refused an input (a runtime bug)");
            }
        }
    }

    /// The server's stats now (`/metrics`).
    pub(crate) fn stats(&self) -> chat_core::Stats {
        self.server.borrow().stats()
    }

    /// Whether the services have an answer ready (then feed the core [`Input::Service`] with
    /// it: the services' bell rang).
    pub(crate) fn next_answer(&self) -> Option<chat_core::Reply> {
        self.services.borrow_mut().try_reply()
    }

    /// Lets the services know how to wake the event loop.
    pub(crate) fn set_wake(&self, wake: Wake) {
        self.services.borrow_mut().set_wake(wake);
    }

    /// The server has stopped: the services finish what they were asked and stop.
    pub(crate) fn close_services(&self) {
        self.services.borrow_mut().close();
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
