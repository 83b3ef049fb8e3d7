//! A WebSocket client at the protocol level for the end-to-end tests: it writes frames byte
//! by byte as a test asks (masked or not, fragmented, oversize) and reads the server's frames.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};

use chat_core::protocol::ServerLine;
use chat_transport::ws::client::{frame, read_server_frames};
use socket2::{Domain, Socket, Type};

use crate::{Deadline, WAIT};

/// Text message opcode.
pub const TEXT: u8 = 0x1;
/// Continuation frame opcode.
pub const CONTINUATION: u8 = 0x0;
/// Close frame opcode.
pub const CLOSE: u8 = 0x8;
/// Ping opcode.
pub const PING: u8 = 0x9;
/// Pong opcode.
pub const PONG: u8 = 0xA;

/// The mask key every frame of this client uses.
const MASK: Option<[u8; 4]> = Some([0x11, 0x22, 0x33, 0x44]);

/// One WebSocket connection to the chat's `/ws`, upgraded.
pub struct WsClient {
    label: String,
    stream: TcpStream,
    /// The name the server gave it, from its welcome line.
    name: Option<String>,
    /// Bytes read and not yet a whole frame.
    buf: Vec<u8>,
}

impl WsClient {
    /// Connects to the web listener at `addr` and upgrades to a WebSocket, with the page's own
    /// origin (as the web client served at `/` does).
    pub fn connect(addr: SocketAddr, label: &str) -> Self {
        Self::connect_with(addr, label, None)
    }

    /// Like [`connect`](Self::connect), with a receive buffer of `recv_buffer` bytes if given
    /// (set before connecting, so the TCP window stays that small).
    pub fn connect_with(addr: SocketAddr, label: &str, recv_buffer: Option<usize>) -> Self {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).expect("a socket");
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).expect("a small receive buffer");
        }
        socket.connect_timeout(&addr.into(), WAIT).unwrap_or_else(|e| panic!("{label}: cannot connect: {e}"));
        let mut stream = TcpStream::from(socket);
        stream.set_read_timeout(Some(WAIT)).expect("a read timeout");
        stream.set_nodelay(true).expect("TCP_NODELAY");
        let origin = format!("http://{addr}");
        let head = upgrade(&mut stream, addr, "/ws", Some(&origin))
            .unwrap_or_else(|e| panic!("{label}: the upgrade failed: {e}"));
        assert!(head.starts_with("HTTP/1.1 101"), "{label}: the upgrade was refused: {head}");
        Self { label: label.to_owned(), stream, name: None, buf: Vec::new() }
    }

    /// The name the server gave this client in its welcome line.
    pub fn default_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| panic!("{}: its name is known once its welcome was read", self.label))
    }

    /// Sends one frame (masked unless `masked` is false).
    pub fn send_frame(&mut self, fin: bool, opcode: u8, payload: &[u8], masked: bool) {
        let bytes = frame(fin, opcode, payload, if masked { MASK } else { None });
        self.stream.write_all(&bytes).unwrap_or_else(|e| panic!("{}: cannot send a frame: {e}", self.label));
    }

    /// Sends a whole, masked text message.
    pub fn send_text(&mut self, text: &str) {
        self.send_frame(true, TEXT, text.as_bytes(), true);
    }

    /// The next message from the server (opcode and payload), or `None` once it closed the
    /// connection.
    pub fn next_message(&mut self) -> Option<(u8, Vec<u8>)> {
        let deadline = Deadline::standard();
        loop {
            if let Some(first) = take_frame(&mut self.buf) {
                return Some(first);
            }
            let mut chunk = [0; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    assert!(deadline.remaining().is_some(), "{}: no message within {WAIT:?}", self.label);
                    panic!("{}: reading failed: {error}", self.label)
                }
            }
        }
    }

    /// The next text message, as text.
    pub fn next_text(&mut self) -> String {
        match self.next_message() {
            Some((TEXT, payload)) => {
                let text = String::from_utf8(payload).expect("text messages are UTF-8");
                if let ServerLine::Welcome { name, .. } = ServerLine::parse(&text) {
                    self.name = Some(name.to_owned());
                }
                text
            }
            other => panic!("{}: expected a text message, got {other:?}", self.label),
        }
    }

    /// Reads until the server's close frame and returns its code; the connection then ends.
    pub fn expect_close(&mut self) -> u16 {
        loop {
            match self.next_message() {
                Some((CLOSE, payload)) => {
                    let code = payload.get(..2).map_or(1005, |code| u16::from_be_bytes([code[0], code[1]]));
                    return code;
                }
                Some(_) => {}
                None => panic!("{}: the connection ended without a close frame", self.label),
            }
        }
    }
}

/// Asks for a WebSocket at `path` on `stream` (connected to `addr`), with an `Origin` header
/// if given, and returns the answer's head, whatever its status.
pub fn upgrade(
    stream: &mut TcpStream,
    addr: SocketAddr,
    path: &str,
    origin: Option<&str>,
) -> io::Result<String> {
    let origin = origin.map(|origin| format!("Origin: {origin}\r\n")).unwrap_or_default();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            _ => head.push(byte[0]),
        }
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Takes the first whole frame (opcode and payload) a server sent from the front of `buf`,
/// if it holds one. Servers never mask.
pub fn take_frame(buf: &mut Vec<u8>) -> Option<(u8, Vec<u8>)> {
    let (frames, _) = read_server_frames(buf);
    let first = frames.into_iter().next()?;
    let header = match buf[1] & 0x7F {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    buf.drain(..header + first.1.len());
    Some(first)
}
