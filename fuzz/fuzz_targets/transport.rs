//! Any bytes through the web listener's transport (HTTP, then WebSocket), cut into reads of
//! varying sizes, with the core's frames sent back between reads.
//!
//! It must never panic; its buffers stay bounded; it opens a chat client at most once and ends
//! it at most once, after opening; chat bytes come only from an open client; what it writes is
//! taken in full by `advance`; and once closed it finishes.

#![no_main]

use std::io::IoSlice;
use std::sync::Arc;

use bytes::Bytes;
use chat_core::kit::Outbox;
use chat_transport::{Endpoint, Incoming, Transport, WebConfig};
use libfuzzer_sys::fuzz_target;

/// A valid upgrade, so that most inputs reach the WebSocket decoder.
const UPGRADE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Most bytes a transport may hold, whatever it is sent: 64 KiB of output in a vector that
/// may have doubled, an HTTP head, a message, a read.
const BOUND: usize = 200 * 1024;

#[derive(Default)]
struct Seen {
    opened: bool,
    ended: bool,
}

impl Seen {
    fn check(&mut self, incoming: Incoming<'_>) {
        if incoming.opened.is_some() {
            assert!(!self.opened, "opened twice");
            self.opened = true;
        }
        assert!(incoming.data.is_empty() || (self.opened && !self.ended), "data outside an open client");
        if incoming.ended.is_some() {
            assert!(self.opened && !self.ended, "ended twice or before opening");
            self.ended = true;
        }
    }
}

fn drain(transport: &mut Transport, seen: &mut Seen) {
    for _ in 0..1000 {
        if !transport.wants_write() {
            return;
        }
        let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
        let count = transport.io_slices(&mut slices);
        let written: usize = slices[..count].iter().map(|slice| slice.len()).sum();
        assert!(written > 0, "wants to write but gives nothing");
        seen.check(transport.advance(written));
    }
    panic!("never done writing");
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&mode, rest)) = bytes.split_first() else { return };
    let endpoint = Endpoint::Web(Arc::new(WebConfig::chat(64)), None);
    let peer = "127.0.0.1:4000".parse().unwrap();
    let mut transport = endpoint.accept(peer).unwrap();
    assert!(!transport.start(peer));
    let mut seen = Seen::default();
    if mode & 1 == 1 {
        seen.check(transport.receive(UPGRADE));
        assert!(seen.opened, "a valid upgrade opens");
    }
    let chunk = usize::from(mode >> 1).max(1);
    for piece in rest.chunks(chunk) {
        seen.check(transport.receive(piece));
        let _ = transport.send(Bytes::from_static(b"<a> hi\n*** b entered the room\n"));
        if mode & 2 == 0 {
            drain(&mut transport, &mut seen);
        }
        assert!(transport.buffered() < BOUND, "holds {}", transport.buffered());
    }
    seen.check(transport.receive_eof());
    transport.close();
    drain(&mut transport, &mut seen);
    assert!(transport.is_finished(), "closed and written, but not finished");
});
