//! Presence and conversation in a small room: the sequential scenarios, whose transcripts must
//! be the same on both runtimes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use chat_core::Config;
use chat_tests::{Client, Deadline, Runtime, SHUTDOWN_NOTICE, TestServer, Transcript, both_runtimes};

both_runtimes!(
    same join_notices,
    same broadcast_without_echo,
    same offline_on_close,
    same offline_on_reset,
    same ipv6_and_ipv4_share_the_room,
    same commands_round_trip,
    same max_clients_refusal,
    same presence_summaries_come_on_the_timer,
    same flooder_is_warned_then_disconnected,
    invalid_config_is_refused,
    same graceful_shutdown,
);

/// Each newcomer is welcomed with the head count, and everyone already there is told.
fn join_notices(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.connect("a");
    a.expect_welcome_with(0);
    let mut b = server.connect("b");
    b.expect_welcome_with(1);
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let mut c = server.connect("c");
    c.expect_welcome_with(2);
    for name in [a.default_name(), b.default_name(), c.default_name()] {
        assert!(name.starts_with("guest-"), "a new client is a guest, not its address: {name}");
    }
    a.expect_line(&format!("*** {} entered the room", c.default_name()));
    b.expect_line(&format!("*** {} entered the room", c.default_name()));
    Transcript::of(&[&a, &b, &c])
}

/// A line reaches everyone else, and never comes back to its sender: the next line the
/// sender reads is the one sent after it by someone else.
fn broadcast_without_echo(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let mut c = server.join("c");
    a.expect_line(&format!("*** {} entered the room", c.default_name()));
    b.expect_line(&format!("*** {} entered the room", c.default_name()));

    a.send_line("hello, room");
    b.expect_line(&format!("<{}> hello, room", a.default_name()));
    c.expect_line(&format!("<{}> hello, room", a.default_name()));
    b.send_line("hi a\r");
    a.expect_line(&format!("<{}> hi a", b.default_name()));
    c.expect_line(&format!("<{}> hi a", b.default_name()));
    // Blank lines are ignored, and `//` escapes a leading slash.
    c.send_raw(b"\n   \n\r\n//not a command\n");
    a.expect_line(&format!("<{}> /not a command", c.default_name()));
    b.expect_line(&format!("<{}> /not a command", c.default_name()));
    Transcript::of(&[&a, &b, &c])
}

/// Closing the connection says `left`; an unterminated last line is still delivered first.
fn offline_on_close(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let b_name = b.default_name();
    b.send_raw(b"last words, unterminated");
    b.shutdown_write();
    a.expect_line(&format!("<{b_name}> last words, unterminated"));
    a.expect_line(&format!("*** {b_name} is offline (left)"));
    b.expect_closed();

    let c = server.join("c");
    a.expect_line(&format!("*** {} entered the room", c.default_name()));
    let c_name = c.default_name();
    let transcript = Transcript::of(&[&b, &c]);
    c.close();
    a.expect_line(&format!("*** {c_name} is offline (left)"));
    Transcript::of(&[&a]).and(transcript)
}

/// A reset connection (`SO_LINGER` 0) says `connection lost`.
fn offline_on_reset(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let b_name = b.default_name();
    // An unterminated line is delivered on a clean close only: a reset loses it.
    b.send_raw(b"never finished");
    let transcript = Transcript::of(&[&b]);
    b.reset();
    a.expect_line(&format!("*** {b_name} is offline (connection lost)"));
    // The room goes on.
    let mut c = server.join("c");
    a.expect_line(&format!("*** {} entered the room", c.default_name()));
    c.send_line("still here?");
    a.expect_line(&format!("<{}> still here?", c.default_name()));
    Transcript::of(&[&a, &c]).and(transcript)
}

