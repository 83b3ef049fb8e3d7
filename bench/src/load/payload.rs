//! The bench line: who sent it, its sequence number and when, in fixed-width hex, padded to size.
//!
//! `@` KIND RUN(4) SENDER(4) SEQ(8) TIME(12) then `x` up to the requested size, e.g.
//! `@M00a3000100000007000001c9a4f2xxxxxxxx`. KIND is `S` (warm-up) or `M` (measured); TIME is
//! nanoseconds since the bench started. Servers put something before the line (`<NAME> `,
//! `\r<('127.0.0.1', 5555)> `), so a receiver reads the payload from the end of the line, where
//! nothing is added; a line whose tail is not an intact payload of this run is corrupted.

/// Bytes of the header before the filler.
pub const HEADER: usize = 1 + 1 + 4 + 4 + 8 + 12;

/// The smallest payload: the header and a few filler bytes that show truncation.
pub const MIN_SIZE: usize = HEADER + 4;

/// A run of filler long enough not to occur in a server's own lines: a line holding it is a
/// fragment of a bench line.
const FILLER: &[u8] = b"xxxxxxxx";

/// What a bench line is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Sent until every receiver has one from every sender: proves the room is complete.
    Sync,
    /// A measured line.
    Message,
}

/// The fields of one payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// Warm-up or measured.
    pub kind: Kind,
    /// Index of the sender in this run.
    pub sender: u16,
    /// Sequence number of the line from this sender, from 0.
    pub seq: u32,
    /// Nanoseconds since the bench started, when the line was written.
    pub sent_ns: u64,
}

/// Appends the payload for `stamp` (`size` bytes) and a newline to `out`.
pub fn write(out: &mut Vec<u8>, run: u16, stamp: Stamp, size: usize) {
    debug_assert!(size >= MIN_SIZE);
    out.push(b'@');
    out.push(match stamp.kind {
        Kind::Sync => b'S',
        Kind::Message => b'M',
    });
    hex(out, u64::from(run), 4);
    hex(out, u64::from(stamp.sender), 4);
    hex(out, u64::from(stamp.seq), 8);
    hex(out, stamp.sent_ns, 12);
    out.resize(out.len() + size - HEADER, b'x');
    out.push(b'\n');
}

/// What a received line (without its `\n`) turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// An intact payload of this run.
    Stamp(Stamp),
    /// Holds this run's marker but is not an intact payload: split, merged or mangled.
    Corrupted,
    /// Anything else: a notice, a welcome, an error.
    Other,
}

/// Reads the payload at the end of `line` (`\r` already stripped or not).
pub fn parse(line: &[u8], run: u16, size: usize) -> Parsed {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() >= size
        && let Some(stamp) = parse_exact(&line[line.len() - size..], run)
    {
        return Parsed::Stamp(stamp);
    }
    let mut marker = [0u8; 6];
    marker[0] = b'@';
    let mut tag = Vec::with_capacity(4);
    hex(&mut tag, u64::from(run), 4);
    marker[2..].copy_from_slice(&tag);
    let has_marker = memchr::memmem::find_iter(line, &marker[2..])
        .any(|at| at >= 2 && line[at - 2] == b'@' && matches!(line[at - 1], b'S' | b'M'));
    // A split can also fall inside the header (the handout server cuts a 4,096-byte read right
    // after the `@` of the 64th line): this run's tag and the filler still give it away.
    let filler = &FILLER[..(size - HEADER).min(FILLER.len())];
    let fragment =
        || memchr::memmem::find(line, &marker[2..]).is_some() && memchr::memmem::find(line, filler).is_some();
    if has_marker || fragment() { Parsed::Corrupted } else { Parsed::Other }
}

fn parse_exact(payload: &[u8], run: u16) -> Option<Stamp> {
    let (header, filler) = payload.split_at(HEADER);
    if header[0] != b'@' || !filler.iter().all(|&b| b == b'x') {
        return None;
    }
    let kind = match header[1] {
        b'S' => Kind::Sync,
        b'M' => Kind::Message,
        _ => return None,
    };
    if unhex(&header[2..6])? != u64::from(run) {
        return None;
    }
    Some(Stamp {
        kind,
        sender: unhex(&header[6..10])? as u16,
        seq: unhex(&header[10..18])? as u32,
        sent_ns: unhex(&header[18..30])?,
    })
}

fn hex(out: &mut Vec<u8>, value: u64, digits: u32) {
    for i in (0..digits).rev() {
        out.push(b"0123456789abcdef"[((value >> (i * 4)) & 0xf) as usize]);
    }
}

fn unhex(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            _ => return None,
        };
        Some(acc << 4 | u64::from(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAMP: Stamp = Stamp { kind: Kind::Message, sender: 163, seq: 7, sent_ns: 0x1c9a4f2 };

    fn line(size: usize) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, 1, STAMP, size);
        out
    }

    #[test]
    fn round_trips_behind_any_prefix() {
        let mut payload = line(64);
        assert_eq!(payload.len(), 65);
        payload.pop();
        assert_eq!(parse(&payload, 1, 64), Parsed::Stamp(STAMP));
        let mut ours = b"<127.0.0.1:5000> ".to_vec();
        ours.extend_from_slice(&payload);
        assert_eq!(parse(&ours, 1, 64), Parsed::Stamp(STAMP));
        let mut handout = b"\r<('127.0.0.1', 5555)> ".to_vec();
        handout.extend_from_slice(&payload);
        handout.push(b'\r');
        assert_eq!(parse(&handout, 1, 64), Parsed::Stamp(STAMP));
    }

    #[test]
    fn split_and_merged_lines_are_corrupted() {
        let payload = line(64);
        let mut merged = b"\r<peer> ".to_vec();
        merged.extend_from_slice(&payload[..20]);
        merged.extend_from_slice(b"\r<peer> ");
        merged.extend_from_slice(&payload[20..64]);
        assert_eq!(parse(&merged, 1, 64), Parsed::Corrupted);
        assert_eq!(parse(&payload[..40], 1, 64), Parsed::Corrupted);
        // Cut right after the `@`: the marker is gone, the filler is not.
        let mut cut = b"@\r<('127.0.0.1', 46822)> ".to_vec();
        cut.extend_from_slice(&payload[1..64]);
        assert_eq!(parse(&cut, 1, 64), Parsed::Corrupted);
    }

    #[test]
    fn other_runs_and_notices_are_not_ours() {
        let payload = line(64);
        assert_eq!(parse(&payload[..64], 2, 64), Parsed::Other);
        assert_eq!(parse(b"*** 127.0.0.1:4000 entered the room", 1, 64), Parsed::Other);
    }
}
