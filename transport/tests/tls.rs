//! TLS through the public API: a real rustls client driven in memory against the server's
//! transport.

mod support;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use chat_core::PeerGone;
use chat_transport::ws::client as ws;
use chat_transport::{Endpoint, TlsConfig, WebConfig};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use support::Driver;

/// A certificate for `localhost` in a fresh directory, and a client that trusts it.
struct Pki {
    dir: PathBuf,
    server: TlsConfig,
    client: Arc<ClientConfig>,
}

impl Pki {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("chat-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, client) = write_pair(&dir);
        let server = TlsConfig::from_pem_files(dir.join("cert.pem"), dir.join("key.pem")).unwrap();
        assert_eq!(server.fingerprint(), chat_transport::Fingerprint::of_der(&cert));
        Self { dir, server, client }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes a fresh pair into `dir`; returns the certificate and a client config trusting it.
fn write_pair(dir: &std::path::Path) -> (CertificateDer<'static>, Arc<ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), certified.cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).unwrap();
    let cert = certified.cert.der().clone();
    let mut roots = RootCertStore::empty();
    roots.add(cert.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (cert, Arc::new(client))
}

/// A rustls client talking to a server transport, bytes moved by hand.
struct Pair {
    client: ClientConnection,
    server: Driver,
}

impl Pair {
    fn new(endpoint: &Endpoint, client: &Arc<ClientConfig>) -> Self {
        let client =
            ClientConnection::new(client.clone(), ServerName::try_from("localhost").unwrap()).unwrap();
        Self { client, server: Driver::new(endpoint, "127.0.0.1:41000") }
    }

    /// Moves bytes both ways until neither side has anything to say (bounded).
    fn pump(&mut self) {
        for _ in 0..50 {
            let mut moved = false;
            let mut to_server = Vec::new();
            while self.client.wants_write() {
                self.client.write_tls(&mut to_server).unwrap();
            }
            if !to_server.is_empty() {
                self.server.feed(&to_server);
                moved = true;
            }
            let to_client = std::mem::take(&mut self.server.written);
            if !to_client.is_empty() {
                let mut rest = to_client.as_slice();
                while !rest.is_empty() {
                    self.client.read_tls(&mut rest).unwrap();
                    self.client.process_new_packets().unwrap();
                }
                moved = true;
            }
            if !moved {
                return;
            }
        }
        panic!("the two sides keep talking");
    }

    /// Everything the client can read now.
    fn client_reads(&mut self) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0; 4096];
        loop {
            match self.client.reader().read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(error) => panic!("client read: {error}"),
            }
        }
        got
    }

    /// Moves what the server wrote to the client and decrypts all of it, reading the plain
    /// text after each record batch (rustls holds only a little unread plain text).
    fn client_takes_everything(&mut self) -> Vec<u8> {
        let to_client = std::mem::take(&mut self.server.written);
        let mut rest = to_client.as_slice();
        let mut got = Vec::new();
        while !rest.is_empty() {
            self.client.read_tls(&mut rest).unwrap();
            self.client.process_new_packets().unwrap();
            got.extend(self.client_reads());
        }
        got
    }

    /// The core sends `lines` while the client reads nothing; then the runtime writes (through
    /// `drain` if `drained`) and the client reads until nothing more comes: what it read.
    fn stall_then_read(&mut self, lines: &[&'static [u8]], drained: bool) -> Vec<u8> {
        self.server.stalled = true;
        for &line in lines {
            self.server.send(line);
        }
        self.server.stalled = false;
        self.server.drained = drained;
        let mut got = Vec::new();
        for _ in 0..1_000 {
            self.server.write();
            if self.server.written.is_empty() {
                break;
            }
            got.extend(self.client_takes_everything());
        }
        got
    }
}

/// `count` numbered chat lines of about 100 bytes, each its own `'static` frame.
fn numbered_lines(count: usize) -> Vec<&'static [u8]> {
    (0..count)
        .map(|n| &*Box::leak(format!("<a> line {n:05} {}\n", "x".repeat(80)).into_bytes().into_boxed_slice()))
        .collect()
}

