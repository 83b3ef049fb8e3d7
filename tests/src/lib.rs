//! End-to-end tests of `chat` over loopback, run against both runtimes.
//!
//! The harness starts a real server ([`TestServer`]) with a chosen [`Runtime`] and
//! [`Config`](chat_core::Config) on an ephemeral loopback port, and talks to it through real
//! sockets with [`Client`]; it raises the process's open-files limit first, and crowd tests
//! scale to it ([`open_files`]). Every wait has a deadline ([`WAIT`] unless a test says otherwise)
//! and fails with a message that says what was expected and what arrived; nothing sleeps to
//! wait for something to happen.
//!
//! [`both_runtimes!`] turns one scenario function into a test per runtime, and for sequential
//! scenarios checks that every client saw the same [`Transcript`] on both runtimes.

mod both;
pub mod browser;
mod client;
pub mod cluster;
pub mod database;
mod deadline;
pub mod open_files;
mod progress;
mod runtime;
pub mod secure;
mod server;
pub mod traffic;
pub mod transcript;
pub mod websocket;

pub use client::{Admission, Client, ClientOptions, End, Writer};
pub use database::TestDatabase;
pub use deadline::{Deadline, WAIT};
pub use progress::Progress;
pub use runtime::Runtime;
pub use server::TestServer;
pub use transcript::Transcript;

/// The default config, except that arrivals are announced at once rather than after
/// [`Config::announce_after`](chat_core::Config::announce_after): scenarios that are not about
/// names then read join notices in the order clients connected. The scenarios about names use
/// the real default.
pub fn config() -> chat_core::Config {
    chat_core::Config { announce_after: std::time::Duration::ZERO, ..chat_core::Config::default() }
}

/// The line every client receives when the server shuts down.
pub const SHUTDOWN_NOTICE: &str = "*** Server is shutting down. Goodbye!";
