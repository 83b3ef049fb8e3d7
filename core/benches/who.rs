//! `/who` in a big room: the core's cost to answer one `/who`.
//!
//! A room of N clients (flood control off, as for a load test); client 1 sends `/who`; the
//! benchmark drains the answer and reports it flushed. The answer is the count and the first
//! ten names alphabetically, so a good implementation costs the same at any room size.
//! Run: `cargo bench -p chat-core --bench who`.

use std::hint::black_box;
use std::time::Instant;

use chat_core::sim::Sim;
use chat_core::{ClientId, Input, Output, Server};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

/// Takes every output and reports each transmit as flushed at once.
fn drain_and_flush(server: &mut Server, now: Instant) {
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

fn who(c: &mut Criterion) {
    let mut group = c.benchmark_group("who");
    for clients in [100u64, 1_000, 10_000] {
        let mut sim = Sim::crowd(clients as usize);
        let (server, now) = (&mut sim.server, sim.now);
        group.bench_with_input(BenchmarkId::from_parameter(clients), &clients, |b, _| {
            b.iter(|| {
                server.handle_input(now, Input::Received { id: ClientId(1), bytes: b"/who\n" }).unwrap();
                drain_and_flush(server, now);
                black_box(server.client_count())
            });
        });
    }
    group.finish();
}

criterion_group!(benches, who);
criterion_main!(benches);