/// A client stops reading while the core sends far more than the transport's own buffer holds,
/// then reads again: every line arrives, whole and in order, however the runtime writes
/// (vectored writes of `io_slices`, or a writer thread fed by `drain`). The transport's encoded
/// buffer empties at once when the socket takes it all, and refills with more than rustls takes
/// in one write: none of it may be dropped.
#[test]
fn a_backlog_bigger_than_the_buffer_arrives_whole_after_a_stall() {
    let pki = Pki::new("backlog");
    for drained in [false, true] {
        let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &pki.client);
        pair.pump();
        let lines = numbered_lines(3_000);
        let got = pair.stall_then_read(&lines, drained);
        let expected = lines.concat();
        assert_eq!(got.len(), expected.len(), "drained: {drained}");
        assert!(got == expected, "drained: {drained}: the lines arrive whole and in order");
        assert_eq!(pair.server.flushed, expected.len());
    }
}

/// TLS records in `bytes`, which start at a record's header.
fn records(mut bytes: &[u8]) -> usize {
    let mut count = 0;
    while let [_, _, _, high, low, rest @ ..] = bytes {
        let len = usize::from(u16::from_be_bytes([*high, *low]));
        assert!(rest.len() >= len, "whole records only");
        bytes = &rest[len..];
        count += 1;
    }
    count
}

/// Lines the core sends while earlier ones still wait for the socket are encrypted together
/// once the socket takes those: a few records of up to 16 KiB, not one record per line (one
/// encryption and 22 bytes of overhead each), however the runtime writes.
#[test]
fn lines_sent_while_the_socket_is_busy_share_records() {
    let pki = Pki::new("batch");
    for drained in [false, true] {
        let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &pki.client);
        pair.pump();
        pair.server.written.clear();
        let lines = numbered_lines(1_000);
        pair.server.drained = drained;
        pair.server.stalled = true;
        for &line in &lines {
            pair.server.send(line);
        }
        pair.server.stalled = false;
        pair.server.write();
        let count = records(&pair.server.written);
        assert!(count <= 10, "drained: {drained}: {count} records for {} lines", lines.len());
        assert!(pair.client_takes_everything() == lines.concat(), "drained: {drained}: every line, in order");
        assert_eq!(pair.server.flushed, lines.concat().len());
    }
}

/// The same over WebSocket over TLS, where a dropped piece would break the framing.
#[test]
fn a_websocket_backlog_bigger_than_the_buffer_arrives_whole_after_a_stall() {
    let pki = Pki::new("wssbacklog");
    let endpoint = Endpoint::Web(Arc::new(WebConfig::chat(4096)), Some(pki.server.clone()));
    for drained in [false, true] {
        let mut pair = Pair::new(&endpoint, &pki.client);
        pair.pump();
        pair.client.writer().write_all(UPGRADE).unwrap();
        pair.pump();
        assert!(pair.client_reads().starts_with(b"HTTP/1.1 101 "));
        let lines = numbered_lines(3_000);
        let bytes = pair.stall_then_read(&lines, drained);
        let (frames, rest) = ws::read_server_frames(&bytes);
        assert!(rest.is_empty(), "drained: {drained}: {} bytes after the last whole frame", rest.len());
        let expected: Vec<_> = lines.iter().map(|line| (1, line[..line.len() - 1].to_vec())).collect();
        assert_eq!(frames.len(), expected.len(), "drained: {drained}");
        assert!(frames == expected, "drained: {drained}: the messages arrive whole and in order");
    }
}

/// The client's request for the WebSocket at `/ws`.
const UPGRADE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: localhost:8443\r\nOrigin: https://localhost:8443\r\n\
    Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

#[test]
fn chat_lines_cross_tls_both_ways() {
    let pki = Pki::new("lines");
    let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &pki.client);
    assert_eq!(pair.server.opened, None, "not a chat client before the handshake");
    pair.pump();
    assert_eq!(pair.server.opened, Some("127.0.0.1:41000".parse().unwrap()));
    pair.client.writer().write_all(b"hello over tls\n").unwrap();
    pair.pump();
    assert_eq!(pair.server.data, b"hello over tls\n");
    pair.server.send(b"<a> hi\n");
    pair.pump();
    assert_eq!(pair.client_reads(), b"<a> hi\n");
    assert_eq!(pair.server.flushed, 7);
    pair.server.close();
    pair.pump();
    assert!(pair.server.transport.is_finished());
    assert!(pair.client_reads().is_empty());
}

