//! `/who` in a big room: the core's cost to answer one `/who`.
//!
//! A room of N clients (flood control off, as for a load test); client 1 sends `/who`; the
//! benchmark drains the answer and reports it flushed. The answer is the count and the first
//! ten names alphabetically, so a good implementation costs the same at any room size.
//! Run: `cargo bench -p chat-core --bench who`.
//!
//! Measured on the 2-core dev machine: a full scan of the room per `/who` (select the first ten
//! by a caseless compare) took 0.25 ms / 1.4 ms / 7.4 ms at 100 / 1,000 / 10,000 clients; the
//! sorted roster answers in 1.3 to 3 µs at every size.

use std::hint::black_box;

use chat_core::{ClientId, Input};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

mod room;

use room::{drain_and_flush, room};

fn who(c: &mut Criterion) {
    let mut group = c.benchmark_group("who");
    for clients in [100u64, 1_000, 10_000] {
        let mut sim = room(clients);
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
