//! Shared by the `chat serve` integration tests: a child's output line by line, and a raw TCP
//! client as `nc` is. Every wait has a deadline.

#![allow(dead_code, reason = "each test binary uses a different part of the support code")]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

pub mod process;

/// How long any single expected event may take before a test fails; generous, since a loaded
/// CI machine may be slow.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The lines of a child's output, as they come, on a channel that disconnects at end of file.
pub fn lines_of(output: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// Starts `command` (which runs `chat serve`) with no `RUST_LOG` and piped output: the child,
/// and its stdout and stderr line by line.
pub fn spawn_piped(command: &mut Command) -> (Child, Receiver<String>, Receiver<String>) {
    let mut child = command
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chat serve");
    let stdout = lines_of(child.stdout.take().expect("piped stdout"));
    let stderr = lines_of(child.stderr.take().expect("piped stderr"));
    (child, stdout, stderr)
}

/// The next line of `lines`, which is `what`.
pub fn next_line(lines: &Receiver<String>, what: &str) -> String {
    match lines.recv_timeout(PATIENCE) {
        Ok(line) => line,
        Err(RecvTimeoutError::Timeout) => panic!("no {what} within {PATIENCE:?}"),
        Err(RecvTimeoutError::Disconnected) => panic!("the output ended before {what}"),
    }
}

/// Every line of `lines` until it ends (the child exits), which is `what`.
pub fn to_end(lines: &Receiver<String>, what: &str) -> Vec<String> {
    let deadline = Instant::now() + PATIENCE;
    let mut all = Vec::new();
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => all.push(line),
            Err(RecvTimeoutError::Disconnected) => return all,
            Err(RecvTimeoutError::Timeout) => panic!("{what} still open after {PATIENCE:?}; so far: {all:?}"),
        }
    }
}

/// A raw TCP client, as `nc` would be.
pub struct Raw {
    /// Its receiving side.
    pub reader: BufReader<TcpStream>,
    /// Its sending side.
    pub writer: TcpStream,
}

impl Raw {
    /// Connects to `addr`, reading nothing yet.
    pub fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect_timeout(&addr, PATIENCE).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("read timeout");
        Self { writer: stream.try_clone().expect("clone"), reader: BufReader::new(stream) }
    }

    /// The next line, without its `\n`; `None` at end of file.
    pub fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line).expect("read a line (or time out)") {
            0 => None,
            _ => Some(line.trim_end_matches('\n').to_owned()),
        }
    }

    /// The next line, which must come.
    pub fn expect_line(&mut self) -> String {
        self.line().expect("a line, not end of file")
    }

    /// Every line up to and including the first that ends with `end`.
    pub fn until(&mut self, end: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = self.expect_line();
            let done = line.ends_with(end);
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// Sends `line` and its `\n`.
    pub fn send(&mut self, line: &str) {
        self.writer.write_all(format!("{line}\n").as_bytes()).expect("send");
    }
}

/// 127.0.0.1:`port`.
pub fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}
