//! Shared by the `chat join` integration tests: a server, raw clients, `chat join` as a piped
//! child or in a pseudo-terminal. Every wait has a deadline; every process is killed on drop.

#![allow(dead_code, reason = "each test binary uses a different part of the support code")]

pub mod client;
pub mod piped;
pub mod server;
#[cfg(unix)]
pub mod terminal;
pub mod tls_server;

use std::time::{Duration, Instant};

/// How long any single expected event may take before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// The `chat` binary under test.
pub fn chat_bin() -> &'static str {
    env!("CARGO_BIN_EXE_chat")
}

/// The instant by which an expected event must have happened.
pub fn deadline() -> Instant {
    Instant::now() + PATIENCE
}

/// A port on 127.0.0.1 that nothing listens on (it was free a moment ago).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}
