//! WebSocket framing (RFC 6455) for chat lines: each text message from the client is one line
//! for the core, and each line from the core is one text message to the client.

pub mod client;
mod close;
mod decode;
pub(crate) mod encode;

pub use close::CloseCode;
pub(crate) use decode::{Decoder, Outcome};

#[cfg(test)]
mod tests;
