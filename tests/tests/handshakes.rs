//! Connections that never become clients (a TLS handshake left halfway, an HTTP request head
//! that never ends: a slowloris on the web port): they count toward the per-address limit,
//! block no one else, and are closed after the handshake deadline.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use chat_core::Config;
use chat_runtime::{Endpoint, WebConfig, admin_endpoint};
use chat_tests::secure::{TestCert, TlsClient};
use chat_tests::{Deadline, Runtime, TestServer, WAIT, both_runtimes};
use prometheus_parse::{Scrape, Value};
use socket2::{Domain, Socket, Type};

both_runtimes!(
    stuck_handshakes_block_no_one_and_are_closed_at_the_deadline,
    what_a_stuck_request_holds_counts_toward_the_memory_budget
);

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// Where the stuck connections come from: another address than everyone else's.
const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const STUCK: usize = 200;
const PER_IP: usize = 16;

/// A TCP connection to `addr` from `from`.
fn connect_from(from: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).expect("a socket");
    socket.bind(&SocketAddr::new(from, 0).into()).expect("bind the attacker's address");
    socket.connect_timeout(&addr.into(), WAIT).expect("connect");
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(Duration::from_millis(200))).expect("a read timeout");
    stream
}

/// True once the server has closed `stream` (end of file or a reset), false if it is still
/// open at `deadline`.
fn closed_by(stream: &mut TcpStream, deadline: Deadline) -> bool {
    let mut buf = [0; 1024];
    while deadline.remaining().is_some() {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(error) if error.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
    false
}

/// `/metrics`, parsed.
fn scrape(admin: SocketAddr) -> Scrape {
    let mut stream = TcpStream::connect(admin).expect("connect to the admin listener");
    stream.set_read_timeout(Some(WAIT)).expect("a read timeout");
    write!(stream, "GET /metrics HTTP/1.1\r\nHost: {admin}\r\nConnection: close\r\n\r\n").expect("ask");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("the page");
    let body = answer.split_once("\r\n\r\n").expect("a head and a body").1;
    Scrape::parse(body.lines().map(|line| Ok(line.to_owned()))).expect("the text format")
}

/// The value of the sample `name` (with `reason` if given) on `/metrics`.
fn metric(admin: SocketAddr, name: &str, reason: Option<&str>) -> f64 {
    let scrape = scrape(admin);
    let sample = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && s.labels.get("reason") == reason)
        .unwrap_or_else(|| panic!("no {name} {reason:?}"));
    match sample.value {
        Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => value,
        ref other => panic!("not a counter: {other:?}"),
    }
}

fn stuck_handshakes_block_no_one_and_are_closed_at_the_deadline(runtime: Runtime) {
    let cert = TestCert::new();
    let config = Config {
        limit_loopback: true,
        max_per_ip: PER_IP,
        max_connects_per_ip: 0,
        handshake_timeout: Duration::from_secs(2),
        ..chat_tests::config()
    };
    let web = Endpoint::Web(Arc::new(WebConfig::chat(config.max_line)), None);
    let server = TestServer::start_endpoints(
        runtime,
        config,
        &[
            (LOOPBACK, Endpoint::Plain),
            (LOOPBACK, Endpoint::Tls(cert.config.clone())),
            (LOOPBACK, web),
            (LOOPBACK, admin_endpoint()),
        ],
    );
    let [plain, tls, web, admin] = server.addrs() else { panic!("four listeners") };
    // Half a TLS ClientHello, or an HTTP request head that never ends, and then nothing.
    let mut stuck: Vec<TcpStream> = (0..STUCK)
        .map(|n| {
            let (addr, opening): (SocketAddr, &[u8]) = if n % 2 == 0 {
                (*tls, &[22, 3, 1, 0, 200, 1])
            } else {
                (*web, b"GET / HTTP/1.1\r\nHost: chat\r\nX-Slow: ")
            };
            let mut stream = connect_from(ATTACKER, addr);
            stream.write_all(opening).expect("the first bytes");
            stream
        })
        .collect();
    // Everyone else still gets in and chats, over TLS and plain TCP.
    let mut secure = TlsClient::connect(*tls, &cert, "secure", None);
    secure.expect_welcome();
    let mut tcp = server.join("plain");
    secure.expect_line(&format!("*** {} entered the room", tcp.default_name()));
    tcp.send_line("still here");
    secure.expect_line(&format!("<{}> still here", tcp.default_name()));
    // The attacker's address holds at most its share; the rest were turned away at once, and
    // what it held is closed at the deadline.
    let deadline = Deadline::standard();
    let open = stuck.iter_mut().map(|stream| closed_by(stream, deadline)).filter(|closed| !closed).count();
    assert_eq!(open, 0, "every stuck connection is closed by the deadline");
    let drops = |reason| metric(*admin, "chat_dropped_connections_total", Some(reason));
    assert_eq!(drops("handshake"), PER_IP as f64);
    assert_eq!(drops("per_ip"), (STUCK - PER_IP) as f64);
    // And the attacker's address may connect again.
    let mut again = chat_tests::Client::connect_from(ATTACKER, *plain, "again", Default::default());
    again.expect_welcome();
}

fn what_a_stuck_request_holds_counts_toward_the_memory_budget(runtime: Runtime) {
    let config = Config { handshake_timeout: Duration::from_secs(600), ..chat_tests::config() };
    let web = Endpoint::Web(Arc::new(WebConfig::chat(config.max_line)), None);
    let server =
        TestServer::start_endpoints(runtime, config, &[(LOOPBACK, web), (LOOPBACK, admin_endpoint())]);
    let [web, admin] = server.addrs() else { panic!("two listeners") };
    assert_eq!(metric(*admin, "chat_queued_bytes", None), 0.0);
    let mut slow = connect_from(LOOPBACK, *web);
    slow.write_all(&[b'x'; 2000]).expect("the start of a request head");
    let deadline = Deadline::standard();
    let held = loop {
        let held = metric(*admin, "chat_queued_bytes", None);
        if held > 0.0 || deadline.remaining().is_none() {
            break held;
        }
    };
    assert!(held >= 2000.0, "the request head is counted: {held}");
    drop(slow);
    let deadline = Deadline::standard();
    while metric(*admin, "chat_queued_bytes", None) > 0.0 {
        assert!(deadline.remaining().is_some(), "what it held is given back when it goes");
    }
}
