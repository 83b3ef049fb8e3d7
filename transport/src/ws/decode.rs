//! Reading a client's WebSocket frames (RFC 6455, section 5): masked frames, fragmented text
//! messages, pings and the closing handshake, in any chunking, with bounded memory.

use super::CloseCode;
use super::encode::{self, Opcode};

/// Longest frame header a client sends: 2 bytes, 8 of extended length, 4 of mask.
const MAX_HEADER: usize = 14;

/// Longest payload of a control frame.
const MAX_CONTROL: usize = 125;

/// What reading some bytes ended with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Every byte was read; the connection goes on.
    Open,
    /// The client sent a close frame; the answer is in `out`. Nothing more is read.
    PeerClosed(Option<CloseCode>),
    /// The client broke the protocol; a close frame with this code is in `out`. Nothing more
    /// is read.
    Failed(CloseCode),
}

/// The reading side of one WebSocket connection.
#[derive(Debug)]
pub(crate) struct Decoder {
    /// Largest text message accepted, in bytes.
    max_message: usize,
    state: State,
    /// The text message being put together from its fragments.
    message: Vec<u8>,
    /// True between the first fragment of a text message and its last.
    fragmented: bool,
    /// The payload of the control frame being read.
    control: Vec<u8>,
}

#[derive(Debug)]
enum State {
    /// Reading a frame header; `have` bytes of it are in `bytes`.
    Header { bytes: [u8; MAX_HEADER], have: usize },
    /// Reading a frame's payload.
    Payload { opcode: Opcode, fin: bool, left: u64, mask: [u8; 4], offset: usize },
    /// A close frame was read or sent: nothing more is read.
    Done,
}

impl State {
    fn header() -> Self {
        Self::Header { bytes: [0; MAX_HEADER], have: 0 }
    }
}

/// A frame header, once whole.
struct Header {
    opcode: Opcode,
    fin: bool,
    len: u64,
    mask: [u8; 4],
}

impl Decoder {
    /// A decoder for a fresh connection that accepts text messages of up to `max_message` bytes.
    pub(crate) fn new(max_message: usize) -> Self {
        Self {
            max_message,
            state: State::header(),
            message: Vec::new(),
            fragmented: false,
            control: Vec::new(),
        }
    }

    /// Bytes held for messages not yet complete (bounded by the message size limit).
    pub(crate) fn buffered(&self) -> usize {
        self.message.capacity() + self.control.capacity()
    }

    /// Reads `input`: each complete text message is appended to `lines` followed by `\n`;
    /// answers (pongs, close frames) are appended to `out`.
    pub(crate) fn decode(&mut self, mut input: &[u8], lines: &mut Vec<u8>, out: &mut Vec<u8>) -> Outcome {
        while !input.is_empty() {
            let step = match &mut self.state {
                State::Done => return Outcome::Open,
                State::Header { bytes, have } => {
                    let needed = header_len(&bytes[..*have]);
                    let take = (needed - *have).min(input.len());
                    bytes[*have..*have + take].copy_from_slice(&input[..take]);
                    *have += take;
                    input = &input[take..];
                    // The length fields may show that more header is needed.
                    if *have < header_len(&bytes[..*have]) {
                        continue;
                    }
                    let header = parse_header(&bytes[..*have]);
                    self.start_frame(header, lines, out)
                }
                State::Payload { opcode, left, mask, offset, .. } => {
                    let take = (*left).min(input.len() as u64) as usize;
                    let dest = if opcode.is_control() { &mut self.control } else { &mut self.message };
                    let start = dest.len();
                    dest.extend_from_slice(&input[..take]);
                    for (i, byte) in dest[start..].iter_mut().enumerate() {
                        *byte ^= mask[(*offset + i) % 4];
                    }
                    *offset += take;
                    *left -= take as u64;
                    input = &input[take..];
                    if *left == 0 { self.end_frame(lines, out) } else { Ok(None) }
                }
            };
            match step {
                Ok(None) => {}
                Ok(Some(closed)) => {
                    self.state = State::Done;
                    return closed;
                }
                Err(code) => {
                    self.state = State::Done;
                    encode::close(out, code, reason(code));
                    return Outcome::Failed(code);
                }
            }
        }
        Outcome::Open
    }

