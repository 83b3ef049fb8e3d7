//! TLS end to end, beside plain TCP in the same room: a rustls client and a TCP client chat; a
//! TLS client that stops reading is dropped as too slow like a TCP one; a bad handshake
//! disturbs no one.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::thread;

use chat_core::Config;
use chat_runtime::Endpoint;
use chat_tests::secure::{TestCert, TlsClient};
use chat_tests::{Deadline, Runtime, TestServer, WAIT, both_runtimes};

both_runtimes!(
    tls_and_tcp_clients_chat,
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

/// Lines the talker sends, 1,000 bytes each: far more than the queue cap below, the socket
/// buffers and the transport's own 64 KiB together.
const LINES: usize = 4_000;

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
    listener.set_recording(false);
    let line = "x".repeat(1_000);
    let expected_notice = format!("*** {silent_name} is offline (too slow)");
    thread::scope(|scope| {
        let mut writer = talker.writer();
        scope.spawn(move || {
            for _ in 0..LINES {
                writer.send_raw(format!("{line}\n").as_bytes());
            }
        });
        let deadline = Deadline::after(WAIT * 3);
        let mut lines = 0;
        loop {
            let got = listener.next_line_by(deadline);
            if got == expected_notice {
                break;
            }
            lines += 1;
            assert!(lines <= LINES, "every line arrived, but no too-slow notice for {silent_name}");
        }
    });
    drop(silent);
}
