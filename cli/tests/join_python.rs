//! `chat join` against the lab handout's Python server, which relays raw text: each relayed
//! chunk starts with `\r`, notices start with `\n`, lines may come without a line ending, and
//! it knows no commands. Skipped, saying why, when `python3` or the handout is missing.

mod join_support;

use join_support::client::RawClient;
use join_support::piped::PipedChat;
use join_support::server::TestServer;
#[cfg(unix)]
use join_support::terminal::Terminal;

fn python_server() -> Option<TestServer> {
    match TestServer::python() {
        Ok(server) => Some(server),
        Err(why) => {
            eprintln!("skipping the interoperability test with the handout's server: {why}");
            None
        }
    }
}

/// How the handout's server names a client: Python's `str()` of its address tuple.
fn python_name(client: &RawClient) -> String {
    format!("('127.0.0.1', {})", client.local_port())
}

#[test]
fn piped_mode_reads_the_handout_servers_raw_text_as_clean_lines() {
    let Some(server) = python_server() else { return };
    let port = server.port().to_string();
    let mut chat = PipedChat::spawn(&["127.0.0.1", &port]);
    chat.expect_stderr(|line| line.starts_with("Connected to"));
    let mut bob = RawClient::connect(server.port());
    let bob_name = python_name(&bob);
    chat.expect_stdout(|line| line == format!("[127.0.0.1:{}] entered room", bob.local_port()));

    bob.send("hi\n");
    chat.expect_stdout(|line| line == format!("<{bob_name}> hi"));
    chat.send("hello, python\n");
    bob.expect_line(|line| line.starts_with('\r') && line.ends_with("> hello, python"));

    // No line ending: shown anyway once the rest does not come.
    bob.send("no newline");
    chat.expect_stdout(|line| line == format!("<{bob_name}> no newline"));
    // Raw control characters are passed on by that server; never by the client.
    bob.send("\x1b[31mred\x07\n");
    chat.expect_stdout(|line| line == format!("<{bob_name}> ^[[31mred^G"));

    drop(bob);
    chat.expect_stdout(|line| line == format!("Client {bob_name} is offline"));

    let mut carol = RawClient::connect(server.port());
    chat.expect_stdout(|line| {
        line.ends_with("] entered room") && line.contains(&carol.local_port().to_string())
    });
    chat.close_stdin();
    // Leaving closes the connection: that server would relay a `/quit` to everyone as text.
    let offline = carol.expect_line(|line| line.contains("is offline"));
    assert!(offline.starts_with(" Client ('127.0.0.1', "), "{offline:?}");
    assert!(chat.wait_exit().success(), "stderr {:#?}", chat.stderr);
    assert!(chat.stdout.iter().all(|line| !line.contains('\r') && !line.is_empty()), "{:#?}", chat.stdout);
    assert!(!carol.seen().iter().any(|line| line.contains("/quit")), "{:#?}", carol.seen());
}

#[test]
#[cfg(unix)]
fn the_line_editor_works_with_the_handout_server() {
    let Some(server) = python_server() else { return };
    let port = server.port().to_string();
    let mut alice = Terminal::spawn(&["127.0.0.1", &port], &[]);
    alice.wait_for_output("Connected to 127.0.0.1:");
    alice.wait_for_input_line(">");
    let mut bob = RawClient::connect(server.port());
    alice.wait_for_text("] entered room");

    alice.type_keys("typing");
    alice.wait_for_input_line("> typing");
    bob.send("interruption\n");
    alice.wait_for_text(&format!("<{}> interruption", python_name(&bob)));
    alice.wait_for_input_line("> typing");
    alice.type_keys(" done\r");
    bob.expect_line(|line| line.starts_with('\r') && line.ends_with("> typing done"));

    alice.wait_for_input_line(">");
    alice.type_keys("\x04");
    alice.wait_for_text("You left the chat room.");
    bob.expect_line(|line| line.contains("is offline"));
    assert_eq!(alice.wait_exit(), 0);
    assert!(!bob.seen().iter().any(|line| line.contains("/quit")), "{:#?}", bob.seen());
}
