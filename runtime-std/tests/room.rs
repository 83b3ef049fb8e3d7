//! Clients chatting through the std runtime.

mod support;

use chat_core::Config;
use support::{Client, TestServer};

#[test]
fn two_clients_exchange_a_line_and_see_each_other_come_and_go() {
    let server = TestServer::start(Config::default());
    let mut alice = server.join();
    let mut bob = server.join();
    assert_eq!(alice.line(), format!("*** {} entered the room", bob.name));

    bob.send("hello alice\n");
    assert_eq!(alice.line(), format!("<{}> hello alice", bob.name));
    alice.send("/nick alice\n");
    assert_eq!(alice.line(), "*** You are now known as alice");
    assert_eq!(bob.line(), format!("*** {} is now known as alice", alice.name));
    alice.send("hi bob\n");
    assert_eq!(bob.line(), "<alice> hi bob");

    bob.finish();
    assert_eq!(alice.line(), format!("*** {} is offline (left)", bob.name));
    drop((alice, bob));
    server.stop();
}

#[test]
fn an_unterminated_last_line_is_delivered_when_the_sender_closes() {
    let server = TestServer::start(Config::default());
    let mut alice = server.join();
    let mut bob = server.join();
    assert_eq!(alice.line(), format!("*** {} entered the room", bob.name));

    bob.send("bye");
    bob.finish();
    assert_eq!(alice.line(), format!("<{}> bye", bob.name));
    assert_eq!(alice.line(), format!("*** {} is offline (left)", bob.name));
    bob.expect_closed();
    drop((alice, bob));
    server.stop();
}

#[test]
fn a_half_closed_client_still_gets_its_answers_before_the_close() {
    let server = TestServer::start(Config::default());
    let mut alice = server.join();
    let mut bob = server.join();
    alice.line();

    // As `printf '/who\n' | nc -N HOST PORT` does.
    bob.send("/who\nhi");
    bob.finish();
    let lines = bob.lines_until_clean_close();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].starts_with("*** 2 here: "), "{lines:?}");
    assert_eq!(alice.line(), format!("<{}> hi", bob.name));
    assert_eq!(alice.line(), format!("*** {} is offline (left)", bob.name));
    drop((alice, bob));
    server.stop();
}

#[test]
fn quit_closes_the_connection_after_the_queue_is_sent() {
    let server = TestServer::start(Config::default());
    let mut alice = server.join();
    let mut bob = server.join();
    alice.line();

    bob.send("/who\n/quit gone fishing\n");
    assert!(bob.line().starts_with("*** 2 here: "));
    bob.expect_closed();
    assert_eq!(alice.line(), format!("*** {} is offline (quit: gone fishing)", bob.name));
    drop((alice, bob));
    server.stop();
}

#[test]
fn a_client_that_quits_while_still_sending_gets_its_answers_and_a_clean_close() {
    let server = TestServer::start(Config { flood_rate: 0.0, ..Config::default() });
    let mut alice = server.join();
    let mut bob = server.join();
    alice.line();

    // Bob keeps talking after /quit: the core ignores that input, and the server ends the
    // connection with end of file after what it sent before.
    let after = "and one more thing\n".repeat(10_000);
    bob.send(&format!("/who\n/quit\n{after}"));
    let lines = bob.lines_until_clean_close();
    assert!(lines[0].starts_with("*** 2 here: "), "{lines:?}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(alice.line(), format!("*** {} is offline (quit)", bob.name));
    drop((alice, bob));
    server.stop();
}

#[test]
fn a_full_room_refuses_the_next_client_with_a_notice() {
    let server = TestServer::start(Config { max_clients: 1, ..Config::default() });
    let alice = server.join();
    let mut bob = Client::connect(server.addr);
    assert_eq!(bob.line(), "! The server is full (1 people); try again later.");
    bob.expect_closed();
    drop((alice, bob));
    server.stop();
}

#[test]
fn invalid_settings_are_refused_before_anything_starts() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let config = Config { max_line: 1, ..Config::default() };
    let error = chat_runtime_std::spawn(vec![listener], config).unwrap_err();
    assert!(matches!(error, chat_runtime_std::Error::Config(_)), "{error}");
    let error = chat_runtime_std::spawn(Vec::new(), Config::default()).unwrap_err();
    assert!(matches!(error, chat_runtime_std::Error::NoListeners), "{error}");
}
