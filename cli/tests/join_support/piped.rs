//! `chat join` run with pipes for stdin, stdout and stderr, as a script would.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Instant;

use super::{chat_bin, deadline};

/// What the child wrote, line by line.
enum Output {
    Stdout(String),
    Stderr(String),
    /// One of the two streams reached its end.
    Closed,
}

/// A `chat join` child process, killed on drop.
pub struct PipedChat {
    child: Child,
    stdin: Option<ChildStdin>,
    output: Receiver<Output>,
    open_streams: usize,
    /// Every stdout line so far.
    pub stdout: Vec<String>,
    /// Every stderr line so far.
    pub stderr: Vec<String>,
}

impl PipedChat {
    /// Runs `chat join` with `args` (host, port and options).
    pub fn spawn(args: &[&str]) -> Self {
        Self::spawn_with_env(args, &[])
    }

    /// Runs `chat join` with `args` and the environment variables `env` set, and no other
    /// `CHAT_*` variable.
    pub fn spawn_with_env(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(chat_bin());
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("CHAT_") {
                command.env_remove(key);
            }
        }
        let mut child = command
            .envs(env.iter().copied())
            .arg("join")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chat join");
        let (tx, output) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let out_tx = tx.clone();
        thread::spawn(move || {
            forward(stdout, |line| out_tx.send(line.map_or(Output::Closed, Output::Stdout)))
        });
        thread::spawn(move || forward(stderr, |line| tx.send(line.map_or(Output::Closed, Output::Stderr))));
        let stdin = child.stdin.take();
        Self { child, stdin, output, open_streams: 2, stdout: Vec::new(), stderr: Vec::new() }
    }

    /// Writes `text` to the child's stdin.
    pub fn send(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin.write_all(text.as_bytes()).expect("write to chat join");
        stdin.flush().expect("flush chat join's stdin");
    }

    /// Ends the child's input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for a stdout line satisfying `wanted`.
    pub fn expect_stdout(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = deadline();
        loop {
            if let Some(line) = self.stdout.iter().find(|line| wanted(line)) {
                return line.clone();
            }
            assert!(
                self.next(deadline),
                "no expected stdout line; stdout {:#?}, stderr {:#?}",
                self.stdout,
                self.stderr
            );
        }
    }

    /// Waits for a stderr line satisfying `wanted`.
    pub fn expect_stderr(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = deadline();
        loop {
            if let Some(line) = self.stderr.iter().find(|line| wanted(line)) {
                return line.clone();
            }
            assert!(
                self.next(deadline),
                "no expected stderr line; stdout {:#?}, stderr {:#?}",
                self.stdout,
                self.stderr
            );
        }
    }

    /// Waits for the child to close its output and exit, and returns its status.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = deadline();
        while self.open_streams > 0 {
            assert!(
                self.next(deadline),
                "chat join did not exit; stdout {:#?}, stderr {:#?}",
                self.stdout,
                self.stderr
            );
        }
        self.child.wait().expect("wait for chat join")
    }

    /// Takes the next piece of output; false when the deadline passed or all output ended.
    fn next(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.output.recv_timeout(left) {
            Ok(Output::Stdout(line)) => self.stdout.push(line),
            Ok(Output::Stderr(line)) => self.stderr.push(line),
            Ok(Output::Closed) => self.open_streams -= 1,
            Err(_) => return false,
        }
        true
    }
}

impl Drop for PipedChat {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends each line of `stream` (raw bytes, so a stray `\r` stays visible), then `None`.
fn forward<E>(stream: impl Read, send: impl Fn(Option<String>) -> Result<(), E>) {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
        let text = String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(&line)).into_owned();
        if send(Some(text)).is_err() {
            return;
        }
        line.clear();
    }
    let _ = send(None);
}
