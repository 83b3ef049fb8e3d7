//! Broadcast fan-out: the core's cost per recipient when one client says a line to the room.
//!
//! A room of N clients (flood control off, as for a load test); client 1 says a 64-byte line;
//! the benchmark drains every output. Two variants:
//!
//! - `fanout/coalesced`: the runtime reports `Flushed` once per client for many frames (as a
//!   runtime that writes many queued lines in one system call does); reported every 64
//!   broadcasts, inside the timed region.
//! - `fanout/flush_each`: one `Flushed` per delivery, the worst case of a runtime that writes
//!   and reports every frame on its own.
//!
//! - `fanout/api_floor`: no server at all, only what the API shape costs per recipient: one
//!   `Output::Transmit` through a queue, one `Bytes` clone and drop. The core cannot go below it.
//!
//! Throughput is in elements = recipients, so criterion prints the time per recipient.
//! Run: `cargo bench -p chat-core --bench fanout`.

use std::hint::black_box;
use std::time::Instant;

use chat_core::{ClientId, Input, Output};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// The line the sender says: 63 bytes of text and the newline.
const LINE: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ\n";

/// Broadcasts between two rounds of `Flushed` in the coalesced variant.
const FLUSH_EVERY: u64 = 64;

mod room;

use room::room;

fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout");
    for clients in [10u64, 1_000, 10_000] {
        let recipients = clients - 1;
        group.throughput(Throughput::Elements(recipients));
        let mut sim = room(clients);
        let (server, now) = (&mut sim.server, sim.now);
        let mut queued = vec![(0usize, 0usize); clients as usize + 1];
        group.bench_function(BenchmarkId::new("coalesced", clients), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for i in 0..iters {
                    server.handle_input(now, Input::Received { id: ClientId(1), bytes: LINE }).unwrap();
                    while let Some(output) = server.poll_output() {
                        if let Output::Transmit { to, frame } = output {
                            let entry = &mut queued[to.0 as usize];
                            entry.0 += black_box(frame).len();
                            entry.1 += 1;
                        }
                    }
                    if i % FLUSH_EVERY == FLUSH_EVERY - 1 || i == iters - 1 {
                        for (id, entry) in queued.iter_mut().enumerate().filter(|(_, b)| b.0 > 0) {
                            let (bytes, frames) = std::mem::take(entry);
                            let input = Input::Flushed { id: ClientId(id as u64), bytes, frames };
                            server.handle_input(now, input).unwrap();
                        }
                    }
                }
                start.elapsed()
            });
        });
        assert_eq!(server.client_count(), clients as usize, "nobody was dropped as too slow");

        let mut sim = room(clients);
        let (server, now) = (&mut sim.server, sim.now);
        let mut flushed = Vec::with_capacity(clients as usize);
        group.bench_function(BenchmarkId::new("flush_each", clients), |b| {
            b.iter(|| {
                server.handle_input(now, Input::Received { id: ClientId(1), bytes: LINE }).unwrap();
                while let Some(output) = server.poll_output() {
                    if let Output::Transmit { to, frame } = output {
                        flushed.push((to, black_box(frame).len()));
                    }
                }
                for (id, bytes) in flushed.drain(..) {
                    server.handle_input(now, Input::Flushed { id, bytes, frames: 1 }).unwrap();
                }
            });
        });
        assert_eq!(server.client_count(), clients as usize, "nobody was dropped as too slow");

        let ids: Vec<ClientId> = (2..=clients).map(ClientId).collect();
        let frame = bytes::Bytes::from(LINE.to_vec());
        let mut outputs = std::collections::VecDeque::new();
        group.bench_function(BenchmarkId::new("api_floor", clients), |b| {
            b.iter(|| {
                for &to in &ids {
                    outputs.push_back(Output::Transmit { to, frame: frame.clone() });
                }
                while let Some(output) = outputs.pop_front() {
                    black_box(output);
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
