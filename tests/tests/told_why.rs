//! A connection the core turns away before it is a chat client (a TLS handshake, an HTTP
//! connection over the per-address limit) is told why in its own protocol: over TLS, the same
//! `! ...` line a TCP client gets once the handshake is done; on the web port, a `503` with the
//! line as the body, or for a WebSocket upgrade, the line as a message and a close frame 1013
//! (a browser tells the page's script nothing of an HTTP answer to an upgrade). On both
//! runtimes, and on the smol runtime with its default one I/O thread (the core beside the
//! connections) as well as two (the core on its own thread).

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::num::NonZeroUsize;
use std::sync::Arc;

use chat_core::Config;
use chat_runtime::{Endpoint, Options, WebConfig};
use chat_tests::secure::{TestCert, TlsClient};
use chat_tests::websocket::WsClient;
use chat_tests::{Runtime, TestServer, WAIT, both_runtimes};

both_runtimes!(a_refused_tls_client_is_told_why, a_refused_web_client_is_told_why);

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const REFUSAL: &str = "! Too many connections from your address (1 at most); close one and try again.";

/// One connection per address, loopback included.
fn one_per_address() -> Config {
    Config { max_per_ip: 1, max_connects_per_ip: 0, limit_loopback: true, ..chat_tests::config() }
}

/// The smol runtime with the core on a thread of its own, apart from the connections'.
const SEVERAL: Option<NonZeroUsize> = NonZeroUsize::new(2);

/// `endpoint` alone, on `runtime` (with `threads` I/O threads, if given).
fn start(runtime: Runtime, endpoint: Endpoint, threads: Option<NonZeroUsize>) -> TestServer {
    TestServer::start_endpoints_with(runtime, one_per_address(), &[(LOOPBACK, endpoint)], Options { threads })
}

fn a_refused_tls_client_is_told_why(runtime: Runtime) {
    tls_client_told_why(runtime, None);
}

fn a_refused_web_client_is_told_why(runtime: Runtime) {
    web_client_told_why(runtime, None);
}

#[test]
fn on_smol_with_two_io_threads_a_refused_tls_client_is_told_why() {
    tls_client_told_why(Runtime::Smol, SEVERAL);
}

#[test]
fn on_smol_with_two_io_threads_a_refused_web_client_is_told_why() {
    web_client_told_why(Runtime::Smol, SEVERAL);
}

fn tls_client_told_why(runtime: Runtime, threads: Option<NonZeroUsize>) {
    let cert = TestCert::new();
    let server = start(runtime, Endpoint::Tls(cert.config.clone()), threads);
    let mut first = TlsClient::connect(server.addrs()[0], &cert, "first", None);
    first.expect_welcome();
    let mut refused = TlsClient::connect(server.addrs()[0], &cert, "refused", None);
    refused.expect_line(REFUSAL);
    assert!(matches!(refused.try_next_line(), Ok(None)), "then the connection ends");
    // The first one is not disturbed, and the refused one held no place.
    first.send_line("/who");
    assert!(first.next_line().starts_with("*** 1 here"));
}

fn web_client_told_why(runtime: Runtime, threads: Option<NonZeroUsize>) {
    let web = Endpoint::Web(Arc::new(WebConfig::chat(one_per_address().max_line)), None);
    let server = start(runtime, web, threads);
    let threaded = threads.is_some_and(|threads| threads.get() > 1);
    let addr = server.addrs()[0];
    let mut first = WsClient::connect(addr, "first");
    assert!(first.next_text().starts_with("*** Welcome"));
    // The page, asked for over a second connection: a 503 saying why.
    let mut page = TcpStream::connect(addr).expect("connect to the web listener");
    page.set_read_timeout(Some(WAIT)).expect("a read timeout");
    write!(page, "GET / HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("ask for the page");
    let mut answer = String::new();
    page.read_to_string(&mut answer).expect("an answer, then the end");
    // With the core on its own thread, a connection's thread may answer a request before the
    // core's verdict reaches it (the core only counts connections that are not clients yet):
    // then the page is served, and the connection is closed.
    let raced = threaded && answer.starts_with("HTTP/1.1 200 OK\r\n");
    if !raced {
        assert!(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{answer}");
        assert!(answer.ends_with(&format!("\r\n\r\n{REFUSAL}\n")), "{answer}");
    }
    // A second WebSocket: the line as a message, then a close frame 1013 (try again later);
    // or, upgraded before the verdict reached its thread, a normal close after the line.
    let mut refused = WsClient::connect(addr, "refused");
    assert_eq!(refused.next_text(), REFUSAL);
    let code = refused.expect_close();
    assert!(code == 1013 || (threaded && code == 1000), "close code {code}");
    first.send_text("/who");
    assert!(first.next_text().starts_with("*** 1 here"));
}
