//! What the benches share: a crowd from the core's simulated world (the one driver of the
//! server, `chat_core::sim`), and a runtime's drain loop for the timed part.

// Each bench uses what it needs of this module.
#![allow(dead_code)]

use std::time::Instant;

use chat_core::sim::Sim;
use chat_core::{Input, Output, Server};

/// A room with `clients` clients (`ClientId(1)` to `ClientId(clients)`), flood control off,
/// every arrival announced and summarised. Drive `sim.server` directly at `sim.now` after it.
pub fn room(clients: u64) -> Sim {
    Sim::crowd(clients as usize)
}

/// Takes every output and reports each transmit as flushed at once.
pub fn drain_and_flush(server: &mut Server, now: Instant) {
    let mut flushed = Vec::new();
    while let Some(output) = server.poll_output() {
        if let Output::Transmit { to, frame } = output {
            flushed.push((to, frame.len()));
        }
    }
    for (id, bytes) in flushed {
        server.handle_input(now, Input::Flushed { id, bytes, frames: 1 }).expect("flushed");
    }
}
