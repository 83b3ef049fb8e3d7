//! Line decoder throughput in bytes per second, on realistic and worst-case input.
//!
//! - `realistic`: chat lines of 8 to 200 bytes, some with `\r\n`, fed in 4 KiB reads.
//! - `byte_at_a_time`: the same stream, one byte per `feed` (a client typing into raw `nc`, or
//!   an attacker dribbling bytes).
//! - `long_lines`: lines of 4,000 bytes (just under the default limit), fed in 4 KiB reads.
//! - `over_long`: lines of 64 KiB, over the limit, dropped as they stream through.
//!
//! Run: `cargo bench -p chat-core --bench decoder`.

use std::hint::black_box;

use chat_core::protocol::{Line, LineDecoder};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const MAX_LINE: usize = 4096;
const STREAM_BYTES: usize = 1 << 20;

/// About 1 MiB of chat lines of varied length; deterministic.
fn realistic() -> Vec<u8> {
    let words = ["hello", "there", "how", "are", "you", "doing", "today?", "lol", "ok", "see", "ya", "🙂"];
    let mut out = Vec::with_capacity(STREAM_BYTES + 256);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    while out.len() < STREAM_BYTES {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = 8 + (seed % 192) as usize;
        let start = out.len();
        let mut w = (seed >> 8) as usize;
        while out.len() - start < len {
            out.extend_from_slice(words[w % words.len()].as_bytes());
            out.push(b' ');
            w = w.wrapping_mul(31).wrapping_add(7);
        }
        if seed.is_multiple_of(4) {
            out.push(b'\r');
        }
        out.push(b'\n');
    }
    out
}

fn lines_of(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(STREAM_BYTES + len + 1);
    while out.len() < STREAM_BYTES {
        out.extend(std::iter::repeat_n(b'x', len));
        out.push(b'\n');
    }
    out
}

fn run(stream: &[u8], chunk: usize) -> usize {
    let mut decoder = LineDecoder::new(MAX_LINE);
    let mut count = 0;
    for piece in stream.chunks(chunk) {
        decoder.feed(piece, |line| {
            if let Line::Text(text) = black_box(line) {
                count += text.len();
            }
        });
    }
    count
}

fn decoder(c: &mut Criterion) {
    let mut group = c.benchmark_group("decoder");
    let cases = [
        ("realistic", realistic(), 4096),
        ("byte_at_a_time", realistic(), 1),
        ("long_lines", lines_of(4000), 4096),
        ("over_long", lines_of(64 * 1024), 4096),
    ];
    for (name, stream, chunk) in cases {
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_function(name, |b| b.iter(|| run(black_box(&stream), chunk)));
    }
    group.finish();
}

criterion_group!(benches, decoder);
criterion_main!(benches);
