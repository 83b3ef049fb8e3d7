//! The operator's listener: `/metrics` parses as the Prometheus text format, counts the
//! connections and bytes the transports saw and shows the core's numbers moving as traffic
//! flows; `/healthz` answers.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};

use std::num::NonZeroUsize;

use chat_runtime::{Endpoint, Options, admin_endpoint};
use chat_tests::{Deadline, Runtime, TestServer, WAIT, both_runtimes};
use prometheus_parse::{Scrape, Value};

both_runtimes!(metrics_count_connections_and_bytes_by_transport, the_core_numbers_move_with_the_traffic);

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The status line and body of `GET path`.
fn get(addr: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).expect("connect to the admin listener");
    stream.set_read_timeout(Some(WAIT)).expect("a read timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
        .expect("send the request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("the answer, then the end of the connection");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    (head.lines().next().unwrap_or_default().to_owned(), body.to_owned())
}

/// `/metrics`, parsed.
fn scrape(admin: SocketAddr) -> Scrape {
    let (status, body) = get(admin, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    Scrape::parse(body.lines().map(|line| Ok(line.to_owned()))).expect("the Prometheus text format")
}

/// The value of the sample of `name` whose label `label` is `value` (any sample if `label` is
/// empty) in `scrape`.
fn sample(scrape: &Scrape, name: &str, label: &str, value: &str) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|sample| sample.metric == name && (label.is_empty() || sample.labels.get(label) == Some(value)))
        .unwrap_or_else(|| panic!("no {name}{{{label}=\"{value}\"}} in /metrics"));
    match sample.value {
        Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => value,
        ref other => panic!("{name} is not a number: {other:?}"),
    }
}

/// The value of the `tcp` sample of `name` in `scrape`.
fn tcp(scrape: &Scrape, name: &str) -> f64 {
    sample(scrape, name, "transport", "tcp")
}

/// The value of the one sample of `name` in `scrape`.
fn one(scrape: &Scrape, name: &str) -> f64 {
    sample(scrape, name, "", "")
}

fn the_core_numbers_move_with_the_traffic(runtime: Runtime) {
    numbers_move(runtime, Options::default());
}

/// The smol runtime with two I/O threads whatever the machine's cores: the core's stats are
/// then taken on the core's thread and left where the admin connection's thread reads them.
#[test]
fn the_core_numbers_move_on_two_io_threads() {
    numbers_move(Runtime::Smol, Options { threads: NonZeroUsize::new(2) });
}

/// The core's numbers on `/metrics` follow clients, lines and a kick, served as `options` say.
fn numbers_move(runtime: Runtime, options: Options) {
    // Flood control tight enough to kick someone; announced at once.
    let config = chat_core::Config { flood_rate: 1.0, flood_burst: 5, flood_kick: 3, ..chat_tests::config() };
    let server = TestServer::start_endpoints_with(
        runtime,
        config,
        &[(LOOPBACK, Endpoint::Plain), (LOOPBACK, admin_endpoint())],
        options,
    );
    let admin = server.addrs()[1];
    let mut a = server.join("a");
    let mut b = server.join("b");
    let mut c = server.join("c");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    a.expect_line(&format!("*** {} entered the room", c.default_name()));
    b.expect_line(&format!("*** {} entered the room", c.default_name()));
    let before = scrape(admin);
    assert_eq!(one(&before, "chat_clients"), 3.0);
    assert_eq!(one(&before, "chat_rooms"), 1.0);
    // One line at a time: lines read together would share a frame per recipient.
    for line in ["one", "two"] {
        a.send_line(line);
        for client in [&mut b, &mut c] {
            client.expect_line(&format!("<{}> {line}", a.default_name()));
        }
    }
    let after = scrape(admin);
    let moved = |name: &str| one(&after, name) - one(&before, name);
    assert_eq!(moved("chat_lines_received_total"), 2.0);
    assert_eq!(moved("chat_deliveries_total"), 4.0, "two lines to two others");
    assert!(moved("chat_delivered_bytes_total") >= 4.0 * "<> one\n".len() as f64);
    // A flooder is kicked, and counted.
    let flood = sample(&after, "chat_dropped_connections_total", "reason", "flood");
    c.send_line("/join #quiet");
    c.expect_line("*** You are in #quiet: nobody else is here yet.");
    let mut flooder = server.join("flooder");
    let lines: String = (0..20).map(|n| format!("flood {n}\n")).collect();
    flooder.send_raw(lines.as_bytes());
    flooder.read_until("the kick", Deadline::standard(), |line| line == "! Disconnected for flooding.");
    let last = scrape(admin);
    assert_eq!(sample(&last, "chat_dropped_connections_total", "reason", "flood"), flood + 1.0);
    assert_eq!(one(&last, "chat_rooms"), 2.0);
    assert_eq!(sample(&last, "chat_dropped_connections_total", "reason", "slow"), 0.0);
    let lateness = last
        .samples
        .iter()
        .find(|sample| sample.metric == "chat_event_loop_lateness_seconds")
        .expect("the event loop's lateness histogram");
    assert!(matches!(lateness.value, Value::Histogram(_)), "{:?}", lateness.value);
}

fn metrics_count_connections_and_bytes_by_transport(runtime: Runtime) {
    let server = TestServer::start_endpoints(
        runtime,
        chat_tests::config(),
        &[(LOOPBACK, Endpoint::Plain), (LOOPBACK, admin_endpoint())],
    );
    let admin = server.addrs()[1];
    assert_eq!(get(admin, "/healthz"), ("HTTP/1.1 200 OK".to_owned(), "ok\n".to_owned()));
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let line = "counted by the transport";
    b.send_line(line);
    a.expect_line(&format!("<{}> {line}", b.default_name()));
    let scrape = scrape(admin);
    // Counters are per process, which other tests share: at least what this one did.
    assert!(tcp(&scrape, "chat_connections_accepted_total") >= 2.0);
    assert!(tcp(&scrape, "chat_connections_open") >= 2.0);
    assert!(tcp(&scrape, "chat_clients_opened_total") >= 2.0);
    assert!(tcp(&scrape, "chat_received_bytes_total") >= (line.len() + 1) as f64);
    assert!(tcp(&scrape, "chat_sent_bytes_total") >= (line.len() + 1) as f64);
    // The operator's own requests are no WebSocket clients (this binary has no web listener).
    assert!(sample(&scrape, "chat_connections_accepted_total", "transport", "admin") >= 1.0);
    assert_eq!(sample(&scrape, "chat_connections_accepted_total", "transport", "ws"), 0.0);
    for kind in ["tls", "ws", "wss", "admin"] {
        let found = scrape.samples.iter().any(|sample| sample.labels.get("transport") == Some(kind));
        assert!(found, "every transport has its samples, {kind} too:\n{:?}", scrape.samples);
    }
}
