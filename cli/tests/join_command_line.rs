//! `chat join`'s command line: defaults, environment variables, `--version`.

mod join_support;

use std::process::Command;

use join_support::chat_bin;
use join_support::client::RawClient;
use join_support::piped::PipedChat;
use join_support::server::TestServer;

#[test]
fn the_version_is_that_of_the_chat_command() {
    let output = Command::new(chat_bin()).arg("--version").output().expect("run chat --version");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), format!("chat {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn the_port_defaults_to_5000() {
    // Whether or not something listens on 5000 here, the client goes there.
    let mut chat = PipedChat::spawn(&["127.0.0.1"]);
    chat.close_stdin();
    chat.expect_stderr(|line| {
        line.starts_with("Connected to 127.0.0.1:5000 ")
            || line.starts_with("error: Unable to connect to 127.0.0.1:5000: ")
    });
}

#[test]
fn host_port_and_nick_come_from_chat_variables_as_for_serve() {
    let server = TestServer::start();
    let port = server.port().to_string();
    let mut bob = RawClient::join_as(server.port(), "bob");
    let env = [("CHAT_HOST", "127.0.0.1"), ("CHAT_PORT", port.as_str()), ("CHAT_NICK", "alice")];
    let mut chat = PipedChat::spawn_with_env(&[], &env);
    bob.expect_line(|line| line == "*** alice entered the room" || line.ends_with(" is now known as alice"));
    chat.send("hi from the environment\n");
    bob.expect_line(|line| line == "<alice> hi from the environment");
    chat.close_stdin();
    assert!(chat.wait_exit().success(), "stderr {:#?}", chat.stderr);
}

#[test]
fn a_piped_block_longer_than_the_flood_burst_arrives_whole() {
    // Issue 9, item 12: lines beyond the server's burst of 30 were dropped by its flood
    // control; piped input is paced to it now.
    let server = TestServer::start();
    let port = server.port().to_string();
    let mut bob = RawClient::join_as(server.port(), "bob");
    let mut chat = PipedChat::spawn(&["127.0.0.1", &port, "--nick", "alice"]);
    let block: String = (1..=40).map(|i| format!("piped line {i}\n")).collect();
    chat.send(&block);
    chat.close_stdin();
    for i in 1..=40 {
        bob.expect_line(|line| line == format!("<alice> piped line {i}"));
    }
    bob.expect_line(|line| line == "*** alice is offline (quit)");
    assert!(!bob.seen().iter().any(|line| line.contains("too fast")), "{:#?}", bob.seen());
    assert!(chat.wait_exit().success(), "stderr {:#?}", chat.stderr);
}

#[test]
fn the_login_name_is_taken_by_default_and_before_anything_is_said() {
    let server = TestServer::start();
    let port = server.port().to_string();
    let mut bob = RawClient::join_as(server.port(), "bob");
    let mut chat = PipedChat::spawn_with_env(&["127.0.0.1", &port], &[("USER", "carol")]);
    chat.send("hello\n");
    bob.expect_line(|line| line == "*** carol entered the room" || line.ends_with(" is now known as carol"));
    bob.expect_line(|line| line == "<carol> hello");
    chat.close_stdin();
    assert!(chat.wait_exit().success(), "stderr {:#?}", chat.stderr);
}
