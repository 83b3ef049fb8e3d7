//! Rooms, history and names end to end, on both runtimes: moving between rooms, topics,
//! `/list` and `/who #ROOM`, history replayed to newcomers, a client that opens with `/nick`
//! arriving under that name, and clients that never type a command (a raw socket as `nc`, the
//! lab handout's Python client) staying in `#lobby` with the line formats they always had.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use chat_core::Config;
use chat_tests::{Deadline, Runtime, TestServer, Transcript, WAIT, both_runtimes};

both_runtimes!(
    same rooms_topics_and_history,
    same a_client_that_opens_with_nick_arrives_under_that_name,
    same a_raw_client_stays_in_the_lobby,
    handout_client_in_the_lobby,
);

/// Two people go to `#rust`, set a topic and talk; the second finds the first's line in the
/// history; someone in the lobby lists the rooms, looks into `#rust` and sends a private
/// message across; `/part` brings one back.
fn rooms_topics_and_history(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    a.send_line("/nick alice");
    a.expect_line("*** You are now known as alice");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    b.send_line("/nick bob");
    b.expect_line("*** You are now known as bob");
    a.expect_line(&format!("*** {} is now known as bob", b.default_name()));

    a.send_line("/join #rust");
    a.expect_line("*** You are in #rust: nobody else is here yet.");
    a.expect_line("*** You created #rust: you are its operator.");
    b.expect_line("*** alice left #lobby");
    a.send_line("/topic Rust talk");
    a.expect_line("*** alice set the topic of #rust: Rust talk");
    a.send_line("first in rust");
    // Its answer shows the line before it was handled, before b comes in.
    a.send_line("/who");
    a.expect_line("*** 1 here: alice");
    b.send_line("/join #RUST");
    b.expect_line("*** You are in #rust: 1 other person is here.");
    b.expect_line("*** Topic of #rust: Rust talk");
    assert_eq!(b.expect_history(), ["<alice> first in rust"]);
    a.expect_line("*** bob joined #rust");
    b.send_line("hi alice");
    a.expect_line("<bob> hi alice");

    let mut c = server.join("c");
    let c_name = c.default_name();
    c.send_line("/list");
    c.expect_line("*** Rooms, biggest first (2 in all):");
    c.expect_line("*** #rust (2 here): Rust talk");
    c.expect_line("*** #lobby (1 here)");
    c.send_line("/who #rust");
    c.expect_line("*** 2 in #rust: alice, bob");
    c.send_line("/msg alice hello from the lobby");
    a.expect_line(&format!("*{c_name}* hello from the lobby"));
    c.expect_line("-> *alice* hello from the lobby");

    a.send_line("/part");
    a.expect_line("*** You are in #lobby: 1 other person is here.");
    b.expect_line("*** alice left #rust");
    c.expect_line("*** alice joined #lobby");
    c.send_line("back in the lobby, alice?");
    a.expect_line(&format!("<{c_name}> back in the lobby, alice?"));
    Transcript::of(&[&a, &b, &c])
}

/// A client that sends `/nick bob` at once is announced as `bob` only; one that says nothing is
/// announced by its guest name once the hold is over. (The hold is 2 s here rather than the
/// default 300 ms, so that even a loaded machine reads the `/nick` within it.)
fn a_client_that_opens_with_nick_arrives_under_that_name(runtime: Runtime) -> Transcript {
    let config = Config { announce_after: Duration::from_secs(2), ..Config::default() };
    let server = TestServer::start(runtime, config);
    let mut host = server.join("host");
    let mut bob = server.connect("bob");
    bob.send_line("/nick bob");
    bob.expect_welcome();
    bob.expect_line("*** You are now known as bob");
    host.expect_line("*** bob entered the room");
    let quiet = server.join("quiet");
    host.expect_line(&format!("*** {} entered the room", quiet.default_name()));
    host.send_line("/who");
    let mut names = ["bob".to_owned(), host.default_name(), quiet.default_name()];
    names.sort();
    host.expect_line(&format!("*** 3 here: {}", names.join(", ")));
    Transcript::of(&[&host, &bob])
}

