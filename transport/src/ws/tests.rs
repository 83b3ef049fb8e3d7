//! The decoder against frames as clients send them, whole and in pieces.

use proptest::prelude::*;

use super::encode::Opcode;
use super::{CloseCode, Decoder, Outcome};

/// A frame as a client sends it, masked or not.
fn client_frame(fin: bool, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    super::client::frame(fin, opcode, payload, masked.then_some([0x37, 0xfa, 0x21, 0x3d]))
}

fn text(payload: &str) -> Vec<u8> {
    super::client::text(payload)
}

/// Decodes `input` in one piece: the lines, the answers and the outcome.
fn decode(max: usize, input: &[u8]) -> (Vec<u8>, Vec<u8>, Outcome) {
    let mut decoder = Decoder::new(max);
    let (mut lines, mut out) = (Vec::new(), Vec::new());
    let outcome = decoder.decode(input, &mut lines, &mut out);
    (lines, out, outcome)
}

/// The close frame a server sends with `code`, without its reason.
fn close_code_of(out: &[u8]) -> u16 {
    assert_eq!(out[0], 0x88, "a close frame: {out:?}");
    u16::from_be_bytes([out[2], out[3]])
}

#[test]
fn a_masked_text_message_is_one_line() {
    let (lines, out, outcome) = decode(4096, &text("hello"));
    assert_eq!(lines, b"hello\n");
    assert!(out.is_empty());
    assert_eq!(outcome, Outcome::Open);
}

#[test]
fn an_empty_message_is_an_empty_line_which_the_core_ignores() {
    let (lines, out, outcome) = decode(4096, &text(""));
    assert_eq!((lines.as_slice(), out.as_slice(), outcome), (&b"\n"[..], &b""[..], Outcome::Open));
}

#[test]
fn an_unmasked_frame_is_a_protocol_error() {
    let (lines, out, outcome) = decode(4096, &client_frame(true, 0x1, b"hi", false));
    assert!(lines.is_empty());
    assert_eq!(outcome, Outcome::Failed(CloseCode::PROTOCOL));
    assert_eq!(close_code_of(&out), 1002);
}

#[test]
fn fragments_make_one_message_even_with_a_ping_between_them() {
    let mut input = client_frame(false, 0x1, b"hel", true);
    input.extend(client_frame(true, 0x9, b"are you there", true));
    input.extend(client_frame(false, 0x0, b"lo ", true));
    input.extend(client_frame(true, 0x0, b"world", true));
    let (lines, out, outcome) = decode(4096, &input);
    assert_eq!(lines, b"hello world\n");
    assert_eq!(out, b"\x8a\x0dare you there", "the ping is answered with its payload");
    assert_eq!(outcome, Outcome::Open);
}

#[test]
fn a_character_split_between_fragments_is_valid() {
    let word = "café".as_bytes();
    let mut input = client_frame(false, 0x1, &word[..4], true);
    input.extend(client_frame(true, 0x0, &word[4..], true));
    assert_eq!(decode(4096, &input).0, "café\n".as_bytes());
}

#[test]
fn invalid_utf8_closes_with_1007() {
    let (lines, out, outcome) = decode(4096, &client_frame(true, 0x1, b"\xff\xfe", true));
    assert!(lines.is_empty());
    assert_eq!(outcome, Outcome::Failed(CloseCode::INVALID_DATA));
    assert_eq!(close_code_of(&out), 1007);
}

#[test]
fn a_message_over_the_limit_closes_with_1009_before_its_payload_arrives() {
    let frame = text(&"x".repeat(17));
    // Only the header: the decoder must not wait for (or buffer) the payload.
    let (lines, out, outcome) = decode(16, &frame[..6]);
    assert!(lines.is_empty());
    assert_eq!(outcome, Outcome::Failed(CloseCode::TOO_BIG));
    assert_eq!(close_code_of(&out), 1009);
}

#[test]
fn fragments_adding_up_over_the_limit_close_with_1009() {
    let mut input = client_frame(false, 0x1, &[b'a'; 10], true);
    input.extend(client_frame(true, 0x0, &[b'b'; 7], true));
    assert_eq!(decode(16, &input).2, Outcome::Failed(CloseCode::TOO_BIG));
    let mut exact = client_frame(false, 0x1, &[b'a'; 10], true);
    exact.extend(client_frame(true, 0x0, &[b'b'; 6], true));
    assert_eq!(decode(16, &exact).2, Outcome::Open, "exactly the limit is accepted");
}