    /// Checks a whole header and starts reading the payload. A frame with an empty payload
    /// ends at once.
    fn start_frame(
        &mut self,
        header: Result<Header, CloseCode>,
        lines: &mut Vec<u8>,
        out: &mut Vec<u8>,
    ) -> Result<Option<Outcome>, CloseCode> {
        let Header { opcode, fin, len, mask } = header?;
        if opcode.is_control() {
            if !fin || len > MAX_CONTROL as u64 {
                return Err(CloseCode::PROTOCOL);
            }
            self.control.clear();
        } else {
            match (opcode, self.fragmented) {
                (Opcode::Continuation, false) | (Opcode::Text | Opcode::Binary, true) => {
                    return Err(CloseCode::PROTOCOL);
                }
                (Opcode::Binary, false) => return Err(CloseCode::UNSUPPORTED),
                _ => {}
            }
            if len > (self.max_message - self.message.len()) as u64 {
                return Err(CloseCode::TOO_BIG);
            }
        }
        self.state = State::Payload { opcode, fin, left: len, mask, offset: 0 };
        if len == 0 { self.end_frame(lines, out) } else { Ok(None) }
    }

    /// Handles a frame whose payload has all been read.
    fn end_frame(&mut self, lines: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<Option<Outcome>, CloseCode> {
        let State::Payload { opcode, fin, .. } = self.state else {
            return Ok(None);
        };
        self.state = State::header();
        match opcode {
            Opcode::Text | Opcode::Continuation if fin => {
                if std::str::from_utf8(&self.message).is_err() {
                    return Err(CloseCode::INVALID_DATA);
                }
                lines.extend_from_slice(&self.message);
                lines.push(b'\n');
                self.message.clear();
                self.fragmented = false;
            }
            Opcode::Text | Opcode::Continuation => self.fragmented = true,
            Opcode::Ping => encode::frame(out, Opcode::Pong, &self.control),
            Opcode::Close => return self.peer_closed(out).map(Some),
            Opcode::Pong | Opcode::Binary => {}
        }
        Ok(None)
    }

    /// Answers the client's close frame (in `self.control`) with the same code.
    fn peer_closed(&mut self, out: &mut Vec<u8>) -> Result<Outcome, CloseCode> {
        match self.control.as_slice() {
            [] => {
                encode::frame(out, Opcode::Close, &[]);
                Ok(Outcome::PeerClosed(None))
            }
            [_] => Err(CloseCode::PROTOCOL),
            [high, low, reason @ ..] => {
                let code = CloseCode(u16::from_be_bytes([*high, *low]));
                if !code.is_valid_on_wire() {
                    return Err(CloseCode::PROTOCOL);
                }
                if std::str::from_utf8(reason).is_err() {
                    return Err(CloseCode::INVALID_DATA);
                }
                encode::close(out, code, "");
                Ok(Outcome::PeerClosed(Some(code)))
            }
        }
    }
}

/// How long the header whose first bytes are `start` is (2 until the second byte is known).
fn header_len(start: &[u8]) -> usize {
    let Some(second) = start.get(1) else { return 2 };
    let extended = match second & 0x7F {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let mask = if second & 0x80 != 0 { 4 } else { 0 };
    2 + extended + mask
}

/// Reads a whole header, refusing what a client must never send.
fn parse_header(bytes: &[u8]) -> Result<Header, CloseCode> {
    let (first, second) = (bytes[0], bytes[1]);
    if first & 0x70 != 0 {
        // No extension was negotiated, so the reserved bits must be clear.
        return Err(CloseCode::PROTOCOL);
    }
    let opcode = Opcode::from_bits(first & 0x0F).ok_or(CloseCode::PROTOCOL)?;
    if second & 0x80 == 0 {
        // Every frame from a client must be masked.
        return Err(CloseCode::PROTOCOL);
    }
    let (len, rest) = match second & 0x7F {
        126 => (u64::from(u16::from_be_bytes([bytes[2], bytes[3]])), &bytes[4..]),
        127 => {
            let len = u64::from_be_bytes(bytes[2..10].try_into().expect("eight length bytes"));
            if len >> 63 != 0 {
                return Err(CloseCode::PROTOCOL);
            }
            (len, &bytes[10..])
        }
        len => (u64::from(len), &bytes[2..]),
    };
    let mask = rest[..4].try_into().expect("four mask bytes");
    Ok(Header { opcode, fin: first & 0x80 != 0, len, mask })
}

/// The reason sent with a close frame for a broken rule.
fn reason(code: CloseCode) -> &'static str {
    match code {
        CloseCode::TOO_BIG => "message too long",
        CloseCode::INVALID_DATA => "text is not valid UTF-8",
        CloseCode::UNSUPPORTED => "only text messages are accepted",
        _ => "protocol error",
    }
}
