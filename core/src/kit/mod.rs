//! What every runtime needs beside the engine: the write queue of one connection ([`Outbox`]),
//! the policy for errors from `accept` ([`AcceptBackoff`]), and the face of the threads that
//! carry out the core's service requests ([`Services`]). Both are sans-IO, so the two
//! runtimes share them instead of writing them twice.

mod accept_backoff;
mod outbox;
mod services;

pub use accept_backoff::AcceptBackoff;
pub use outbox::Outbox;
pub use services::{NoServices, Services, Wake};