#[test]
fn binary_messages_are_refused_with_1003() {
    assert_eq!(
        decode(4096, &client_frame(true, 0x2, b"\x00", true)).2,
        Outcome::Failed(CloseCode::UNSUPPORTED)
    );
}

#[test]
fn broken_framing_is_a_protocol_error() {
    let cases: [(&str, Vec<u8>); 6] = [
        ("continuation with nothing to continue", client_frame(true, 0x0, b"x", true)),
        ("reserved opcode", client_frame(true, 0x3, b"x", true)),
        ("reserved bit", {
            let mut frame = text("x");
            frame[0] |= 0x40;
            frame
        }),
        ("fragmented ping", client_frame(false, 0x9, b"x", true)),
        ("long ping", client_frame(true, 0x9, &[0; 126], true)),
        ("new message inside a fragmented one", {
            let mut input = client_frame(false, 0x1, b"a", true);
            input.extend(text("b"));
            input
        }),
    ];
    for (what, input) in cases {
        assert_eq!(decode(4096, &input).2, Outcome::Failed(CloseCode::PROTOCOL), "{what}");
    }
}

#[test]
fn a_close_frame_is_answered_with_its_code_and_ends_reading() {
    let mut input = client_frame(true, 0x8, b"\x03\xe8bye", true);
    input.extend(text("after the close"));
    let (lines, out, outcome) = decode(4096, &input);
    assert!(lines.is_empty(), "nothing is read after a close frame");
    assert_eq!(outcome, Outcome::PeerClosed(Some(CloseCode::NORMAL)));
    assert_eq!(close_code_of(&out), 1000);
}

#[test]
fn an_empty_close_frame_is_answered_with_an_empty_one() {
    let (_, out, outcome) = decode(4096, &client_frame(true, 0x8, b"", true));
    assert_eq!(outcome, Outcome::PeerClosed(None));
    assert_eq!(out, b"\x88\x00");
}

#[test]
fn bad_close_frames_are_protocol_errors() {
    for (payload, code) in
        [(&b"\x03"[..], 1002), (b"\x03\xed", 1002), (b"\x00\x00", 1002), (b"\x03\xe8\xff", 1007)]
    {
        let (_, out, _) = decode(4096, &client_frame(true, 0x8, payload, true));
        assert_eq!(close_code_of(&out), code, "close payload {payload:?}");
    }
}

#[test]
fn a_long_message_uses_the_16_bit_length() {
    let long = "y".repeat(300);
    assert_eq!(decode(4096, &text(&long)).0, format!("{long}\n").as_bytes());
}

#[test]
fn opcodes_round_trip() {
    for bits in 0..16u8 {
        if let Some(opcode) = Opcode::from_bits(bits) {
            assert_eq!(opcode as u8, bits);
        }
    }
}

proptest! {
    /// However the bytes are cut, the same lines come out.
    #[test]
    fn any_chunking_gives_the_same_lines(
        messages in prop::collection::vec("[a-zé ]{0,40}", 1..8),
        cuts in prop::collection::vec(1usize..20, 0..50),
    ) {
        let mut input = Vec::new();
        let mut expected = Vec::new();
        for (i, message) in messages.iter().enumerate() {
            let bytes = message.as_bytes();
            if i % 2 == 0 && bytes.len() > 1 {
                let middle = bytes.len() / 2;
                input.extend(client_frame(false, 0x1, &bytes[..middle], true));
                input.extend(client_frame(true, 0x9, b"p", true));
                input.extend(client_frame(true, 0x0, &bytes[middle..], true));
            } else {
                input.extend(client_frame(true, 0x1, bytes, true));
            }
            expected.extend_from_slice(bytes);
            expected.push(b'\n');
        }
        let mut decoder = Decoder::new(4096);
        let (mut lines, mut out) = (Vec::new(), Vec::new());
        let mut rest = input.as_slice();
        for cut in cuts {
            let (piece, tail) = rest.split_at(cut.min(rest.len()));
            prop_assert_eq!(decoder.decode(piece, &mut lines, &mut out), Outcome::Open);
            rest = tail;
        }
        prop_assert_eq!(decoder.decode(rest, &mut lines, &mut out), Outcome::Open);
        prop_assert_eq!(lines, expected);
    }

    /// Random bytes never panic, and memory stays within the limit.
    #[test]
    fn garbage_never_panics(input in prop::collection::vec(any::<u8>(), 0..300)) {
        let mut decoder = Decoder::new(64);
        let (mut lines, mut out) = (Vec::new(), Vec::new());
        decoder.decode(&input, &mut lines, &mut out);
        prop_assert!(decoder.buffered() <= 64 + 125 + 64);
    }
}