#[test]
fn close_notify_from_the_client_is_a_clean_departure() {
    let pki = Pki::new("notify");
    let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &pki.client);
    pair.pump();
    pair.client.writer().write_all(b"last words").unwrap();
    pair.client.send_close_notify();
    pair.pump();
    assert_eq!(pair.server.data, b"last words");
    assert_eq!(pair.server.ended, Some(PeerGone::Closed));
}

#[test]
fn a_bad_handshake_gets_an_alert_and_never_becomes_a_client() {
    let pki = Pki::new("bad");
    let endpoint = Endpoint::Tls(pki.server.clone());
    let mut server = Driver::new(&endpoint, "127.0.0.1:41000");
    server.feed(b"GET / HTTP/1.1\r\nHost: oops\r\n\r\n");
    assert!(server.transport.is_finished(), "closed after the alert");
    assert_eq!(server.written.first(), Some(&0x15), "a TLS alert record");
    assert_eq!((server.opened, server.ended), (None, None));
    // Another client on the same endpoint is not disturbed.
    let mut pair = Pair::new(&endpoint, &pki.client);
    pair.pump();
    assert!(pair.server.opened.is_some());
}

#[test]
fn a_client_that_does_not_trust_the_certificate_is_dropped_cleanly() {
    let pki = Pki::new("untrusted");
    let other = Pki::new("other");
    let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &other.client);
    let mut to_server = Vec::new();
    pair.client.write_tls(&mut to_server).unwrap();
    pair.server.feed(&to_server);
    let mut rest = std::mem::take(&mut pair.server.written);
    let mut slice = rest.as_mut_slice() as &[u8];
    pair.client.read_tls(&mut slice).unwrap();
    assert!(pair.client.process_new_packets().is_err(), "the client refuses the certificate");
    let mut alert = Vec::new();
    while pair.client.wants_write() {
        pair.client.write_tls(&mut alert).unwrap();
    }
    pair.server.feed(&alert);
    assert!(pair.server.transport.is_finished());
    assert_eq!((pair.server.opened, pair.server.ended), (None, None));
}

#[test]
fn a_tls_client_that_stops_reading_leaves_the_buffer_bounded() {
    let pki = Pki::new("stalled");
    let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &pki.client);
    pair.pump();
    pair.server.stalled = true;
    let line: &'static [u8] = Box::leak(format!("<a> {}\n", "x".repeat(500)).into_bytes().into_boxed_slice());
    for _ in 0..10_000 {
        pair.server.send(line);
    }
    let held = pair.server.transport.buffered();
    // About 64 KiB of records, in a vector that may have grown to twice that.
    assert!(held <= 130 * 1024, "held {held}");
    assert!(pair.server.flushed < 200 * line.len(), "the rest stays with the core: {}", pair.server.flushed);
    // Reading again drains it, and more is taken.
    let before = pair.server.flushed;
    pair.server.stalled = false;
    pair.server.write();
    assert!(pair.server.flushed > before);
}

#[test]
fn a_reload_serves_new_connections_the_new_certificate_and_keeps_the_old_ones() {
    let pki = Pki::new("reload");
    let endpoint = Endpoint::Tls(pki.server.clone());
    let mut old = Pair::new(&endpoint, &pki.client);
    old.pump();
    let (_, new_client) = write_pair(&pki.dir);
    let fingerprint = pki.server.reload().unwrap();
    assert_eq!(pki.server.fingerprint(), fingerprint);
    let mut new = Pair::new(&endpoint, &new_client);
    new.pump();
    assert!(new.server.opened.is_some(), "the new certificate is served");
    old.client.writer().write_all(b"still here\n").unwrap();
    old.pump();
    assert_eq!(old.server.data, b"still here\n", "the old connection goes on");
}

