//! What every runtime needs beside the engine: the write queue of one connection ([`Outbox`])
//! and the policy for errors from `accept` ([`AcceptBackoff`]). Both are sans-IO, so the two
//! runtimes share them instead of writing them twice.

mod accept_backoff;
mod outbox;

pub use accept_backoff::AcceptBackoff;
pub use outbox::Outbox;
