//! What the benches share: a room full of clients, and a runtime's drain loop.

// Each bench uses what it needs of this module.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use chat_core::{ClientId, Config, Input, Output, Server};

/// A room with `clients` clients connected, every output of the joins drained and flushed.
pub fn room(clients: u64, now: Instant) -> Server {
    let config = Config { flood_rate: 0.0, max_clients: clients as usize + 1, ..Config::default() };
    let mut server = Server::new(config, now).expect("valid config");
    for id in 1..=clients {
        let port = 1024 + id as u16 % 60_000;
        let ip = Ipv4Addr::from(0x7f00_0000 + (id / 60_000) as u32 + 1);
        let peer = SocketAddr::from((ip, port));
        server.handle_input(now, Input::Connected { id: ClientId(id), peer }).expect("fresh id");
        drain_and_flush(&mut server, now);
    }
    // Let the coalesced presence summary go out, so the timed loop sees only the broadcasts.
    let later = now + Duration::from_secs(10);
    server.handle_input(later, Input::Timeout).expect("timeout");
    drain_and_flush(&mut server, later);
    server
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
