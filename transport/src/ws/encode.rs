//! Writing the server's WebSocket frames: unmasked, unfragmented (RFC 6455, section 5.2).

use super::CloseCode;

/// Frame opcodes (RFC 6455, section 5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opcode {
    /// A continuation of a fragmented message.
    Continuation = 0x0,
    /// A text message, or its first fragment.
    Text = 0x1,
    /// A binary message, or its first fragment.
    Binary = 0x2,
    /// The closing handshake.
    Close = 0x8,
    /// A ping, to be answered with a pong.
    Ping = 0x9,
    /// A pong.
    Pong = 0xA,
}

impl Opcode {
    /// The opcode of a frame's first byte, or `None` for a reserved one.
    pub(crate) fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    /// True for close, ping and pong.
    pub(crate) fn is_control(self) -> bool {
        (self as u8) & 0x8 != 0
    }
}

/// Appends one whole, unmasked frame (as a server sends) to `out`.
pub(crate) fn frame(out: &mut Vec<u8>, opcode: Opcode, payload: &[u8]) {
    out.push(0x80 | opcode as u8);
    match payload.len() {
        len @ 0..=125 => out.push(len as u8),
        len @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// Appends a close frame with `code` and a short `reason` (cut to fit a control frame).
pub(crate) fn close(out: &mut Vec<u8>, code: CloseCode, reason: &str) {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.0.to_be_bytes());
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    frame(out, Opcode::Close, &payload);
}

/// Appends one text frame per line of `lines` (the core's frame: whole lines ending in `\n`),
/// without the line ending. Bytes that are not UTF-8 (the core never sends any) are replaced,
/// so every text frame is valid.
pub(crate) fn lines(out: &mut Vec<u8>, lines: &[u8]) {
    for line in lines.split(|&byte| byte == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        match std::str::from_utf8(line) {
            Ok(text) => frame(out, Opcode::Text, text.as_bytes()),
            Err(_) => frame(out, Opcode::Text, String::from_utf8_lossy(line).as_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_the_shortest_form() {
        for (len, header) in [(0usize, 2usize), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let mut out = Vec::new();
            frame(&mut out, Opcode::Text, &vec![b'a'; len]);
            assert_eq!(out.len(), header + len, "payload of {len}");
            assert_eq!(out[0], 0x81);
        }
    }

    #[test]
    fn each_line_is_one_text_frame() {
        let mut out = Vec::new();
        lines(&mut out, b"<a> hi\n*** b entered the room\n");
        assert_eq!(out, b"\x81\x06<a> hi\x81\x16*** b entered the room");
    }

    #[test]
    fn a_close_reason_is_cut_on_a_character_boundary() {
        let mut out = Vec::new();
        close(&mut out, CloseCode::NORMAL, &"é".repeat(100));
        assert_eq!(out[1] as usize, out.len() - 2);
        assert!(out.len() - 2 <= 125);
        assert!(std::str::from_utf8(&out[4..]).is_ok());
    }
}
