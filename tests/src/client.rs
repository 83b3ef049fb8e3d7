//! [`Client`]: a test client that speaks the chat protocol over a real socket.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpStream};

use socket2::{Domain, SockRef, Socket, Type};

use chat_core::protocol::ServerLine;

use crate::{Deadline, WAIT};

/// How many recent lines a failure message shows.
const RECENT: usize = 8;

/// How a client's socket is set up.
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// `SO_RCVBUF` set before connecting, to keep the kernel from buffering much for a client
    /// that stops reading (so the server's queue cap is reached sooner).
    pub recv_buffer: Option<usize>,
}

/// How the server answered a new connection ([`Client::expect_admission`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Welcomed into the room.
    Welcomed,
    /// Told it was refused, then closed.
    Refused,
}

/// How a connection ended, as seen by a reader.
#[derive(Debug)]
pub enum End {
    /// The server closed the connection cleanly; `partial` holds bytes after the last `\n`.
    Closed {
        /// Bytes after the last complete line (empty if the stream ended on a line boundary).
        partial: Vec<u8>,
    },
    /// The connection failed, e.g. it was reset.
    Failed(io::Error),
}

/// One connection to the server, with a line reader, every wait bounded by a [`Deadline`].
///
/// A client reads only when asked to, so a client that is simply not read from has stopped
/// reading; give it a small [`ClientOptions::recv_buffer`] so that the kernel holds little for
/// it and the server's queue cap is what fills up.
///
/// Lines read and sent are kept as a transcript (see [`Transcript`](crate::Transcript)) unless
/// recording is turned off for bulk traffic.
pub struct Client {
    label: String,
    stream: TcpStream,
    local: SocketAddr,
    buf: Vec<u8>,
    start: usize,
    end: Option<End>,
    recording: bool,
    log: Vec<String>,
    recent: VecDeque<String>,
    /// The name the welcome line gave.
    name: Option<String>,
}

impl Client {
    /// Connects to `addr`; `label` names the client in failure messages and transcripts.
    pub fn connect(addr: SocketAddr, label: &str, options: ClientOptions) -> Self {
        Self::try_connect(addr, label, options)
            .unwrap_or_else(|e| panic!("client {label}: cannot connect to {addr}: {e}"))
    }

    /// Connects to `addr` from the local address `from` (any port): `127.0.0.2`, say, to look
    /// like a second host.
    pub fn connect_from(from: IpAddr, addr: SocketAddr, label: &str, options: ClientOptions) -> Self {
        Self::try_connect_from(Some(from), addr, label, options)
            .unwrap_or_else(|e| panic!("client {label}: cannot connect from {from} to {addr}: {e}"))
    }

    /// Connects to `addr`, or says why it could not.
    pub fn try_connect(addr: SocketAddr, label: &str, options: ClientOptions) -> io::Result<Self> {
        Self::try_connect_from(None, addr, label, options)
    }

    /// Connects to `addr`, from `from` if given, or says why it could not.
    fn try_connect_from(
        from: Option<IpAddr>,
        addr: SocketAddr,
        label: &str,
        options: ClientOptions,
    ) -> io::Result<Self> {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        if let Some(size) = options.recv_buffer {
            socket.set_recv_buffer_size(size)?;
        }
        if let Some(ip) = from {
            socket.bind(&SocketAddr::new(ip, 0).into())?;
        }
        socket.connect_timeout(&addr.into(), WAIT)?;
        let stream = TcpStream::from(socket);
        stream.set_nodelay(true)?;
        let local = stream.local_addr()?;
        Ok(Self {
            label: label.to_owned(),
            stream,
            local,
            buf: Vec::with_capacity(64 * 1024),
            start: 0,
            end: None,
            recording: true,
            log: Vec::new(),
            recent: VecDeque::with_capacity(RECENT),
            name: None,
        })
    }

