//! `LineDecoder` against a deliberately simple reference splitter.
//!
//! The input picks a line limit, a cycle of chunk sizes and the bytes (see [`Case::parse`],
//! a plain layout so that seeds can be written by hand). The bytes are fed in
//! those chunks; after every chunk the lines delivered so far must be exactly the reference
//! lines that are due by then, and the decoder must buffer at most `max_line + 1` bytes.
//! `finish()` must then deliver exactly the rest.
//!
//! The reference works on the whole input at once: split on `\n`, strip one trailing `\r`,
//! an empty piece is `Blank` (but nothing at the very end), `TooLong` above the limit, lossy
//! UTF-8 otherwise. Only the moment a line is due needs the decoder's documented rules: a
//! complete line is due at its `\n`; an over-long one as soon as more than `max_line + 1` of
//! its bytes have arrived (the `+ 1` is a possible `\r`: before that it could still fit), and
//! only once; an unterminated last line at `finish()`.

#![no_main]

use chat_core::protocol::{Line, LineDecoder};
use libfuzzer_sys::fuzz_target;

#[derive(Debug)]
struct Case<'a> {
    max_line: u8,
    /// Chunk sizes, used in a cycle; an empty list feeds everything at once. Zero is a chunk.
    chunk_sizes: &'a [u8],
    bytes: &'a [u8],
}

impl<'a> Case<'a> {
    /// Byte 0 is the line limit, byte 1 the number `n` of chunk sizes (at most 16), the next
    /// `n` bytes the chunk sizes, and the rest the stream.
    fn parse(input: &'a [u8]) -> Option<Self> {
        let (&max_line, input) = input.split_first()?;
        let (&n, input) = input.split_first()?;
        let (chunk_sizes, bytes) = input.split_at_checked(usize::from(n % 17))?;
        Some(Self { max_line, chunk_sizes, bytes })
    }
}

/// A reference line and the input offset by which the decoder must have delivered it
/// (`None`: only at `finish()`).
struct Expected {
    line: Line,
    due: Option<usize>,
}

fn reference(bytes: &[u8], max_line: usize) -> Vec<Expected> {
    let mut expected = Vec::new();
    let mut start = 0;
    let pieces = bytes.split(|&b| b == b'\n').collect::<Vec<_>>();
    let last = pieces.len() - 1;
    for (i, piece) in pieces.into_iter().enumerate() {
        let text = piece.strip_suffix(b"\r").unwrap_or(piece);
        let line = if text.is_empty() {
            // An empty line counts (it is charged to flood control); an empty end is nothing.
            (i < last).then_some(Line::Blank)
        } else if text.len() > max_line {
            Some(Line::TooLong)
        } else {
            Some(Line::Text(String::from_utf8_lossy(text).into_owned()))
        };
        if let Some(line) = line {
            let due = if piece.len() > max_line + 1 {
                Some(start + max_line + 2)
            } else if i < last {
                Some(start + piece.len() + 1)
            } else {
                None
            };
            expected.push(Expected { line, due });
        }
        start += piece.len() + 1;
    }
    expected
}

/// The decoder delivered exactly the `expected` lines; the first `checked` were compared before.
fn check(got: &[Line], expected: &[Expected], checked: usize, when: impl Fn() -> String) {
    assert_eq!(got.len(), expected.len(), "number of lines {}: got {got:?}", when());
    for (i, (got, want)) in got.iter().zip(expected).enumerate().skip(checked) {
        assert_eq!(got, &want.line, "line {i} {}", when());
    }
}

fuzz_target!(|input: &[u8]| {
    let Some(case) = Case::parse(input) else { return };
    let max_line = usize::from(case.max_line);
    let expected = reference(case.bytes, max_line);
    let mut decoder = LineDecoder::new(max_line);
    let mut got = Vec::new();
    let mut fed = 0;
    // Lines due so far, and how many of them were already compared.
    let (mut due, mut checked) = (0, 0);
    // Empty chunks are fed too, as long as some chunk makes progress.
    let sizes: Vec<usize> = match case.chunk_sizes.iter().any(|&s| s > 0) {
        true => case.chunk_sizes.iter().map(|&s| usize::from(s)).collect(),
        false => vec![case.bytes.len()],
    };
    let mut sizes = sizes.into_iter().cycle();
    while fed < case.bytes.len() {
        let size = sizes.next().expect("a cycle of a non-empty list never ends");
        let chunk = &case.bytes[fed..(fed + size).min(case.bytes.len())];
        decoder.feed(chunk, |line| got.push(line));
        fed += chunk.len();
        assert!(
            decoder.buffered() <= max_line + 1,
            "buffers {} bytes with max_line {max_line} after {fed} bytes",
            decoder.buffered()
        );
        while expected.get(due).is_some_and(|e| e.due.is_some_and(|at| at <= fed)) {
            due += 1;
        }
        check(&got, &expected[..due], checked, || format!("after {fed} bytes"));
        checked = due;
    }
    got.extend(decoder.finish());
    check(&got, &expected, checked, || "after finish()".to_owned());
    assert_eq!(decoder.finish(), None, "a second finish() delivers nothing");
    assert_eq!(decoder.buffered(), 0, "finish() empties the buffer");
});
