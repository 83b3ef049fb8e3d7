//! The transports' cost per delivery when one shared 64-byte frame goes to every connection:
//! `send`, then one `io_slices`/`advance` round as if the socket took everything.
//!
//! - `transport_fanout/tcp`: plain TCP, the frame queued as it is (shared, no copy).
//! - `transport_fanout/ws`: WebSocket framing (one copy into the connection's buffer).
//! - `transport_fanout/tls`: TLS (a copy, then encryption into one record).
//! - `transport_fanout/wss`: WebSocket framing, then TLS.
//!
//! Throughput is in elements = connections, so criterion prints the time per delivery. The
//! connections are set up (TLS handshakes, WebSocket upgrades) in memory before timing.
//! Run: `cargo bench -p chat-transport --bench fanout`.

use std::hint::black_box;
use std::io::{IoSlice, Write};
use std::sync::Arc;

use bytes::Bytes;
use chat_core::kit::Outbox;
use chat_transport::ws::client;
use chat_transport::{Endpoint, TlsConfig, Transport, WebConfig};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, RootCertStore};

const LINE: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQ\n";
const CONNECTIONS: usize = 1000;
const UPGRADE: &[u8] =
    b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// Writes everything the transport has, as if the socket took it all (into `client`, for a
/// TLS handshake); returns how many bytes.
fn drain(transport: &mut Transport, mut client: Option<&mut ClientConnection>) -> usize {
    let mut total = 0;
    while transport.wants_write() {
        let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
        let count = transport.io_slices(&mut slices);
        let mut written = 0;
        for slice in &slices[..count] {
            written += slice.len();
            if let Some(client) = client.as_deref_mut() {
                let mut rest: &[u8] = slice;
                while !rest.is_empty() {
                    client.read_tls(&mut rest).expect("client reads");
                    client.process_new_packets().expect("valid records");
                }
            }
        }
        total += written;
        let _ = transport.advance(written);
    }
    total
}

/// A server transport and, for TLS, the client it shook hands with.
fn connect(endpoint: &Endpoint, client: Option<&Arc<ClientConfig>>, http: bool) -> Transport {
    let peer = "127.0.0.1:40000".parse().expect("address");
    let mut server = endpoint.accept(peer).expect("accept");
    let _ = server.start(peer);
    let Some(config) = client else {
        if http {
            let _ = server.receive(UPGRADE);
            drain(&mut server, None);
        }
        return server;
    };
    let mut client = ClientConnection::new(config.clone(), ServerName::try_from("localhost").expect("name"))
        .expect("client");
    if http {
        client.writer().write_all(UPGRADE).expect("buffered");
    }
    for _ in 0..10 {
        let mut to_server = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut to_server).expect("client writes");
        }
        let _ = server.receive(&to_server);
        drain(&mut server, Some(&mut client));
    }
    server
}

fn tls_pair() -> (TlsConfig, Arc<ClientConfig>) {
    let dir = std::env::temp_dir().join(format!("chat-bench-{}", std::process::id()));
    let made = chat_transport::self_signed::generate(&dir, &["localhost".to_owned()]).expect("certificate");
    let server = TlsConfig::from_pem_files(&made.cert_path, &made.key_path).expect("loads");
    let mut roots = RootCertStore::empty();
    let pem = std::fs::read(&made.cert_path).expect("cert");
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(&pem).expect("pem");
    roots.add(der).expect("root");
    let client = ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let _ = std::fs::remove_dir_all(dir);
    (server, Arc::new(client))
}

fn fanout(c: &mut Criterion) {
    let (tls, client) = tls_pair();
    let web = Arc::new(WebConfig::chat(4096));
    let kinds = [
        ("tcp", Endpoint::Plain, false, false),
        ("ws", Endpoint::Web(web.clone(), None), false, true),
        ("tls", Endpoint::Tls(tls.clone()), true, false),
        ("wss", Endpoint::Web(web, Some(tls)), true, true),
    ];
    let mut group = c.benchmark_group("transport_fanout");
    group.throughput(Throughput::Elements(CONNECTIONS as u64));
    for (name, endpoint, secure, http) in kinds {
        let mut conns: Vec<Transport> =
            (0..CONNECTIONS).map(|_| connect(&endpoint, secure.then_some(&client), http)).collect();
        let frame = Bytes::from_static(LINE);
        // Check once that the connections are open and a frame really goes out.
        let probe = conns[0].send(frame.clone());
        assert!(drain(&mut conns[0], None) > 0 || probe > 0, "{name}: nothing written");
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let mut written = 0;
                for conn in &mut conns {
                    let _ = conn.send(frame.clone());
                    written += drain(conn, None);
                }
                black_box(written)
            });
        });
    }
    group.finish();
    black_box(client::text("keep the helper linked"));
}

criterion_group!(benches, fanout);
criterion_main!(benches);
