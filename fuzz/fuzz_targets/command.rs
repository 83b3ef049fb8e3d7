//! Any line through `Command::parse` and through a `Server` (driven by the core's simulated
//! world, `chat_core::sim`).
//!
//! The parser must never panic and must only hand back pieces of the line it was given, with
//! the shapes its variants promise. A name `/nick` accepts must not hold anything that looks
//! like white space or like nothing at all, nor look like an address or a notice (no look-alike
//! of `:` `*` `,` `<` `>` `[` `]`). The same bytes, sent as a line by one of two clients in a
//! room, must only ever produce valid wire text: UTF-8, whole lines each ending in exactly one
//! `\n`, and no control character but tab; and nothing invisible reaches anyone: every line is
//! already as `sanitize` would make it.

#![no_main]

use std::time::Duration;

use chat_core::protocol::{Command, CommandError, Nick, sanitize};
use chat_core::sim::Sim;
use chat_core::{Config, PeerGone};
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
        Command::WhoIn(room) | Command::Join(room) => {
            assert!(within(line, room) && no_space(room), "{line:?}: room {room:?}");
        }
        Command::Topic(Some(text)) | Command::Away(Some(text)) => {
            assert!(within(line, text) && !text.trim().is_empty(), "{line:?}: {text:?}");
        }
        Command::Ignore(Some(name)) | Command::Unignore(name) => {
            assert!(within(line, name) && no_space(name), "{line:?}: name {name:?}");
        }
        Command::History(count) => assert!(count.is_none_or(|n| n > 0), "{line:?}: /history {count:?}"),
        Command::Op(name)
        | Command::Deop(name)
        | Command::Unban(name)
        | Command::Unmute(name)
        | Command::Whois(name)
        | Command::Mute { name, .. } => {
            assert!(within(line, name) && no_space(name), "{line:?}: name {name:?}");
        }
        Command::Kick { name: target, reason } | Command::Ban { target, reason, .. } => {
            assert!(within(line, target) && no_space(target), "{line:?}: target {target:?}");
            assert!(reason.is_none_or(|r| within(line, r) && !r.trim().is_empty()), "{line:?}: {reason:?}");
        }
        Command::Motd(Some(text)) => assert!(within(line, text) && !text.trim().is_empty(), "{line:?}: {text:?}"),
        Command::Register(password) | Command::Unregister(password) => {
            assert!(within(line, password.as_str()) && no_space(password.as_str()), "{line:?}");
        }
        Command::Identify { name, password } => {
            assert!(name.is_none_or(|n| within(line, n) && no_space(n)), "{line:?}: {name:?}");
            assert!(within(line, password.as_str()) && no_space(password.as_str()), "{line:?}");
        }
        Command::ChangePassword { old, new } => {
            assert!(within(line, old.as_str()) && no_space(old.as_str()), "{line:?}");
            assert!(within(line, new.as_str()) && no_space(new.as_str()), "{line:?}");
        }
        Command::Motd(None) | Command::ClearMotd | Command::LockTopic(_) | Command::Banned => {
            assert!(line.starts_with('/'), "{line:?}")
        }
        Command::Who
        | Command::Help
        | Command::Part
        | Command::List
        | Command::Topic(None)
        | Command::ClearTopic
        | Command::Away(None)
        | Command::Ignore(None) => assert!(line.starts_with('/'), "{line:?}"),
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

/// Alice sends `bytes` as a line to a room with Bob (renamed `bob`), twice, then leaves and
/// the server shuts down. Everything either receives must be valid wire text.
fn check_server(bytes: &[u8]) {
    let config = Config { max_line: 256, max_queue: 64 * 1024, ..Config::default() };
    let mut sim = Sim::new(config);
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.say(bob, "/nick bob");
    sim.send(alice, bytes);
    sim.send(alice, b"\n");
    sim.send(alice, bytes);
    sim.disconnect(alice, PeerGone::Closed);
    sim.shutdown();
    sim.advance(Duration::from_secs(60));
    assert!(sim.server.is_finished(), "the server finishes once its grace period is over");
    for client in sim.clients.values() {
        if let Err(problem) = check_frame(&client.received, Lines::OneOrMore) {
            panic!("{problem}: {} received {:?}", client.label, String::from_utf8_lossy(&client.received));
        }
        for line in String::from_utf8_lossy(&client.received).lines() {
            assert_eq!(sanitize(line), line, "something invisible or unsafe reaches {}", client.label);
        }
    }
}
