//! `/who` in a big room: the core's cost to answer one `/who`.
//!
//! A room of N clients (flood control off, as for a load test); client 1 sends `/who`; the
//! benchmark drains the answer and reports it flushed. The answer is the count and the first
//! ten names alphabetically, so a good implementation costs the same at any room size.
//! Run: `cargo bench -p chat-core --bench who`.

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use chat_core::{ClientId, Config, Input, Output, Server};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// A room with `clients` clients connected from loopback, every output of the joins drained.
fn room(clients: u64, now: Instant) -> Server {
    let config = Config { flood_rate: 0.0, max_clients: clients as usize + 1, ..Config::default() };
    let mut server = Server::new(config, now, std::time::SystemTime::now()).expect("valid config");
    for id in 1..=clients {
        let port = 1024 + id as u16 % 60_000;
        let ip = Ipv4Addr::from(0x7f00_0000 + (id / 60_000) as u32 + 1);
        let peer = SocketAddr::from((ip, port));
        server.handle_input(now, Input::Connected { id: ClientId(id), peer }).expect("fresh id");
        drain_and_flush(&mut server, now);
    }
    let later = now + Duration::from_secs(10);
    server.handle_input(later, Input::Timeout).expect("timeout");
    drain_and_flush(&mut server, later);
    server
}

/// Takes every output and reports each transmit as flushed at once.
fn drain_and_flush(server: &mut Server, now: Instant) {
    let mut flushed = Vec::new();
    while let Some(output) = server.poll_output() {
        if let Output::Transmit { to, frame } = output {
            flushed.push((to, frame.len()));
        }
    }
    for (id, bytes) in flushed {
        server.handle_input(now, Input::Flushed { id, bytes }).expect("flushed");
    }
}

fn who(c: &mut Criterion) {
    let mut group = c.benchmark_group("who");
    for clients in [100u64, 1_000, 10_000] {
        let now = Instant::now() + Duration::from_secs(20);
        let mut server = room(clients, now);
        group.bench_with_input(BenchmarkId::from_parameter(clients), &clients, |b, _| {
            b.iter(|| {
                server.handle_input(now, Input::Received { id: ClientId(1), bytes: b"/who\n" }).unwrap();
                drain_and_flush(&mut server, now);
                black_box(server.client_count())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, who);
criterion_main!(benches);
