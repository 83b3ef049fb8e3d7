//! Hostile and odd input: over-long lines, invalid UTF-8, terminal escape sequences. Each is
//! handled for the sender alone and the connection carries on; transcripts must match between
//! runtimes.

use chat_tests::{Client, Runtime, TestServer, Transcript, both_runtimes};

both_runtimes!(same over_long_line, same invalid_utf8, same escape_injection, same one_byte_at_a_time);

/// A room of two, `a` and `b`, with the join notice read.
fn pair(server: &TestServer) -> (Client, Client) {
    let mut a = server.join("a");
    let b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    (a, b)
}

/// A line over `max_line` is dropped whole with an error to its sender only; a line of exactly
/// `max_line` bytes goes through; the connection carries on with the next line, even when the
/// long line arrived in pieces.
fn over_long_line(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let (mut a, mut b) = pair(&server);
    let max = chat_tests::config().max_line;

    let longest = "x".repeat(max);
    a.send_line(&longest);
    b.expect_line(&format!("<{}> {longest}", a.default_name()));

    a.send_line(&"y".repeat(max + 1));
    a.expect_line("! Line too long (more than 4096 bytes): it was dropped.");
    // Far over the limit, sent in several pieces: still one error, nothing of it relayed.
    let huge = "z".repeat(5 * max);
    for piece in huge.as_bytes().chunks(3000) {
        a.send_raw(piece);
    }
    a.send_raw(b"\nafter the long ones\n");
    a.expect_line("! Line too long (more than 4096 bytes): it was dropped.");
    b.expect_line(&format!("<{}> after the long ones", a.default_name()));
    b.send_line("b is fine");
    a.expect_line(&format!("<{}> b is fine", b.default_name()));
    Transcript::of(&[&a, &b])
}

/// Bytes that are not UTF-8 become U+FFFD and the line is still delivered; a character split
/// across two sends is put back together.
fn invalid_utf8(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let (mut a, mut b) = pair(&server);
    let a_name = a.default_name();

    a.send_raw(b"caf\xc3 \xff\xfe ok \xe2\x82\n");
    b.expect_line(&format!("<{a_name}> caf\u{FFFD} \u{FFFD}\u{FFFD} ok \u{FFFD}"));
    a.send_raw("na\u{ef}ve caf".as_bytes());
    a.send_raw(b"\xc3");
    a.send_raw(b"\xa9 \xf0\x9f");
    a.send_raw(b"\x92\xac\n");
    b.expect_line(&format!("<{a_name}> na\u{ef}ve caf\u{e9} \u{1F4AC}"));
    a.send_raw(b"\xff\n");
    b.expect_line(&format!("<{a_name}> \u{FFFD}"));
    // The sender got no error for any of it.
    b.send_line("all good");
    a.expect_line(&format!("<{}> all good", b.default_name()));
    Transcript::of(&[&a, &b])
}

/// Nobody can write into another user's terminal: controls arrive in caret notation, bidi
/// overrides and line separators as U+FFFD, in messages, actions and private messages alike.
fn escape_injection(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let (mut a, mut b) = pair(&server);
    let a_name = a.default_name();

    a.send_raw(b"\x1b[2J\x1b[31mred\x07\tand\x7f\rreturn\n");
    b.expect_line(&format!("<{a_name}> ^[[2J^[[31mred^G\tand^?^Mreturn"));
    a.send_line("/me \x1b]0;owned\x07 \u{202E}reversed\u{2028}next\u{85}line");
    b.expect_line(&format!("* {a_name} ^[]0;owned^G \u{FFFD}reversed\u{FFFD}next\u{FFFD}line"));
    a.send_line("/nick \x1b[1mbold");
    let error = a.next_line();
    assert!(
        error.starts_with("! ") && !error.contains('\x1b'),
        "an invalid nick is refused safely: {error:?}"
    );
    a.send_line("/nick ok");
    a.expect_line("*** You are now known as ok");
    b.expect_line(&format!("*** {a_name} is now known as ok"));
    b.send_line("/msg ok \x1b[8mhidden");
    a.expect_line(&format!("*{}* ^[[8mhidden", b.default_name()));
    b.expect_line("-> *ok* ^[[8mhidden");
    Transcript::of(&[&a, &b])
}

/// Lines sent one byte per write (each its own TCP segment, as `TCP_NODELAY` is on) are put
/// back together whole: plain, CRLF-terminated, a command and multi-byte characters.
fn one_byte_at_a_time(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let (mut a, mut b) = pair(&server);
    let a_name = a.default_name();
    for byte in "slowly typed\r\n/me types ünïcödé 💬\nlast\n".bytes() {
        a.send_raw(&[byte]);
    }
    b.expect_line(&format!("<{a_name}> slowly typed"));
    b.expect_line(&format!("* {a_name} types ünïcödé 💬"));
    b.expect_line(&format!("<{a_name}> last"));
    Transcript::of(&[&a, &b])
}