    /// The label given at connect.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The client's own address (never shown to anyone by the server).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The name from the welcome line, if it was read.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The name the server gave this client in its welcome line (`guest-NNNN`), which it keeps
    /// until it uses `/nick`. Panics before the welcome was read.
    pub fn default_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            panic!(
                "client {}: its name is known once its welcome line was read{}",
                self.label,
                self.context()
            )
        })
    }

    /// Turns the transcript on or off (off for bulk traffic that is checked another way).
    pub fn set_recording(&mut self, on: bool) {
        self.recording = on;
    }

    /// The transcript so far: `-> sent` and `<- received` lines, in order.
    pub fn log(&self) -> &[String] {
        &self.log
    }

    /// Sends `line` followed by `\n`.
    pub fn send_line(&mut self, line: &str) {
        self.note(format!("-> {line}"));
        self.write(format!("{line}\n").as_bytes());
    }

    /// Sends `bytes` exactly as given (no line ending added).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.note(format!("-> raw {}", bytes.escape_ascii()));
        self.write(bytes);
    }

    /// A second handle on the socket for sending from another thread; it records nothing.
    pub fn writer(&self) -> Writer {
        let stream =
            self.stream.try_clone().unwrap_or_else(|e| panic!("client {}: cannot clone: {e}", self.label));
        Writer { label: self.label.clone(), stream }
    }

    /// Changes `SO_RCVBUF` on the open connection, e.g. to let a client that stopped reading
    /// catch up quickly once it reads again.
    pub fn set_recv_buffer(&self, size: usize) {
        SockRef::from(&self.stream)
            .set_recv_buffer_size(size)
            .unwrap_or_else(|e| panic!("client {}: cannot set SO_RCVBUF: {e}", self.label));
    }

    /// Closes the sending side (the server reads end of file), keeping the reading side open.
    pub fn shutdown_write(&mut self) {
        self.note("-> end of file".to_owned());
        self.stream
            .shutdown(Shutdown::Write)
            .unwrap_or_else(|e| panic!("client {}: shutdown: {e}", self.label));
    }

    /// Closes the connection cleanly. Read everything first: closing with unread data makes
    /// the kernel send a reset instead.
    pub fn close(self) {
        drop(self);
    }

    /// Aborts the connection: `SO_LINGER` 0, so closing sends a reset (RST) instead of FIN.
    pub fn reset(self) {
        SockRef::from(&self.stream)
            .set_linger(Some(std::time::Duration::ZERO))
            .unwrap_or_else(|e| panic!("client {}: cannot set SO_LINGER 0: {e}", self.label));
        drop(self);
    }

    /// Reads the welcome line, which gives this client its name (see
    /// [`default_name`](Self::default_name)).
    pub fn expect_welcome(&mut self) -> String {
        let line = self.next_line();
        assert!(
            matches!(ServerLine::parse(&line), ServerLine::Welcome { .. }),
            "client {}: expected the welcome line, got `{line}`{}",
            self.label,
            self.context()
        );
        line
    }

    /// Reads the welcome line and checks how many others it says are here.
    pub fn expect_welcome_with(&mut self, others: usize) {
        let line = self.expect_welcome();
        let said = match ServerLine::parse(&line) {
            ServerLine::Welcome { others, .. } => others,
            _ => unreachable!("checked by expect_welcome"),
        };
        assert_eq!(said, others, "client {}: welcome `{line}`{}", self.label, self.context());
    }

    /// Reads a history replay (`--- last N lines ---` ... `--- end of history ---`) and returns
    /// its lines as they were sent live (without their times).
    pub fn expect_history(&mut self) -> Vec<String> {
        let first = self.next_line();
        let count = match ServerLine::parse(&first) {
            ServerLine::HistoryStart { count } => count,
            _ => panic!("client {}: expected a history replay, got `{first}`{}", self.label, self.context()),
        };
        let mut replayed = Vec::with_capacity(count);
        loop {
            let line = self.next_line();
            match ServerLine::parse(&line) {
                ServerLine::HistoryEnd => break,
                ServerLine::Replayed { line, .. } => replayed.push(line.to_owned()),
                _ => panic!("client {}: unexpected line in a replay: `{line}`{}", self.label, self.context()),
            }
        }
        assert_eq!(replayed.len(), count, "client {}: the replay's count{}", self.label, self.context());
        replayed
    }

    /// Reads the first line of a new connection: the welcome, or `refusal` followed by a clean
    /// close. Anything else fails the test, a connection closed without a line above all.
    pub fn expect_admission(&mut self, refusal: &str) -> Admission {
        let first = self.next_line();
        if first == refusal {
            self.expect_closed();
            return Admission::Refused;
        }
        assert!(
            matches!(ServerLine::parse(&first), ServerLine::Welcome { .. }),
            "client {}: neither welcome nor refusal: {first:?}{}",
            self.label,
            self.context()
        );
        Admission::Welcomed
    }

    /// Reads the next line and checks it is exactly `expected`.
    pub fn expect_line(&mut self, expected: &str) {
        let line = self.next_line();
        assert_eq!(line, expected, "client {}: unexpected line{}", self.label, self.context());
    }

    /// Reads the next line within [`WAIT`].
    pub fn next_line(&mut self) -> String {
        self.next_line_by(Deadline::standard())
    }

    /// Reads the next line before `deadline`; panics if the connection ends first.
    pub fn next_line_by(&mut self, deadline: Deadline) -> String {
        match self.try_next_line(deadline) {
            Ok(line) => line,
            Err(end) => panic!(
                "client {}: expected a line, but the connection ended: {end:?}{}",
                self.label,
                self.context()
            ),
        }
    }

    /// Reads lines until one satisfies `done` (`what` describes it for failure messages);
    /// returns every line read, the matching one last.
    pub fn read_until(
        &mut self,
        what: &str,
        deadline: Deadline,
        mut done: impl FnMut(&str) -> bool,
    ) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let line = match self.try_next_line_or(deadline, what) {
                Ok(line) => line,
                Err(end) => panic!(
                    "client {}: waiting for {what}, the connection ended: {end:?}{}",
                    self.label,
                    self.context()
                ),
            };
            let found = done(&line);
            lines.push(line);
            if found {
                return lines;
            }
        }
    }

    /// Reads every line until the server closes the connection cleanly; panics on a reset, an
    /// unterminated last line, or if the connection is still open at `deadline`.
    pub fn recv_all_until_closed(&mut self, deadline: Deadline) -> Vec<String> {
        let (lines, end) = self.recv_until_end(deadline);
        match end {
            End::Closed { partial } if partial.is_empty() => lines,
            end => panic!(
                "client {}: expected a clean close after whole lines, got {end:?}{}",
                self.label,
                self.context()
            ),
        }
    }

    /// Reads every line until the connection ends, however it ends.
    pub fn recv_until_end(&mut self, deadline: Deadline) -> (Vec<String>, End) {
        let mut lines = Vec::new();
        loop {
            match self.try_next_line_or(deadline, "the connection to close") {
                Ok(line) => lines.push(line),
                Err(end) => return (lines, end),
            }
        }
    }

    /// Checks that the server closes the connection with nothing more to say.
    pub fn expect_closed(&mut self) {
        let lines = self.recv_all_until_closed(Deadline::standard());
        assert!(lines.is_empty(), "client {}: expected the connection to close, got {lines:?}", self.label);
    }

    /// Reads the next line before `deadline`, or says how the connection ended.
    pub fn try_next_line(&mut self, deadline: Deadline) -> Result<String, End> {
        self.try_next_line_or(deadline, "a line")
    }

    fn try_next_line_or(&mut self, deadline: Deadline, what: &str) -> Result<String, End> {
        let mut scanned = 0;
        loop {
            let pending = &self.buf[self.start..];
            if let Some(at) = memchr::memchr(b'\n', &pending[scanned..]) {
                let end = self.start + scanned + at;
                let line = String::from_utf8(self.buf[self.start..end].to_vec()).unwrap_or_else(|e| {
                    panic!("client {}: the server sent invalid UTF-8: {e}{}", self.label, self.context())
                });
                self.start = end + 1;
                self.note(format!("<- {line}"));
                if let ServerLine::Welcome { name, .. } = ServerLine::parse(&line) {
                    self.name = Some(name.to_owned());
                }
                return Ok(line);
            }
            scanned = pending.len();
            if let Some(end) = self.end.take() {
                return Err(match end {
                    End::Closed { .. } => End::Closed { partial: self.buf.split_off(self.start) },
                    failed => failed,
                });
            }
            self.fill(deadline, what);
        }
    }

    /// Reads more bytes into the buffer, or records how the connection ended.
    fn fill(&mut self, deadline: Deadline, what: &str) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let Some(left) = deadline.remaining() else { self.timed_out(deadline, what) };
        self.stream.set_read_timeout(Some(left)).expect("a non-zero read timeout is valid");
        let len = self.buf.len();
        self.buf.resize(len + 64 * 1024, 0);
        let read = self.stream.read(&mut self.buf[len..]);
        self.buf.truncate(len + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => self.end = Some(End::Closed { partial: Vec::new() }),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                self.timed_out(deadline, what)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self.end = Some(End::Failed(e)),
        }
    }

    fn timed_out(&self, deadline: Deadline, what: &str) -> ! {
        let partial = String::from_utf8_lossy(&self.buf[self.start..]);
        panic!(
            "client {}: waited {:?} for {what}, nothing more arrived (unterminated bytes: {:?}){}",
            self.label,
            deadline.budget(),
            partial.chars().take(200).collect::<String>(),
            self.context()
        )
    }

    fn write(&mut self, bytes: &[u8]) {
        self.stream
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("client {}: send failed: {e}{}", self.label, self.context()));
    }

    fn note(&mut self, entry: String) {
        if self.recent.len() == RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(entry.chars().take(200).collect());
        if self.recording {
            self.log.push(entry);
        }
    }

    /// The last lines sent and received, for failure messages.
    fn context(&self) -> String {
        let mut text =
            format!("\n  last {} lines of client {} ({}):", self.recent.len(), self.label, self.local);
        for entry in &self.recent {
            text.push_str("\n    ");
            text.push_str(entry);
        }
        text
    }
}

