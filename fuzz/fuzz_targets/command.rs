//! Any line through `Command::parse` and through a `Server`.
//!
//! The parser must never panic and must only hand back pieces of the line it was given, with
//! the shapes its variants promise. A name `/nick` accepts must not hold anything that looks
//! like white space or like nothing at all, nor look like an address or a notice (no look-alike
//! of `:` `*` `,` `<` `>` `[` `]`). The same bytes, sent as a line by one of two clients in a
//! room, must only ever produce frames that are valid single-line wire text: UTF-8, one line
//! ending in exactly one `\n`, and no control character but tab; and nothing invisible reaches
//! anyone: every line is already as `sanitize` would make it.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chat_core::{ClientId, Command, CommandError, Config, Input, Nick, Output, PeerGone, Server, sanitize};
use chat_fuzz::{Lines, check_frame};
use libfuzzer_sys::fuzz_target;
use unicode_security::skeleton;

fuzz_target!(|bytes: &[u8]| {
    check_parse(&String::from_utf8_lossy(bytes));
    check_server(bytes);
});

/// `part` is a sub-slice of `line` (the parser borrows; it never invents text).
fn within(line: &str, part: &str) -> bool {
    let range = line.as_bytes().as_ptr_range();
    part.is_empty() || (range.contains(&part.as_ptr()) && part.as_bytes().as_ptr_range().end <= range.end)
}

fn check_parse(line: &str) {
    let Ok(command) = Command::parse(line) else {
        let error = Command::parse(line).unwrap_err();
        assert!(line.starts_with('/') && !line.starts_with("//"), "{line:?} refused: {error}");
        if let CommandError::Unknown(name) = error {
            assert!(name.chars().count() <= 32, "unknown command name kept whole: {name:?}");
        }
        return;
    };
    let no_space = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    match command {
        Command::Say(text) => {
            assert!(text == line || line.strip_prefix('/') == Some(text), "{line:?} says {text:?}");
            assert!(!text.starts_with('/') || line.starts_with("//"), "{line:?} says {text:?}");
        }
        Command::Me(text) => assert!(within(line, text) && !text.trim().is_empty(), "{line:?}: /me {text:?}"),
        Command::Nick(name) => {
            assert!(within(line, name) && no_space(name), "{line:?}: /nick {name:?}");
            check_nick(name);
        }
        Command::Msg { to, text } => {
            assert!(within(line, to) && no_space(to), "{line:?}: /msg to {to:?}");
            assert!(within(line, text) && !text.trim().is_empty(), "{line:?}: /msg text {text:?}");
        }
        Command::Quit(reason) => {
            assert!(reason.is_none_or(|r| within(line, r) && !r.trim().is_empty()), "{line:?}: {reason:?}");
        }
        Command::Who | Command::Help => assert!(line.starts_with('/'), "{line:?}"),
    }
}

/// A name `/nick` accepts has no white space and no invisible characters, not even through
/// look-alikes: no character may look like white space (its confusable skeleton holds some),
/// and none may look like nothing (an empty skeleton, as the Hangul fillers have), variation
/// selectors aside: they pick how the character before them is drawn (❤️ is U+2764 U+FE0F).
fn check_nick(name: &str) {
    if Nick::parse(name, 24).is_err() {
        return;
    }
    for c in name.chars() {
        let looks: String = skeleton(c.encode_utf8(&mut [0; 4])).collect();
        assert!(
            !looks.is_empty() || is_variation_selector(c),
            "/nick {name:?} is accepted but {c:?} is invisible"
        );
        assert!(
            !looks.contains(char::is_whitespace),
            "/nick {name:?} is accepted but {c:?} looks like {looks:?}"
        );
    }
    let looks: String = skeleton(name).collect();
    assert!(
        !looks.contains([':', '*', ',', '<', '>', '[', ']']),
        "/nick {name:?} is accepted but looks like {looks:?}"
    );
    assert_eq!(sanitize(name), name, "/nick {name:?} is accepted with something invisible in it");
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

const ALICE: ClientId = ClientId(1);
const BOB: ClientId = ClientId(2);

/// Alice sends `bytes` as a line to a room with Bob (renamed `bob`), then both leave and the
/// server shuts down. Every frame on the way must be valid wire text.
fn check_server(bytes: &[u8]) {
    let config = Config { max_line: 256, max_queue: 64 * 1024, ..Config::default() };
    let mut now = Instant::now();
    let mut server = Server::new(config, now).expect("the config is valid");
    let mut frames: Vec<Bytes> = Vec::new();
    let peer = |port| SocketAddr::from(([127, 0, 0, 1], port));
    let mut step = |server: &mut Server, now: Instant, input: Input<'_>| {
        server.handle_input(now, input).expect("the harness keeps the API contract");
        while let Some(output) = server.poll_output() {
            if let Output::Transmit { frame, .. } = output {
                frames.push(frame);
            }
        }
    };
    step(&mut server, now, Input::Connected { id: ALICE, peer: peer(4000) });
    step(&mut server, now, Input::Connected { id: BOB, peer: peer(4001) });
    step(&mut server, now, Input::Received { id: BOB, bytes: b"/nick bob\n" });
    step(&mut server, now, Input::Received { id: ALICE, bytes });
    step(&mut server, now, Input::Received { id: ALICE, bytes: b"\n" });
    step(&mut server, now, Input::Received { id: ALICE, bytes });
    step(&mut server, now, Input::Disconnected { id: ALICE, cause: PeerGone::Closed });
    step(&mut server, now, Input::Shutdown);
    now += Duration::from_secs(60);
    step(&mut server, now, Input::Timeout);
    assert!(server.is_finished(), "the server finishes once its grace period is over");
    for frame in &frames {
        if let Err(problem) = check_frame(frame, Lines::One) {
            panic!("{problem}: {frame:?}");
        }
        let text = std::str::from_utf8(frame).expect("checked above").trim_end_matches('\n');
        assert_eq!(sanitize(text), text, "something invisible or unsafe reaches someone");
    }
}
