//! TLS end to end, beside plain TCP in the same room: a rustls client and a TCP client chat; a
//! TLS client gets every line of a burst far bigger than the transport's buffer; a TLS client
//! that stops reading is dropped as too slow like a TCP one; a bad handshake disturbs no one.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};

use chat_core::Config;
use chat_runtime::Endpoint;
use chat_tests::secure::{TestCert, TlsClient};
use chat_tests::traffic;
use chat_tests::{Deadline, Runtime, TestServer, WAIT, both_runtimes};

both_runtimes!(
    tls_and_tcp_clients_chat,
    tls_client_gets_every_line_of_a_burst,
    bad_handshake_disturbs_no_one,
    tls_client_that_stops_reading_is_dropped
);

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A server with plain TCP first and TLS second.
fn start(runtime: Runtime, config: Config, cert: &TestCert) -> TestServer {
    TestServer::start_endpoints(
        runtime,
        config,
        &[(LOOPBACK, Endpoint::Plain), (LOOPBACK, Endpoint::Tls(cert.config.clone()))],
    )
}

fn tls_and_tcp_clients_chat(runtime: Runtime) {
    let cert = TestCert::new();
    let server = start(runtime, chat_tests::config(), &cert);
    let mut secure = TlsClient::connect(server.addrs()[1], &cert, "secure", None);
    secure.expect_welcome();
    let mut plain = server.join("plain");
    secure.expect_line(&format!("*** {} entered the room", plain.default_name()));
    plain.send_line("hello over tcp");
    secure.expect_line(&format!("<{}> hello over tcp", plain.default_name()));
    secure.send_line("hello over tls");
    plain.expect_line(&format!("<{}> hello over tls", secure.default_name()));
}

/// Lines in the burst, 150 bytes each: some 450 KB, many times the TLS transport's 64 KiB of
/// encoded output and well under the 1 MiB queue cap, so no one is too slow.
const BURST: usize = 3_000;

/// The burst's line `index`.
fn burst_line(index: usize) -> String {
    traffic::line_text(0, index, 150)
}

/// A TLS client with a small receive buffer reads nothing until a TCP client has had the whole
/// burst, then reads it all. With the parking window as big as the queue cap, most of the burst
/// waits in the transport's queue, and refills its encoded buffer (emptied by the socket) with
/// more than rustls takes in one go: every line must still arrive whole and in order.
fn tls_client_gets_every_line_of_a_burst(runtime: Runtime) {
    let cert = TestCert::new();
    let config = Config { flood_rate: 0.0, soft_queue: 1 << 20, ..chat_tests::config() };
    let server = start(runtime, config, &cert);
    let mut talker = server.join("talker");
    let mut listener = server.join("listener");
    talker.expect_line(&format!("*** {} entered the room", listener.default_name()));
    let mut reader = TlsClient::connect(server.addrs()[1], &cert, "reader", Some(16 * 1024));
    reader.expect_welcome();
    talker.expect_line(&format!("*** {} entered the room", reader.default_name()));
    listener.expect_line(&format!("*** {} entered the room", reader.default_name()));
    listener.set_recording(false);
    let name = talker.default_name();
    talker.send_raw(&traffic::lines(0, 0..BURST, |_| 150));
    let deadline = Deadline::after(WAIT * 3);
    for index in 0..BURST {
        assert_eq!(listener.next_line_by(deadline), format!("<{name}> {}", burst_line(index)));
    }
    // The reader's share waits in its socket, its transport and the core's queue.
    for index in 0..BURST {
        reader.expect_line(&format!("<{name}> {}", burst_line(index)));
    }
}

fn bad_handshake_disturbs_no_one(runtime: Runtime) {
    let cert = TestCert::new();
    let server = start(runtime, chat_tests::config(), &cert);
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    // Plain text to the TLS port: the server answers with an alert and closes.
    let mut bad = TcpStream::connect(server.addrs()[1]).expect("connect to the TLS port");
    bad.set_read_timeout(Some(WAIT)).expect("a read timeout");
    bad.write_all(b"hello, this is not TLS\n").expect("send garbage");
    let mut answer = Vec::new();
    bad.read_to_end(&mut answer).expect("the server closes the connection");
    assert_eq!(answer.first(), Some(&21), "a TLS alert record, got {answer:?}");
    // A client that connects and leaves halfway through its handshake.
    let mut half = TcpStream::connect(server.addrs()[1]).expect("connect to the TLS port");
    half.write_all(&[22, 3, 1, 0, 200, 1]).expect("half a ClientHello");
    drop(half);
    // Nobody heard of either, and the room goes on.
    a.send_line("still here");
    b.expect_line(&format!("<{}> still here", a.default_name()));
    let mut late = TlsClient::connect(server.addrs()[1], &cert, "late", None);
    late.expect_welcome();
    a.expect_line(&format!("*** {} entered the room", late.default_name()));
}

fn tls_client_that_stops_reading_is_dropped(runtime: Runtime) {
    let cert = TestCert::new();
    let config = Config { flood_rate: 0.0, max_queue: 256 * 1024, ..chat_tests::config() };
    let server = start(runtime, config, &cert);
    let mut talker = server.join("talker");
    let mut listener = server.join("listener");
    talker.expect_line(&format!("*** {} entered the room", listener.default_name()));
    let mut silent = TlsClient::connect(server.addrs()[1], &cert, "silent", Some(4096));
    silent.expect_welcome();
    let silent_name = silent.default_name();
    talker.expect_line(&format!("*** {silent_name} entered the room"));
    listener.expect_line(&format!("*** {silent_name} entered the room"));
    traffic::expect_silent_client_dropped(&talker, &mut listener, &silent_name, 4_000);
    drop(silent);
}
