//! Asking the threads beside the event loop for work ([`Output::Service`]), and taking their
//! answers ([`Input::Service`](crate::Input::Service)).

use super::Server;
use crate::{Output, Reply, Request};

impl Server {
    /// Queues `request` for the runtime's services, in order with every other output.
    pub(super) fn ask(&mut self, request: Request) {
        self.outputs.push_back(Output::Service(Box::new(request)));
    }

    /// Takes an answer from the services. An answer nobody waits for any more (its client left)
    /// is dropped; what the bus says goes to `cluster.rs`.
    pub(super) fn service_reply(&mut self, reply: Reply) {
        match reply {
            Reply::Password { ticket, outcome } => self.password_answer(ticket, outcome),
            Reply::Bus(event) => self.bus_event(event),
        }
    }
}