/// A sending handle on a [`Client`]'s socket, for another thread.
pub struct Writer {
    label: String,
    stream: TcpStream,
}

impl Writer {
    /// Sends `bytes` exactly as given.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap_or_else(|e| panic!("client {}: send failed: {e}", self.label));
    }

    /// Sends `bytes`, and returns the error instead of panicking (for clients the server may
    /// disconnect on purpose).
    pub fn try_send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::time::Duration;

    use super::*;

    /// A client connected to a bare socket the test writes to: `(client, server side)`.
    fn connected() -> (Client, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = Client::connect(listener.local_addr().unwrap(), "t", ClientOptions::default());
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    #[test]
    fn lines_are_reassembled_from_any_chunking() {
        let (mut client, mut server) = connected();
        server.write_all(b"one\ntw").unwrap();
        client.expect_line("one");
        server.write_all(b"o\nthree\nfour\n").unwrap();
        client.expect_line("two");
        let lines = client.read_until("four", Deadline::standard(), |line| line == "four");
        assert_eq!(lines, ["three", "four"]);
        client.send_line("hi");
        assert_eq!(client.log(), ["<- one", "<- two", "<- three", "<- four", "-> hi"]);
    }

    #[test]
    fn the_end_of_the_stream_is_reported_with_any_unterminated_bytes() {
        let (mut client, mut server) = connected();
        server.write_all(b"whole\nhalf").unwrap();
        drop(server);
        let (lines, end) = client.recv_until_end(Deadline::standard());
        assert_eq!(lines, ["whole"]);
        assert!(matches!(end, End::Closed { partial } if partial == b"half"));
    }

    #[test]
    #[should_panic(expected = "expected a clean close after whole lines")]
    fn an_unterminated_last_line_is_not_a_clean_close() {
        let (mut client, mut server) = connected();
        server.write_all(b"half").unwrap();
        drop(server);
        client.recv_all_until_closed(Deadline::standard());
    }

    #[test]
    #[should_panic(expected = "waited 50ms for a line, nothing more arrived (unterminated bytes: \"par\")")]
    fn a_silent_server_fails_at_the_deadline() {
        let (mut client, mut server) = connected();
        server.write_all(b"par").unwrap();
        client.next_line_by(Deadline::after(Duration::from_millis(50)));
    }

    #[test]
    #[should_panic(expected = "the server sent invalid UTF-8")]
    fn invalid_utf8_from_the_server_fails() {
        let (mut client, mut server) = connected();
        server.write_all(b"\xff\n").unwrap();
        client.next_line();
    }
}