/// One server listening on 127.0.0.1 and ::1: both kinds of client share one room, and neither
/// is named after its address.
fn ipv6_and_ipv4_share_the_room(runtime: Runtime) -> Transcript {
    let ips = [IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)];
    let server = TestServer::start_on(runtime, chat_tests::config(), &ips);
    let mut v4 = server.join("v4");
    let mut v6 = Client::connect(server.addrs()[1], "v6", Default::default());
    v6.expect_welcome();
    let name = v6.default_name();
    assert!(
        name.starts_with("guest-") && !name.contains(':'),
        "an IPv6 client's name {name} shows no address"
    );
    v4.expect_line(&format!("*** {} entered the room", v6.default_name()));
    v6.send_line("hello from v6");
    v4.expect_line(&format!("<{}> hello from v6", v6.default_name()));
    v4.send_line("hello from v4");
    v6.expect_line(&format!("<{}> hello from v4", v4.default_name()));
    Transcript::of(&[&v4, &v6])
}

/// The commands work end to end: `/nick`, `/me`, `/msg`, `/who`, `/help`, errors, `/quit`.
fn commands_round_trip(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let b_name = b.default_name();

    a.send_line("/nick alice");
    a.expect_line("*** You are now known as alice");
    b.expect_line(&format!("*** {} is now known as alice", a.default_name()));
    b.send_line("/NICK Alice");
    b.expect_line("! The name Alice is taken (too close to alice); pick another.");
    b.send_line("/me waves");
    a.expect_line(&format!("* {b_name} waves"));
    b.send_line("/msg alice psst");
    a.expect_line(&format!("*{b_name}* psst"));
    b.expect_line("-> *alice* psst");
    b.send_line("/msg nobody hello?");
    b.expect_line("! No one here is called nobody.");
    b.send_line("/who");
    b.expect_line(&format!("*** 2 here: alice, {b_name}"));
    b.send_line("/bogus");
    b.expect_line("! unknown command /bogus; try /help (send //text to say a line starting with /)");
    b.send_line("/help");
    let help = b.next_line();
    assert!(help.starts_with("*** Commands: "), "the /help answer: {help}");
    b.send_line("/quit gone fishing");
    a.expect_line(&format!("*** {b_name} is offline (quit: gone fishing)"));
    b.expect_closed();
    Transcript::of(&[&a, &b])
}

/// A full room refuses the next client with a clear error and closes it; nobody else notices,
/// and a place freed is taken again.
fn max_clients_refusal(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, Config { max_clients: 2, ..chat_tests::config() });
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));

    let mut refused = server.connect("refused");
    refused.expect_line("! The server is full (2 people); try again later.");
    refused.expect_closed();
    // Nobody was told about the refused client: the next thing `b` hears is `a`.
    a.send_line("still two of us");
    b.expect_line(&format!("<{}> still two of us", a.default_name()));

    let b_name = b.default_name();
    let transcript = Transcript::of(&[&b, &refused]);
    b.close();
    a.expect_line(&format!("*** {b_name} is offline (left)"));
    let mut c = server.connect("c");
    c.expect_welcome_with(1);
    // The room's history: what `a` said.
    assert_eq!(c.expect_history(), [format!("<{}> still two of us", a.default_name())]);
    a.expect_line(&format!("*** {} entered the room", c.default_name()));
    Transcript::of(&[&a, &c]).and(transcript)
}

/// Stopping the server sends every client the notice, closes every connection cleanly, and
/// `wait()` returns; a client that connects after the stop is turned away.
fn graceful_shutdown(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut clients = vec![server.join("a")];
    for label in ["b", "c", "d"] {
        let client = server.join(label);
        let name = client.default_name();
        for earlier in &mut clients {
            earlier.expect_line(&format!("*** {name} entered the room"));
        }
        clients.push(client);
    }
    clients[0].send_line("last message before the end");
    let sender = clients[0].default_name();
    for client in &mut clients[1..] {
        client.expect_line(&format!("<{sender}> last message before the end"));
    }

    server.stop();
    for client in &mut clients {
        client.expect_line(SHUTDOWN_NOTICE);
        client.expect_closed();
    }
    // A client that connects after the stop is never let in: the listener is gone (refused),
    // or the connection is turned away with the notice, or reset when the listener closes.
    if let Ok(mut late) = Client::try_connect(server.addr(), "late", Default::default()) {
        let (lines, _end) = late.recv_until_end(Deadline::standard());
        assert!(
            lines.iter().all(|line| line == SHUTDOWN_NOTICE),
            "a client connecting after stop() got {lines:?}"
        );
    }
    // Clients close their side on seeing the close, as `chat join` and `nc` do; the server
    // then finishes at once rather than at the end of its grace period.
    let transcript = Transcript::of(&clients.iter().collect::<Vec<_>>());
    drop(clients);
    server.stop_and_wait(Deadline::standard());
    transcript
}

