//! `chat join` and accounts: `--identify NAME` with the password from `CHAT_PASSWORD`, and on a
//! terminal `/identify NAME` asking for the password without echo; the password never shows on
//! the screen, in what is printed, or in the history file.

mod join_support;

use join_support::client::RawClient;
use join_support::piped::PipedChat;
use join_support::server::TestServer;

const PASSWORD: &str = "correct-horse";

/// A server whose password hashing is cheap (argon2id is slow in a debug build), where alice
/// registered her name; her connection is returned, still open.
fn server_with_alice() -> (TestServer, RawClient) {
    let server = TestServer::start_args(&["--password-memory", "8"]);
    let mut alice = RawClient::join_as(server.port(), "alice");
    alice.send(&format!("/register {PASSWORD}\n"));
    alice.expect_line(|line| line == "*** You registered alice: the name is yours, and you are identified.");
    (server, alice)
}

#[test]
fn identify_takes_the_password_from_the_environment() {
    let (server, mut old) = server_with_alice();
    let port = server.port().to_string();
    let mut chat = PipedChat::spawn_with_env(
        &["127.0.0.1", &port, "--identify", "alice"],
        &[("CHAT_PASSWORD", PASSWORD)],
    );
    chat.expect_stdout(|line| line == "*** You are identified as alice.");
    old.expect_line(|line| line.starts_with("! alice is registered and its owner identified"));
    chat.send("hello as alice\n");
    old.expect_line(|line| line == "<alice> hello as alice");
    chat.close_stdin();
    assert!(chat.wait_exit().success(), "stderr {:#?}", chat.stderr);
    let printed = [chat.stdout.as_slice(), chat.stderr.as_slice()].concat().join("\n");
    assert!(!printed.contains(PASSWORD), "{printed}");

    let mut wrong = PipedChat::spawn_with_env(
        &["127.0.0.1", &port, "--identify", "alice"],
        &[("CHAT_PASSWORD", "not-it-at-all")],
    );
    wrong.expect_stdout(|line| line == "! Wrong password for alice.");
}

#[cfg(unix)]
#[test]
fn on_a_terminal_identify_asks_for_the_password_without_echo_and_keeps_it_out_of_the_history() {
    use join_support::terminal::{Terminal, state_dir};

    let (server, mut old) = server_with_alice();
    old.send("/quit\n");
    let port = server.port().to_string();
    let state = state_dir();
    let state_env = state.to_str().expect("a UTF-8 temporary directory");
    let mut chat =
        Terminal::spawn(&["127.0.0.1", &port, "--nick", "someone"], &[("XDG_STATE_HOME", Some(state_env))]);
    chat.wait_for_input_line("#lobby someone>");
    chat.type_keys("/identify alice\r");
    chat.wait_for_text("Password for alice:");
    chat.type_keys(&format!("{PASSWORD}\r"));
    chat.wait_for_text("*** You are identified as alice.");
    chat.wait_for_input_line("#lobby alice>");
    // Typed in full, it goes through, but is not kept either.
    chat.type_keys(&format!("/identify alice {PASSWORD}\r"));
    chat.wait_for_text("! You are identified as alice already.");
    chat.wait_for_input_line("#lobby alice>");
    // Seen typed before Enter, so that the prompt waited for next is the fresh one: between two
    // prompts the terminal is not in raw mode, and a Ctrl+D typed then is the terminal's end of
    // input, never read as a key.
    chat.type_keys("said after");
    chat.wait_for_input_line("#lobby alice> said after");
    chat.type_keys("\r");
    chat.wait_for_input_line("#lobby alice>");
    chat.type_keys("\x04");
    assert_eq!(chat.wait_exit(), 0);
    let shown = chat.text();
    assert_eq!(shown.matches(PASSWORD).count(), 1, "only where it was typed in full: {shown}");
    let history = std::fs::read_to_string(state.join("chat").join("history.txt")).expect("a history file");
    // `/identify WORD` is kept out too: to the server, WORD is a password.
    assert!(history.contains("said after") && !history.contains("/identify"), "{history}");
    assert!(!history.contains(PASSWORD), "{history}");
}
