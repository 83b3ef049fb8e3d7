//! One connection of the ideal broadcaster: the partial line it has sent so far, and the output
//! waiting for it.

use std::io::{self, Read, Write};
use std::net::TcpStream;

use super::mailbox::Chunk;

/// The longest line passed on; a connection that sends a longer one is closed.
pub const MAX_LINE: usize = 1 << 20;

/// The most bytes handed to one `write`.
pub const MAX_WRITE: usize = 256 * 1024;

/// An output buffer that grew past this while a connection lagged is freed once written.
const KEEP_CAPACITY: usize = 1 << 20;

/// What reading from a connection gave.
#[derive(Debug)]
pub enum Received {
    /// Nothing new, or only part of a line.
    Nothing,
    /// Complete lines to pass on.
    Lines(Box<[u8]>),
    /// The connection closed, failed or sent a line over [`MAX_LINE`].
    Gone,
}

/// How writing to a connection went.
#[derive(Debug, PartialEq, Eq)]
pub enum Flushed {
    /// Everything pending was written.
    All,
    /// The socket took no more: wait until it is writable.
    Blocked,
    /// The connection failed.
    Gone,
}

/// One connection.
#[derive(Debug)]
pub struct Peer {
    /// Its id, unique in the broadcaster.
    pub id: u64,
    /// The socket, non-blocking.
    pub stream: TcpStream,
    /// Bytes after its last newline, kept until the line is complete.
    carry: Vec<u8>,
    /// Output not yet written: `out[written..]`.
    out: Vec<u8>,
    written: usize,
    /// Whether the poller watches it for writability (it refused bytes).
    pub blocked: bool,
}

impl Peer {
    /// A new connection with id `id`.
    pub fn new(id: u64, stream: TcpStream) -> Self {
        Self { id, stream, carry: Vec::new(), out: Vec::new(), written: 0, blocked: false }
    }

    /// Bytes waiting to be written.
    pub fn pending(&self) -> usize {
        self.out.len() - self.written
    }

    /// Reads once into `buf` and returns the complete lines read, with any partial line kept
    /// from before in front.
    pub fn receive(&mut self, buf: &mut [u8]) -> Received {
        let n = loop {
            match self.stream.read(buf) {
                Ok(0) => return Received::Gone,
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Received::Nothing,
                Err(_) => return Received::Gone,
            }
        };
        let data = &buf[..n];
        let Some(last) = memchr::memrchr(b'\n', data) else {
            if self.carry.len() + n > MAX_LINE {
                return Received::Gone;
            }
            self.carry.extend_from_slice(data);
            return Received::Nothing;
        };
        let (lines, rest) = data.split_at(last + 1);
        let chunk = if self.carry.is_empty() {
            Box::from(lines)
        } else {
            let mut joined = std::mem::take(&mut self.carry);
            joined.extend_from_slice(lines);
            joined.into_boxed_slice()
        };
        self.carry.extend_from_slice(rest);
        Received::Lines(chunk)
    }

    /// Appends the lines of `chunks` that this connection did not send to its output.
    pub fn queue(&mut self, chunks: &[std::sync::Arc<Chunk>]) {
        for chunk in chunks {
            if chunk.from != self.id {
                self.out.extend_from_slice(&chunk.bytes);
            }
        }
    }

    /// Writes pending output, up to [`MAX_WRITE`] bytes per `write`, until the socket refuses more.
    pub fn flush(&mut self) -> Flushed {
        while self.written < self.out.len() {
            let end = self.out.len().min(self.written + MAX_WRITE);
            match self.stream.write(&self.out[self.written..end]) {
                Ok(0) => return Flushed::Gone,
                Ok(n) => self.written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Keep the buffer from growing without end while the socket lags behind.
                    if self.written > self.out.len() / 2 {
                        self.out.drain(..self.written);
                        self.written = 0;
                    }
                    return Flushed::Blocked;
                }
                Err(_) => return Flushed::Gone,
            }
        }
        self.out.clear();
        if self.out.capacity() > KEEP_CAPACITY {
            self.out = Vec::new();
        }
        self.written = 0;
        Flushed::All
    }
}