/// A client that types no command is in `#lobby`: it gets the lines said there, in the formats
/// it always had, and none of those said in another room.
fn a_raw_client_stays_in_the_lobby(runtime: Runtime) -> Transcript {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut raw = server.join("raw");
    let mut a = server.join("a");
    raw.expect_line(&format!("*** {} entered the room", a.default_name()));
    a.send_line("hi raw");
    raw.expect_line(&format!("<{}> hi raw", a.default_name()));
    raw.send_raw(b"hello a\r\n");
    a.expect_line(&format!("<{}> hello a", raw.default_name()));
    a.send_line("/join #elsewhere");
    a.expect_line("*** You are in #elsewhere: nobody else is here yet.");
    a.expect_line("*** You created #elsewhere: you are its operator.");
    raw.expect_line(&format!("*** {} left #lobby", a.default_name()));
    a.send_line("not for the lobby");
    a.send_line("/part");
    a.expect_line("*** You are in #lobby: 1 other person is here.");
    assert_eq!(
        a.expect_history(),
        [format!("<{}> hi raw", a.default_name()), format!("<{}> hello a", raw.default_name())]
    );
    raw.expect_line(&format!("*** {} joined #lobby", a.default_name()));
    a.send_line("back");
    raw.expect_line(&format!("<{}> back", a.default_name()));
    Transcript::of(&[&raw, &a])
}

/// The lab handout's Python client (`ChatClient.py`), which knows no commands, chats in
/// `#lobby`. Skipped, saying why, without `python3` or the handout.
fn handout_client_in_the_lobby(runtime: Runtime) {
    let Some(script) = handout_client() else {
        eprintln!(
            "SKIPPED: the handout's ChatClient.py was not found in a shared/reference folder above the repository"
        );
        return;
    };
    if !Command::new("python3").arg("--version").output().is_ok_and(|out| out.status.success()) {
        eprintln!("SKIPPED: python3 is not installed, so the handout's client cannot run");
        return;
    }
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    let mut python = Python::spawn(&script, server.addr().port());
    python.wait_for("Connected to remote host");
    let welcome = python.wait_for("*** Welcome to the chat room, guest-");
    let name = welcome
        .split("*** Welcome to the chat room, ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .expect("the welcome names the client")
        .to_owned();
    a.expect_line(&format!("*** {name} entered the room"));
    a.send_line("hello, python");
    python.wait_for(&format!("<{}> hello, python", a.default_name()));
    python.say("hello from the handout\n");
    a.expect_line(&format!("<{name}> hello from the handout"));
}

/// The handout's client, running, with everything it printed so far.
struct Python {
    child: Child,
    output: mpsc::Receiver<String>,
    seen: String,
}

impl Python {
    fn spawn(script: &PathBuf, port: u16) -> Self {
        let mut child = Command::new("python3")
            .arg("-u")
            .arg(script)
            .arg("127.0.0.1")
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (sender, output) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, output, seen: String::new() }
    }

    /// Waits until the client printed a line holding `text`; returns that line.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = Deadline::after(WAIT);
        loop {
            let Some(left) = deadline.remaining() else {
                panic!("the handout's client never printed {text:?}; it printed:\n{}", self.seen)
            };
            match self.output.recv_timeout(left.min(Duration::from_secs(1))) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the handout's client exited before printing {text:?}; it printed:\n{}", self.seen)
                }
            }
        }
    }

    /// Types `line` into the client.
    fn say(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().expect("piped stdin");
        stdin.write_all(line.as_bytes()).and_then(|()| stdin.flush()).expect("the client reads its input");
    }
}

impl Drop for Python {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `shared/reference/ChatClient.py` in the nearest folder above the repository that has it.
fn handout_client() -> Option<PathBuf> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    repo.ancestors().map(|dir| dir.join("shared/reference/ChatClient.py")).find(|script| script.is_file())
}