#[test]
fn a_failed_reload_keeps_the_old_certificate() {
    let pki = Pki::new("badreload");
    let before = pki.server.fingerprint();
    std::fs::write(pki.dir.join("cert.pem"), "not a certificate").unwrap();
    assert!(pki.server.reload().is_err());
    assert_eq!(pki.server.fingerprint(), before);
}

#[test]
fn missing_files_say_which_file_is_wrong() {
    let error = TlsConfig::from_pem_files("/nonexistent/cert.pem", "/nonexistent/key.pem").unwrap_err();
    assert!(error.to_string().contains("/nonexistent/cert.pem"), "{error}");
}

#[test]
fn websocket_over_tls() {
    let pki = Pki::new("wss");
    let endpoint = Endpoint::Web(Arc::new(WebConfig::chat(4096)), Some(pki.server.clone()));
    let mut pair = Pair::new(&endpoint, &pki.client);
    pair.pump();
    assert_eq!(pair.server.opened, None, "TLS alone does not make a chat client here");
    pair.client.writer().write_all(UPGRADE).unwrap();
    pair.pump();
    let answer = pair.client_reads();
    assert!(answer.starts_with(b"HTTP/1.1 101 "), "{}", String::from_utf8_lossy(&answer));
    assert!(pair.server.opened.is_some());
    pair.client.writer().write_all(&ws::text("secure hello")).unwrap();
    pair.pump();
    assert_eq!(pair.server.data, b"secure hello\n");
    pair.server.send(b"<b> welcome\n");
    pair.pump();
    let (frames, _) = ws::read_server_frames(&pair.client_reads());
    assert_eq!(frames, [(1, b"<b> welcome".to_vec())]);
}

#[test]
fn garbage_before_or_after_the_handshake_never_panics() {
    let pki = Pki::new("garbage");
    let endpoint = Endpoint::Tls(pki.server.clone());
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..200 {
        let mut pair = Pair::new(&endpoint, &pki.client);
        if round % 2 == 0 {
            pair.pump();
        }
        let mut bytes = Vec::new();
        for _ in 0..(round * 7 % 500) {
            // xorshift: reproducible noise, sometimes shaped like a TLS record header.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes.push(state as u8);
        }
        if round % 3 == 0 && bytes.len() > 3 {
            bytes[..3].copy_from_slice(&[0x17, 0x03, 0x03]);
        }
        pair.server.feed(&bytes);
        assert!(pair.server.transport.buffered() < 200 * 1024);
        if !bytes.is_empty() && round % 2 == 1 {
            assert!(pair.server.opened.is_none(), "round {round}: garbage instead of a handshake joined");
        }
    }
}

const REFUSAL: &[u8] = b"! Too many connections from your address (2 at most); close one and try again.\n";

/// A connection the core refuses before its handshake is told why once the handshake is done,
/// then closed; it never becomes a chat client, and what it sends reaches no one.
#[test]
fn a_connection_refused_before_its_handshake_is_told_why_after_it() {
    let pki = Pki::new("refused");
    let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &pki.client);
    pair.server.send(REFUSAL);
    pair.server.close();
    assert!(!pair.server.transport.is_finished(), "the handshake goes on");
    pair.client.writer().write_all(b"/nick early\n").unwrap();
    pair.pump();
    assert_eq!(pair.client_reads(), REFUSAL);
    assert!(pair.server.transport.is_finished());
    assert_eq!((pair.server.opened, pair.server.ended), (None, None), "never a chat client");
    assert!(pair.server.data.is_empty(), "its lines reach no one");
    assert!(pair.server.transport.buffered() < 64 * 1024);
}

/// The same when the handshake was done before the refusal came (a runtime whose core is on
/// another thread; the core ignores its late `Connected`): it is told at once.
#[test]
fn a_refusal_after_the_handshake_is_said_at_once() {
    let pki = Pki::new("refused-late");
    let mut pair = Pair::new(&Endpoint::Tls(pki.server.clone()), &pki.client);
    pair.pump();
    assert!(pair.server.opened.is_some(), "the runtime saw it open before the core's refusal");
    pair.server.send(REFUSAL);
    pair.server.close();
    pair.pump();
    assert_eq!(pair.client_reads(), REFUSAL);
    assert!(pair.server.transport.is_finished());
}
