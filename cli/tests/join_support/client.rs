//! A raw TCP client, standing for another person in the room (as `nc` would).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Instant;

use super::deadline;

/// One line-oriented connection to a server.
pub struct RawClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    seen: Vec<String>,
}

impl RawClient {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect the raw client");
        let writer = stream.try_clone().expect("clone the raw client's socket");
        Self { reader: BufReader::new(stream), writer, seen: Vec::new() }
    }

    /// Connects, waits for our server's welcome, and takes the name `nick`.
    pub fn join_as(port: u16, nick: &str) -> Self {
        let mut client = Self::connect(port);
        client.expect_line(|line| line.starts_with("*** Welcome"));
        client.send(&format!("/nick {nick}\n"));
        client.expect_line(|line| line == format!("*** You are now known as {nick}"));
        client
    }

    /// The local port of this connection (part of its default name on a server).
    pub fn local_port(&self) -> u16 {
        self.writer.local_addr().expect("local address").port()
    }

    /// Every line read so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Sends raw bytes, as they are.
    pub fn send(&mut self, text: &str) {
        self.writer.write_all(text.as_bytes()).expect("send from the raw client");
    }

    /// Reads lines until one satisfies `wanted` (returned without its line ending, `\r` kept),
    /// failing the test with everything seen if none does in time.
    pub fn expect_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = deadline();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no expected line in time; saw {:#?}", self.seen);
            self.reader.get_ref().set_read_timeout(Some(left)).expect("set a read timeout");
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => panic!("the server closed the connection; saw {:#?}", self.seen),
                Ok(_) => {
                    let line = line.strip_suffix('\n').unwrap_or(&line).to_owned();
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(err) => panic!("reading failed ({err}); saw {:#?}", self.seen),
            }
        }
    }

    /// Reads lines until one ends with `suffix`.
    pub fn expect_ending(&mut self, suffix: &str) -> String {
        self.expect_line(|line| line.ends_with(suffix))
    }
}
