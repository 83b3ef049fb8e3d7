//! `chat-runtime-std`: drives the sans-IO [`chat_core`] with blocking `std::net` sockets and
//! plain threads.
//!
//! DESIGN_DOCS_PLACEHOLDER

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod acceptor;
mod backoff;
mod capacity;
mod conn;
mod error;
mod event;
mod linger;
mod outbox;
mod pump;
mod reader;
mod running;
mod stop;
mod threads;
mod writer;

pub use error::Error;
pub use running::{Running, spawn};
pub use stop::Stopper;
