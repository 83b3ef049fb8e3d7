//! The operator's listener: `/metrics` parses as the Prometheus text format and counts the
//! connections and bytes the transports saw; `/healthz` answers.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};

use chat_runtime::{Endpoint, admin_endpoint};
use chat_tests::{Runtime, TestServer, WAIT, both_runtimes};
use prometheus_parse::{Scrape, Value};

both_runtimes!(metrics_count_connections_and_bytes_by_transport);

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

/// The value of the `tcp` sample of `name` in `scrape`.
fn tcp(scrape: &Scrape, name: &str) -> f64 {
    let sample = scrape
        .samples
        .iter()
        .find(|sample| sample.metric == name && sample.labels.get("transport") == Some("tcp"))
        .unwrap_or_else(|| panic!("no {name}{{transport=\"tcp\"}} in /metrics"));
    match sample.value {
        Value::Counter(value) | Value::Gauge(value) | Value::Untyped(value) => value,
        ref other => panic!("{name} is not a number: {other:?}"),
    }
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
    let (status, body) = get(admin, "/metrics");
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    let scrape =
        Scrape::parse(body.lines().map(|line| Ok(line.to_owned()))).expect("the Prometheus text format");
    // Counters are per process, which other tests share: at least what this one did.
    assert!(tcp(&scrape, "chat_connections_accepted_total") >= 2.0);
    assert!(tcp(&scrape, "chat_connections_open") >= 2.0);
    assert!(tcp(&scrape, "chat_clients_opened_total") >= 2.0);
    assert!(tcp(&scrape, "chat_received_bytes_total") >= (line.len() + 1) as f64);
    assert!(tcp(&scrape, "chat_sent_bytes_total") >= (line.len() + 1) as f64);
    for kind in ["tls", "ws", "wss"] {
        let found = scrape.samples.iter().any(|sample| sample.labels.get("transport") == Some(kind));
        assert!(found, "every transport has its samples, {kind} too:\n{body}");
    }
}
