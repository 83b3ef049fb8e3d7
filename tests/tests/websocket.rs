//! The web listener's WebSocket end to end, with a protocol-level client beside plain TCP:
//! masked and fragmented messages, pings, and the close codes of broken clients, which
//! disturb no one; a WebSocket client that stops reading is dropped as too slow like a TCP one.

use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::sync::Arc;

use chat_core::Config;
use chat_runtime::{Endpoint, WebConfig};
use chat_tests::websocket::{CONTINUATION, PING, PONG, TEXT, WsClient, upgrade_with};
use chat_tests::{Deadline, Runtime, TestServer, WAIT, both_runtimes, traffic};

both_runtimes!(
    websocket_and_tcp_clients_chat,
    broken_websocket_clients_get_close_codes,
    websocket_client_that_stops_reading_is_dropped,
    forwarded_addresses_count_only_from_a_trusted_proxy
);

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A server with plain TCP first and the web listener second.
fn start(runtime: Runtime, config: Config) -> TestServer {
    let web = Endpoint::Web(Arc::new(WebConfig::chat(config.max_line)), None);
    TestServer::start_endpoints(runtime, config, &[(LOOPBACK, Endpoint::Plain), (LOOPBACK, web)])
}

fn websocket_and_tcp_clients_chat(runtime: Runtime) {
    let server = start(runtime, chat_tests::config());
    let mut web = WsClient::connect(server.addrs()[1], "web");
    assert!(web.next_text().starts_with("*** Welcome"));
    let mut plain = server.join("plain");
    assert_eq!(web.next_text(), format!("*** {} entered the room", plain.default_name()));
    plain.send_line("hello over tcp");
    assert_eq!(web.next_text(), format!("<{}> hello over tcp", plain.default_name()));
    web.send_text("hello over a websocket");
    plain.expect_line(&format!("<{}> hello over a websocket", web.default_name()));
    // One message in three frames, with a ping between them.
    web.send_frame(false, TEXT, b"frag", true);
    web.send_frame(true, PING, b"are you there", true);
    web.send_frame(false, CONTINUATION, b"men", true);
    web.send_frame(true, CONTINUATION, b"ted", true);
    assert_eq!(web.next_message(), Some((PONG, b"are you there".to_vec())));
    plain.expect_line(&format!("<{}> fragmented", web.default_name()));
}

/// What a broken client sends.
type Breaker = Box<dyn Fn(&mut WsClient)>;

fn broken_websocket_clients_get_close_codes(runtime: Runtime) {
    let config = chat_tests::config();
    let max_line = config.max_line;
    let server = start(runtime, config);
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    let cases: [(&str, Breaker, u16); 3] = [
        ("an unmasked frame", Box::new(|ws| ws.send_frame(true, TEXT, b"hi", false)), 1002),
        ("invalid UTF-8", Box::new(|ws| ws.send_frame(true, TEXT, b"caf\xe9", true)), 1007),
        ("an oversize message", Box::new(move |ws| ws.send_text(&"x".repeat(max_line + 1))), 1009),
    ];
    for (what, send, code) in cases {
        let mut ws = WsClient::connect(server.addrs()[1], what);
        send(&mut ws);
        assert_eq!(ws.expect_close(), code, "the close code for {what}");
    }
    // The room goes on: `b` gets `a`'s line after whatever notices the broken clients caused.
    a.send_line("still here");
    let expected = format!("<{}> still here", a.default_name());
    let lines = b.read_until("a's line", Deadline::standard(), |line| line == expected);
    assert!(
        lines.iter().all(|line| line.starts_with("***") || *line == expected),
        "only notices besides a's line: {lines:?}"
    );
}

fn websocket_client_that_stops_reading_is_dropped(runtime: Runtime) {
    let config = Config { flood_rate: 0.0, max_queue: 256 * 1024, ..chat_tests::config() };
    let server = start(runtime, config);
    let mut talker = server.join("talker");
    let mut listener = server.join("listener");
    talker.expect_line(&format!("*** {} entered the room", listener.default_name()));
    let mut silent = WsClient::connect_with(server.addrs()[1], "silent", Some(4096), "");
    assert!(silent.next_text().starts_with("*** Welcome"));
    let silent_name = silent.default_name();
    talker.expect_line(&format!("*** {silent_name} entered the room"));
    listener.expect_line(&format!("*** {silent_name} entered the room"));
    traffic::expect_silent_client_dropped(&talker, &mut listener, &silent_name, 4_000);
    drop(silent);
}

/// With one connection per address, two WebSocket clients through a trusted proxy at
/// 127.0.0.1 are two addresses (their `X-Forwarded-For`), and a third with the first one's is
/// refused; on a listener that trusts no proxy the header is ignored: the second connection
/// from 127.0.0.1 is turned away, whatever it claims.
fn forwarded_addresses_count_only_from_a_trusted_proxy(runtime: Runtime) {
    let config = Config { max_per_ip: 1, limit_loopback: true, ..chat_tests::config() };
    let refusal = "! Too many connections from your address (1 at most); close one and try again.";
    let mut trusting = WebConfig::chat(config.max_line);
    trusting.trusted_proxies = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    let endpoints = [
        (LOOPBACK, Endpoint::Web(Arc::new(trusting), None)),
        (LOOPBACK, Endpoint::Web(Arc::new(WebConfig::chat(config.max_line)), None)),
    ];
    let server = TestServer::start_endpoints(runtime, config, &endpoints);
    let via_proxy = |label: &str, client: &str| {
        let header = format!("X-Forwarded-For: {client}\r\n");
        WsClient::connect_with(server.addrs()[0], label, None, &header)
    };
    let mut first = via_proxy("first", "203.0.113.9");
    assert!(first.next_text().starts_with("*** Welcome"));
    let mut second = via_proxy("second", "198.51.100.7");
    assert!(second.next_text().starts_with("*** Welcome"), "another address behind the proxy");
    let mut again = via_proxy("again", "203.0.113.9");
    assert_eq!(again.next_text(), refusal, "the first client's address, a second time");
    // No trusted proxy: the header counts for nothing; both are 127.0.0.1 (where no client is
    // yet: the ones above are counted under their forwarded addresses). The second is turned
    // away before it becomes a client: closed, with no welcome.
    let header =
        |client: &str| format!("Origin: http://{}\r\nX-Forwarded-For: {client}\r\n", server.addrs()[1]);
    let mut direct = WsClient::connect_with(server.addrs()[1], "direct", None, &header("192.0.2.1"));
    assert!(direct.next_text().starts_with("*** Welcome"));
    let mut turned_away = TcpStream::connect(server.addrs()[1]).expect("connect to the web listener");
    turned_away.set_read_timeout(Some(WAIT)).expect("a read timeout");
    // The upgrade is answered, then the refusal as a message and a close frame (told_why.rs).
    let head = upgrade_with(&mut turned_away, server.addrs()[1], "/ws", &header("192.0.2.2"))
        .expect("an answer to the upgrade");
    assert!(head.starts_with("HTTP/1.1 101 "), "{head}");
    let mut rest = Vec::new();
    turned_away.read_to_end(&mut rest).expect("the refusal, then the end");
    let told = String::from_utf8_lossy(&rest);
    assert!(told.contains(refusal) && !told.contains("Welcome"), "turned away, told why: {told:?}");
}
