//! A line-oriented test client and a server on an ephemeral loopback port.
// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use chat_core::Config;
use chat_runtime_std::{Running, Stopper};

/// How long any expected event may take before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A server on 127.0.0.1 with an ephemeral port.
pub struct TestServer {
    pub addr: SocketAddr,
    pub stopper: Stopper,
    running: Option<Running>,
}

impl TestServer {
    pub fn start(config: Config) -> Self {
        // Shown only for failing tests; RUST_LOG=debug for more.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
        let addr = listener.local_addr().unwrap();
        let running = chat_runtime_std::spawn(vec![listener], config).expect("start the server");
        Self { addr, stopper: running.stopper(), running: Some(running) }
    }

    /// A client that has read its welcome line.
    pub fn join(&self) -> Client {
        let mut client = Client::connect(self.addr);
        let welcome = client.line();
        assert!(welcome.starts_with("*** Welcome to the chat room, "), "not a welcome: {welcome:?}");
        client
    }

    /// Stops the server and waits for it. Close the clients first, as real ones close after
    /// the goodbye: the server waits (up to the core's `close_linger`) for them to.
    pub fn stop(self) {
        self.stopper.stop();
        self.wait();
    }

    /// Waits for the server to end, after a stop.
    pub fn wait(mut self) {
        self.running.take().unwrap().wait().expect("the server shuts down cleanly");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stopper().stop();
            let _ = running.wait();
        }
    }
}

/// One connection, read line by line with a deadline.
pub struct Client {
    reader: BufReader<TcpStream>,
    pub name: String,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).expect("connect to the server");
        stream.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
        let name = stream.local_addr().unwrap().to_string();
        Self { reader: BufReader::new(stream), name }
    }

    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    pub fn send(&mut self, text: &str) {
        self.stream().write_all(text.as_bytes()).expect("send to the server");
    }

    /// Closes the sending side: the server sees end of file.
    pub fn finish(&self) {
        self.stream().shutdown(Shutdown::Write).unwrap();
    }

    /// The next line (without its `\n`), or `None` at end of file or on a reset.
    pub fn next_line(&mut self) -> Option<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut line = Vec::new();
        loop {
            match self.reader.read_until(b'\n', &mut line) {
                Ok(0) => return None,
                Ok(_) if line.ends_with(b"\n") => {
                    line.pop();
                    return Some(String::from_utf8(line).expect("the server sends UTF-8"));
                }
                Ok(_) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    assert!(Instant::now() < deadline, "no line within {PATIENCE:?}; got {line:?} so far");
                }
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return None,
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    /// The next line, which must exist.
    pub fn line(&mut self) -> String {
        self.next_line().expect("a line, not the end of the connection")
    }

    /// Reads lines until `expected`, skipping others; returns the skipped ones.
    pub fn skip_to(&mut self, expected: &str) -> Vec<String> {
        let mut skipped = Vec::new();
        loop {
            match self.next_line() {
                Some(line) if line == expected => return skipped,
                Some(line) => skipped.push(line),
                None => panic!("connection ended before {expected:?}; skipped {skipped:?}"),
            }
        }
    }

    /// Reads lines until the server closes the connection cleanly (end of file, not a reset),
    /// and returns them.
    pub fn lines_until_clean_close(&mut self) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        let mut text = Vec::new();
        loop {
            match self.reader.read_until(b'\n', &mut text) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    assert!(Instant::now() < deadline, "no end of file within {PATIENCE:?}");
                }
                Err(e) => panic!("the connection did not end cleanly: {e}"),
            }
        }
        String::from_utf8(text).unwrap().lines().map(str::to_owned).collect()
    }

    /// Asserts the server closes the connection next, with no more lines.
    pub fn expect_closed(&mut self) {
        if let Some(line) = self.next_line() {
            panic!("expected the connection to close, got {line:?}");
        }
    }
}