/// In a big room (here: above one person) join and offline notices are coalesced and sent when
/// the core's timer fires, so this checks each runtime honours `poll_timeout`. The summary goes
/// to everyone in the room, the newcomer included.
fn presence_summaries_come_on_the_timer(runtime: Runtime) -> Transcript {
    let config = Config {
        presence_batch_above: 1,
        presence_interval: Duration::from_millis(50),
        ..chat_tests::config()
    };
    let server = TestServer::start(runtime, config);
    let mut a = server.join("a");
    let mut b = server.join("b");
    let b_joined = format!("*** 1 entered the room: {}", b.default_name());
    a.expect_line(&b_joined);
    b.expect_line(&b_joined);
    let mut c = server.join("c");
    let c_joined = format!("*** 1 entered the room: {}", c.default_name());
    for client in [&mut a, &mut b, &mut c] {
        client.expect_line(&c_joined);
    }
    let b_left = format!("*** 1 are offline: {} (left)", b.default_name());
    let transcript = Transcript::of(&[&b]);
    b.close();
    a.expect_line(&b_left);
    c.expect_line(&b_left);
    Transcript::of(&[&a, &c]).and(transcript)
}

/// A flooder gets its burst through, then one warning, then is disconnected with a last error
/// line that arrives before the close even though it is still sending; the others see only
/// the burst and the notice.
fn flooder_is_warned_then_disconnected(runtime: Runtime) -> Transcript {
    // A rate so low no line is refilled during the test, so the verdicts are the same however
    // fast the machine is.
    let config = Config { flood_rate: 0.001, flood_burst: 5, flood_kick: 3, ..chat_tests::config() };
    let server = TestServer::start(runtime, config);
    let mut a = server.join("a");
    let mut flooder = server.join("flooder");
    a.expect_line(&format!("*** {} entered the room", flooder.default_name()));
    let name = flooder.default_name();

    // 20 lines at once, then far more: the server stops reading it while it is still sending.
    let lines: String = (0..20).map(|i| format!("line {i}\n")).collect();
    flooder.send_raw(lines.as_bytes());
    let mut writer = flooder.writer();
    let more = std::thread::spawn(move || {
        let line = format!("{}\n", "more ".repeat(100));
        for _ in 0..1_000 {
            if writer.try_send_raw(line.as_bytes()).is_err() {
                return;
            }
        }
    });
    for i in 0..5 {
        a.expect_line(&format!("<{name}> line {i}"));
    }
    a.expect_line(&format!("*** {name} is offline (flooding)"));
    flooder.expect_line(
        "! You are sending too fast: lines are being dropped. Slow down or you will be disconnected.",
    );
    flooder.expect_line("! Disconnected for flooding.");
    let (rest, end) = flooder.recv_until_end(Deadline::standard());
    assert!(rest.is_empty(), "after the last error, the flooder got {rest:?}");
    assert!(
        matches!(end, chat_tests::End::Closed { ref partial } if partial.is_empty()),
        "the flooder's connection did not end with a clean close: {end:?}"
    );
    more.join().expect("the flooder's sender does not panic");
    Transcript::of(&[&a, &flooder])
}

/// A config that makes no sense is an error from `spawn` that says what is wrong with it.
fn invalid_config_is_refused(runtime: Runtime) {
    let expected = chat_core::ConfigError::MaxLineTooSmall(1).to_string();
    let config = Config { max_line: 1, ..chat_tests::config() };
    match TestServer::try_start_on(runtime, config, &[IpAddr::V4(Ipv4Addr::LOCALHOST)]) {
        Ok(_) => panic!("the {runtime} runtime started with max_line 1"),
        Err(error) => {
            assert!(error.contains(&expected), "the {runtime} runtime's error {error:?} hides {expected:?}")
        }
    }
}
