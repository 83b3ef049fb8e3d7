//! Leaving: what a client that goes gets before its connection closes. A half-closed client
//! still gets its answers; one that quits while still sending gets the answers to what it sent
//! before `/quit` and a clean close; one that quits with a backlog gets all of it first. What a
//! client sends after its `/quit` is discarded, and never heard as another client's input.

use std::thread;
use std::time::Duration;

use chat_core::Config;
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Client, ClientOptions, Deadline, Runtime, TestServer, Transcript, both_runtimes};

both_runtimes!(
    same half_closed_client_gets_its_answers_then_is_closed,
    same quit_while_still_sending,
    quit_delivers_the_backlog_first,
    the_next_connection_after_a_quit_is_not_quit_too,
    input_after_quit_is_nobody_elses,
);

/// One client quits, alone, and the next connects: the newcomer stays and can talk (the smol
/// runtime used to feed the newcomer the `/quit` the last one sent, so it left at once).
fn the_next_connection_after_a_quit_is_not_quit_too(runtime: Runtime) {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut quitter = server.join("quitter");
    quitter.send_line("/quit");
    quitter.recv_all_until_closed(Deadline::standard());
    let mut next = server.join("next");
    next.send_line("/nick next");
    next.expect_line("*** You are now known as next");
}

/// A client that sends its input and then end of file, as `printf '/who\nhi\n/who' | nc -N`
/// does, has only half-closed: it still reads. It gets the answers to everything it sent, the
/// unterminated last line included, then a clean close; the others hear its line and that it
/// left.
fn half_closed_client_gets_its_answers_then_is_closed(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let b_name = b.default_name();

    b.send_raw(b"/who\nhi\n/who");
    b.shutdown_write();
    a.expect_line(&format!("<{b_name}> hi"));
    a.expect_line(&format!("*** {b_name} is offline (left)"));
    let answers = b.recv_all_until_closed(Deadline::standard());
    assert_eq!(answers.len(), 2, "b's answers: {answers:?}");
    for answer in &answers {
        assert!(answer.starts_with("*** 2 here: "), "an answer to /who: {answer:?}");
    }
    Transcript::of(&[&a, &b])
}

/// A client that goes on sending after `/quit` (in the same write, and after): the server
/// ignores everything after the `/quit`, answers what came before it, and closes the
/// connection cleanly (end of file, not a reset, though unread input was arriving).
fn quit_while_still_sending(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, Config { flood_rate: 0.0, ..chat_tests::config() });
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let b_name = b.default_name();

    let mut writer = b.writer();
    let sending = thread::spawn(move || {
        let after = "and one more thing\n".repeat(10_000);
        // The server may close before it has read all of this: an error is expected then.
        let _ = writer.try_send_raw(format!("/who\n/quit\n{after}").as_bytes());
        let _ = writer.try_send_raw(after.as_bytes());
    });
    let lines = b.recv_all_until_closed(Deadline::standard());
    assert_eq!(lines.len(), 1, "b got {lines:?}");
    assert!(lines[0].starts_with("*** 2 here: "), "the answer to /who: {lines:?}");
    a.expect_line(&format!("*** {b_name} is offline (quit)"));
    sending.join().expect("b's sender does not panic");
    Transcript::of(&[&a, &b])
}

/// 8 MB: more than the kernel buffers for a client that is not reading (up to 4 MB of send
/// buffer), so the rest is still queued in the server when the client quits.
const LINES: usize = 8_000;
const LINE: usize = 1_000;

fn length(_: usize) -> usize {
    LINE
}

fn quit_delivers_the_backlog_first(runtime: Runtime) {
    // A queue cap above the backlog, and a grace period long enough for a debug-build reader.
    let config = Config {
        flood_rate: 0.0,
        max_queue: 16 << 20,
        close_linger: Duration::from_secs(30),
        ..chat_tests::config()
    };
    let server = TestServer::start(runtime, config);
    let mut talker = server.join("talker");
    let mut witness = server.join("witness");
    talker.expect_line(&format!("*** {} entered the room", witness.default_name()));
    let mut leaver = Client::connect(server.addr(), "leaver", ClientOptions { recv_buffer: Some(4096) });
    // It reads its welcome (which gives its name), then nothing until it quits.
    leaver.expect_welcome();
    talker.expect_line(&format!("*** {} entered the room", leaver.default_name()));
    witness.expect_line(&format!("*** {} entered the room", leaver.default_name()));

    // The talker's lines reach the witness, so the server has queued them all for the leaver,
    // who has read nothing yet.
    let mut writer = talker.writer();
    let sending = thread::spawn(move || writer.send_raw(&traffic::lines(0, 0..LINES, length)));
    let mut delivery = Delivery::new();
    delivery.expect_from(&talker.default_name(), 0, LINES, length);
    witness.set_recording(false);
    let others = witness.receive_traffic(&mut delivery, Deadline::after(Duration::from_secs(60)));
    assert!(others.is_empty(), "the witness got {others:?} besides the traffic");
    sending.join().expect("the talker's sender does not panic");

    leaver.send_line("/quit busy");
    talker.expect_line(&format!("*** {} is offline (quit: busy)", leaver.default_name()));
    // Now the leaver reads (it read its welcome already): all the traffic, then the close.
    leaver.set_recv_buffer(1 << 20);
    leaver.set_recording(false);
    let mut delivery = Delivery::new();
    delivery.expect_from(&talker.default_name(), 0, LINES, length);
    let lines = leaver.recv_all_until_closed(Deadline::after(Duration::from_secs(60)));
    for line in &lines {
        match delivery.accept(line) {
            Ok(true) => {}
            Ok(false) => panic!("the leaver got an unexpected line {line:?}"),
            Err(error) => panic!("the leaver: {error}"),
        }
    }
    assert!(delivery.is_complete(), "the leaver's backlog was cut short: {}", delivery.progress());
}

/// What a client sends after its `/quit` is read and discarded: the next client to connect
/// does not start with it as its own input. (The smol runtime once heard a new connection with
/// the bytes last read from another, left in the buffer all connections share: the newcomer
/// quit at once, or its first line was the end of someone else's half line, so that its own
/// `/quit` was not a command and its connection never closed.)
fn input_after_quit_is_nobody_elses(runtime: Runtime) {
    let server = TestServer::start(runtime, chat_tests::config());
    // Alone in the server, so that nothing is written to anyone between the read of a's last
    // bytes and the next connection.
    let mut gone = server.join("gone");
    // One small write, so one read: the `/quit`, then the start of a line, discarded.
    gone.send_raw(b"/quit\nhalf a li");
    gone.expect_closed();

    // `gone` keeps its side open (the server lingers, discarding), so its end of input does not
    // come between.
    let mut next = server.join("next");
    next.send_line("/who");
    let answer = next.read_until("the /who answer", Deadline::standard(), |line| line.contains(" here: "));
    assert_eq!(answer, [format!("*** 1 here: {}", next.default_name())], "next's first lines");
    next.send_line("/quit bye");
    next.expect_closed();
    drop(gone);
}
