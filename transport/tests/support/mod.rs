//! Drives a [`Transport`] in memory as a runtime would, recording what the core would hear.

#![allow(dead_code)]

use std::io::IoSlice;
use std::net::SocketAddr;

use chat_core::PeerGone;
use chat_core::kit::Outbox;
use chat_transport::{Endpoint, Incoming, Transport};

/// An [`Incoming`] copied out, so the transport can be called again.
struct Owned {
    opened: Option<SocketAddr>,
    data: Vec<u8>,
    flushed: usize,
    ended: Option<PeerGone>,
}

impl From<Incoming<'_>> for Owned {
    fn from(incoming: Incoming<'_>) -> Self {
        let Incoming { opened, data, flushed, ended, .. } = incoming;
        Self { opened, data: data.to_vec(), flushed, ended }
    }
}

/// A transport with a pretend socket: what the runtime wrote, and what the core heard.
pub struct Driver {
    pub transport: Transport,
    /// Every byte written to the socket so far and not yet taken by the test.
    pub written: Vec<u8>,
    /// Every chat byte the core was given.
    pub data: Vec<u8>,
    pub opened: Option<SocketAddr>,
    pub ended: Option<PeerGone>,
    pub flushed: usize,
    /// Stop writing to the socket (a client that does not read).
    pub stalled: bool,
    /// Write as a runtime with a writer thread does: [`Transport::drain`] into an [`Outbox`],
    /// then [`Transport::written`], instead of `io_slices` and `advance`.
    pub drained: bool,
}

impl Driver {
    pub fn new(endpoint: &Endpoint, peer: &str) -> Self {
        let peer = peer.parse().unwrap();
        let mut transport = endpoint.accept(peer).unwrap();
        let opened = transport.start(peer).then_some(peer);
        Self {
            transport,
            written: Vec::new(),
            data: Vec::new(),
            opened,
            ended: None,
            flushed: 0,
            stalled: false,
            drained: false,
        }
    }

    fn note(&mut self, incoming: Owned) {
        if let Some(peer) = incoming.opened {
            assert!(self.opened.is_none(), "opened twice");
            self.opened = Some(peer);
        }
        if !incoming.data.is_empty() {
            assert!(self.opened.is_some(), "data before the connection opened");
            assert!(self.ended.is_none(), "data after the end");
            self.data.extend_from_slice(&incoming.data);
        }
        self.flushed += incoming.flushed;
        if let Some(cause) = incoming.ended {
            assert!(self.opened.is_some(), "ended before it opened");
            assert!(self.ended.is_none(), "ended twice");
            self.ended = Some(cause);
        }
    }

    /// The client sent `bytes`.
    pub fn feed(&mut self, bytes: &[u8]) {
        let incoming = Owned::from(self.transport.receive(bytes));
        self.note(incoming);
        self.write();
    }

    /// The client sent `bytes` one at a time.
    pub fn feed_bytewise(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.feed(std::slice::from_ref(byte));
        }
    }

    /// The client closed its side.
    pub fn eof(&mut self) {
        let incoming = Owned::from(self.transport.receive_eof());
        self.note(incoming);
        self.write();
    }

    /// The core sent `frame`.
    pub fn send(&mut self, frame: &'static [u8]) {
        self.flushed += self.transport.send(bytes::Bytes::from_static(frame));
        self.write();
    }

    /// The core closed the connection.
    pub fn close(&mut self) {
        self.transport.close();
        self.write();
    }

    /// Writes everything the transport wants written, unless stalled.
    pub fn write(&mut self) {
        let mut rounds = 0;
        while !self.stalled && self.transport.wants_write() {
            rounds += 1;
            assert!(rounds < 100_000, "the transport keeps wanting to write");
            if self.drained {
                self.write_drained();
                continue;
            }
            let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
            let count = self.transport.io_slices(&mut slices);
            assert!(count > 0, "wants to write but gives nothing");
            let mut written = 0;
            for slice in &slices[..count] {
                self.written.extend_from_slice(slice);
                written += slice.len();
            }
            let incoming = Owned::from(self.transport.advance(written));
            self.note(incoming);
        }
    }

    /// One round of a writer thread: takes a batch with `drain`, writes it all, reports it.
    fn write_drained(&mut self) {
        let mut outbox = Outbox::new();
        let incoming = Owned::from(self.transport.drain(&mut outbox));
        self.note(incoming);
        let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
        let count = outbox.io_slices(&mut slices);
        let bytes: usize = slices[..count].iter().map(|slice| slice.len()).sum();
        for slice in &slices[..count] {
            self.written.extend_from_slice(slice);
        }
        let frames = outbox.advance(bytes);
        let incoming = Owned::from(self.transport.written(bytes, frames));
        self.note(incoming);
    }

    /// Takes what was written so far, as text.
    pub fn take_text(&mut self) -> String {
        String::from_utf8_lossy(&std::mem::take(&mut self.written)).into_owned()
    }
}
