//! Who may connect: the per-address limits and the deadline for an unfinished line, over real
//! sockets. Every client here comes from 127.0.0.1, so the limits are applied to loopback
//! (`limit_loopback`), as `--limit-loopback` does.

use std::time::Duration;

use chat_core::Config;
use chat_tests::{Runtime, TestServer, Transcript, both_runtimes};

both_runtimes!(same one_address_cannot_fill_the_room, same reconnecting_without_end_is_refused, same an_unfinished_line_is_dropped_then_the_connection_closed);

/// The third connection from one address is refused with one clear line; a slot frees when a
/// connection leaves.
fn one_address_cannot_fill_the_room(runtime: Runtime) -> Transcript {
    let config = Config { max_per_ip: 2, limit_loopback: true, ..chat_tests::config() };
    let server = TestServer::start(runtime, config);
    let mut a = server.join("a");
    let b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let mut refused = server.connect("refused");
    refused.expect_line("! Too many connections from your address (2 at most); close one and try again.");
    refused.expect_closed();
    let b_name = b.default_name();
    let transcript = Transcript::of(&[&b, &refused]);
    b.close();
    a.expect_line(&format!("*** {b_name} is offline (left)"));
    let c = server.join("c");
    a.expect_line(&format!("*** {} entered the room", c.default_name()));
    Transcript::of(&[&a, &c]).and(transcript)
}

/// Past its allowance of new connections, an address is told when to come back.
fn reconnecting_without_end_is_refused(runtime: Runtime) -> Transcript {
    let config =
        Config { max_per_ip: 0, max_connects_per_ip: 2, limit_loopback: true, ..chat_tests::config() };
    let server = TestServer::start(runtime, config);
    let mut first = server.join("first");
    let second = server.join("second");
    first.expect_line(&format!("*** {} entered the room", second.default_name()));
    let mut refused = server.connect("refused");
    refused.expect_line(
        "! Too many new connections from your address (2 per 10 minutes); try again in 5 minutes.",
    );
    refused.expect_closed();
    Transcript::of(&[&first, &second, &refused])
}

/// Bytes without a newline are dropped after the line timeout, with a notice; if the line is
/// still not finished after as long again, the connection is closed and the others are told.
fn an_unfinished_line_is_dropped_then_the_connection_closed(runtime: Runtime) -> Transcript {
    let config = Config { line_timeout: Duration::from_secs(1), ..chat_tests::config() };
    let server = TestServer::start(runtime, config);
    let mut watcher = server.join("watcher");
    let mut slow = server.join("slowloris");
    watcher.expect_line(&format!("*** {} entered the room", slow.default_name()));
    slow.send_raw(b"GET / HTTP/1.1");
    slow.expect_line("! Your unfinished line was dropped: no end of line came within 1 seconds.");
    slow.send_raw(b"Host: x");
    slow.expect_line("! Disconnected: a line was left unfinished for more than 2 seconds.");
    slow.expect_closed();
    watcher.expect_line(&format!("*** {} is offline (unfinished line)", slow.default_name()));
    Transcript::of(&[&watcher, &slow])
}
