//! The sending half of the connection: whole lines out, and a polite way to stop.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use chat_core::protocol::Command;

/// How long one send may block before the server is taken to be gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Writes lines to the server.
#[derive(Debug)]
pub struct Sender {
    stream: TcpStream,
}

impl Sender {
    /// Takes the writing side of `stream` (a clone of the socket the receiver reads).
    pub fn new(stream: TcpStream) -> io::Result<Self> {
        stream.set_write_timeout(Some(SEND_TIMEOUT))?;
        Ok(Self { stream })
    }

    /// Sends `line` with a `\n` (a trailing `\r\n` or `\n` is replaced), in one write.
    pub fn send_line(&mut self, line: &[u8]) -> io::Result<()> {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut framed = Vec::with_capacity(line.len() + 1);
        framed.extend_from_slice(line);
        framed.push(b'\n');
        self.stream.write_all(&framed)
    }

    /// Says we are done sending (a TCP half-close), so the server sees a clean end of input
    /// while its last lines can still reach us.
    pub fn finish(&mut self) -> io::Result<()> {
        match self.stream.shutdown(Shutdown::Write) {
            Err(err) if err.kind() != io::ErrorKind::NotConnected => Err(err),
            _ => Ok(()),
        }
    }
}

/// Whether the server will read `line` as a `/quit` command (any case, with or without a
/// reason); its line ending, if any, is ignored.
pub fn is_quit(line: &str) -> bool {
    let line = line.trim_end_matches(['\r', '\n']);
    matches!(Command::parse(line), Ok(Command::Quit(_)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

    #[test]
    fn lines_are_sent_with_exactly_one_newline_and_finish_ends_the_stream() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        let mut sender = Sender::new(stream).unwrap();
        sender.send_line(b"one").unwrap();
        sender.send_line(b"two\r\n").unwrap();
        sender.send_line(b"three\n").unwrap();
        sender.finish().unwrap();
        let mut received = String::new();
        server.read_to_string(&mut received).unwrap();
        assert_eq!(received, "one\ntwo\nthree\n");
    }

    #[test]
    fn quit_is_recognised_in_any_case_with_a_reason() {
        assert!(is_quit("/quit"));
        assert!(is_quit("/QUIT bye all"));
        assert!(!is_quit("/quitter"));
        assert!(!is_quit("//quit"));
        assert!(!is_quit("quit"));
        assert!(is_quit("/quit\r\n"));
        assert!(!is_quit(" /quit"), "the server says this to the room");
    }
}
