//! `chat join` with stdin and stdout redirected: the mode scripts and bots use.

mod join_support;

use join_support::client::RawClient;
use join_support::piped::PipedChat;
use join_support::server::TestServer;

#[test]
fn piped_lines_reach_the_room_and_the_client_leaves_cleanly_at_end_of_input() {
    let server = TestServer::start();
    let port = server.port().to_string();
    let mut bob = RawClient::join_as(server.port(), "bob");

    let mut chat = PipedChat::spawn(&["127.0.0.1", &port, "--nick", "alice"]);
    chat.expect_stderr(|line| line.starts_with(&format!("Connected to 127.0.0.1:{port}")));
    bob.expect_line(|line| line == "*** alice entered the room" || line.ends_with("is now known as alice"));
    chat.send("hello from a pipe\n");
    bob.expect_line(|line| line == "<alice> hello from a pipe");

    bob.send("hi alice\n");
    chat.expect_stdout(|line| line == "<bob> hi alice");

    // The last line has no line ending: it is still sent, then the client half-closes.
    chat.send("bye");
    chat.close_stdin();
    bob.expect_line(|line| line == "<alice> bye");
    bob.expect_line(|line| line == "*** alice is offline (quit)");
    let status = chat.wait_exit();
    assert!(status.success(), "{status:?}; stderr {:#?}", chat.stderr);
    assert!(
        chat.stdout.iter().any(|line| line.starts_with("*** Welcome to the chat room")),
        "{:#?}",
        chat.stdout
    );
    assert!(!chat.stderr.iter().any(|line| line.contains("Disconnected")), "{:#?}", chat.stderr);
}

#[test]
fn printf_into_chat_join_says_the_line_and_prints_the_servers_answers() {
    // Both runtimes: the answer to /who must not be lost when input ends right after it.
    for runtime in ["smol", "std"] {
        let server = TestServer::start_with("127.0.0.1", runtime);
        let port = server.port().to_string();
        let mut bob = RawClient::join_as(server.port(), "bob");

        let mut chat = PipedChat::spawn(&["127.0.0.1", &port]);
        chat.send("hi\n/who\n");
        chat.close_stdin();
        bob.expect_ending("> hi");
        chat.expect_stdout(|line| line.starts_with("*** 2 here: "));
        assert!(chat.wait_exit().success(), "{runtime}: stderr {:#?}", chat.stderr);
    }
}

#[test]
fn received_text_is_printed_plain_with_control_characters_made_visible() {
    let server = TestServer::start();
    let port = server.port().to_string();
    let mut bob = RawClient::join_as(server.port(), "bob");
    let mut chat = PipedChat::spawn(&["127.0.0.1", &port]);
    chat.expect_stdout(|line| line.starts_with("*** Welcome"));
    bob.expect_ending("entered the room");
    bob.send("\x1b[2Jclear\x07 screen\n");
    let line = chat.expect_stdout(|line| line.starts_with("<bob> "));
    assert_eq!(line, "<bob> ^[[2Jclear^G screen");
    assert!(chat.stdout.iter().all(|line| !line.contains('\x1b')), "{:#?}", chat.stdout);
}

#[test]
#[cfg(unix)]
fn when_the_server_goes_the_client_says_so_and_fails() {
    let mut server = TestServer::start();
    let port = server.port().to_string();
    let mut chat = PipedChat::spawn(&["127.0.0.1", &port]);
    chat.expect_stdout(|line| line.starts_with("*** Welcome"));
    server.stop();
    chat.expect_stdout(|line| line == "*** Server is shutting down. Goodbye!");
    chat.expect_stderr(|line| line == "error: Disconnected from chat server");
    let status = chat.wait_exit();
    assert_eq!(status.code(), Some(1), "stderr {:#?}", chat.stderr);
}

#[test]
fn localhost_is_joined_over_whichever_address_the_server_listens_on() {
    // The server listens on 127.0.0.1 only; where `localhost` resolves to ::1 first, that
    // refuses, and this passes only because the next address is tried (the unit tests of
    // `connect` check that on every machine).
    let server = TestServer::start();
    let port = server.port().to_string();
    let mut chat = PipedChat::spawn(&["localhost", &port]);
    chat.expect_stderr(|line| line == format!("Connected to localhost:{port} (127.0.0.1:{port})."));
    chat.expect_stdout(|line| line.starts_with("*** Welcome"));
    chat.close_stdin();
    assert!(chat.wait_exit().success(), "stderr {:#?}", chat.stderr);
}

#[test]
fn an_ipv6_address_is_joined_with_or_without_brackets() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipping: this machine has no IPv6 loopback");
        return;
    }
    let server = TestServer::start_on("::1");
    let port = server.port().to_string();
    for host in ["::1", "[::1]"] {
        let mut chat = PipedChat::spawn(&[host, &port]);
        chat.expect_stderr(|line| line == format!("Connected to [::1]:{port} ([::1]:{port})."));
        chat.expect_stdout(|line| line.starts_with("*** Welcome to the chat room, guest-"));
        chat.close_stdin();
        assert!(chat.wait_exit().success(), "stderr {:#?}", chat.stderr);
    }
}

#[test]
fn both_server_runtimes_serve_the_piped_client() {
    for runtime in ["smol", "std"] {
        let server = TestServer::start_with("127.0.0.1", runtime);
        let port = server.port().to_string();
        let mut bob = RawClient::join_as(server.port(), "bob");
        let mut chat = PipedChat::spawn(&["127.0.0.1", &port, "--nick", "alice"]);
        chat.expect_stdout(|line| line == "*** You are now known as alice");
        // It opened with /nick, so the room only ever hears of alice.
        bob.expect_line(|line| line == "*** alice entered the room");
        chat.send("hi\n");
        bob.expect_line(|line| line == "<alice> hi");
        bob.send("hello\n");
        chat.expect_stdout(|line| line == "<bob> hello");
        chat.close_stdin();
        bob.expect_line(|line| line == "*** alice is offline (quit)");
        assert!(chat.wait_exit().success(), "{runtime}: stderr {:#?}", chat.stderr);
    }
}
