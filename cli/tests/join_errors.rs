//! `chat join` when there is no server to join: a clear error and a failing exit status.

mod join_support;

use join_support::free_port;
use join_support::piped::PipedChat;

#[test]
fn a_refused_connection_is_reported_with_the_address() {
    let port = free_port().to_string();
    let mut chat = PipedChat::spawn(&["127.0.0.1", &port]);
    let status = chat.wait_exit();
    assert_eq!(status.code(), Some(1));
    assert_eq!(chat.stderr, [format!("error: Unable to connect to 127.0.0.1:{port}: Connection refused")]);
    assert!(chat.stdout.is_empty(), "{:#?}", chat.stdout);
}

#[test]
fn every_address_of_a_name_is_tried_before_giving_up() {
    // `localhost` is ::1 and 127.0.0.1 on most systems; both refuse.
    let port = free_port().to_string();
    let mut chat = PipedChat::spawn(&["localhost", &port]);
    assert_eq!(chat.wait_exit().code(), Some(1));
    assert_eq!(chat.stderr, [format!("error: Unable to connect to localhost:{port}: Connection refused")]);
}

#[test]
fn an_unknown_host_is_reported_without_a_panic() {
    // `.invalid` is reserved: it never resolves (RFC 2606).
    let mut chat = PipedChat::spawn(&["no-such-host.invalid", "5000"]);
    let status = chat.wait_exit();
    assert_eq!(status.code(), Some(1));
    assert_eq!(chat.stderr.len(), 1, "{:#?}", chat.stderr);
    let message = &chat.stderr[0];
    assert!(message.starts_with("error: Unable to connect to no-such-host.invalid:5000: "), "{message}");
    assert!(!message.contains("panicked"), "{message}");
}

#[test]
fn a_bad_nickname_is_refused_before_connecting() {
    let port = free_port().to_string();
    let mut chat = PipedChat::spawn(&["127.0.0.1", &port, "--nick", "two words"]);
    let status = chat.wait_exit();
    assert_eq!(status.code(), Some(2), "a usage error; stderr {:#?}", chat.stderr);
    assert!(
        chat.stderr.iter().any(|line| line.contains("a nickname cannot contain ' '")),
        "{:#?}",
        chat.stderr
    );
}
