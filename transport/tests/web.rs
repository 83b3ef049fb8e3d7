//! The web listener through the public API: HTTP answers, the WebSocket upgrade, and chat lines
//! over WebSocket, driven in memory.

mod support;

use std::sync::Arc;

use chat_core::PeerGone;
use chat_transport::ws::client;
use chat_transport::{Endpoint, OriginPolicy, WebConfig};
use support::Driver;

const UPGRADE: &str = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:8080\r\n\r\n";

fn chat() -> Endpoint {
    Endpoint::Web(Arc::new(WebConfig::chat(4096)), None)
}

fn with(config: WebConfig) -> Endpoint {
    Endpoint::Web(Arc::new(config), None)
}

/// A driver whose WebSocket is open.
fn open_ws(endpoint: &Endpoint) -> Driver {
    let mut driver = Driver::new(endpoint, "127.0.0.1:40000");
    driver.feed(UPGRADE.as_bytes());
    let answer = driver.take_text();
    assert!(answer.starts_with("HTTP/1.1 101 Switching Protocols\r\n"), "{answer}");
    assert!(answer.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), "{answer}");
    driver
}

fn status_of(answer: &str) -> &str {
    answer.split("\r\n").next().unwrap_or_default()
}

#[test]
fn the_page_its_files_and_healthz_are_served_on_one_connection() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    assert_eq!(driver.opened, None, "an HTTP client is not a chat client");
    for (path, kind) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/healthz", "text/plain"),
    ] {
        driver.feed(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes());
        let answer = driver.take_text();
        assert_eq!(status_of(&answer), "HTTP/1.1 200 OK", "{path}");
        assert!(answer.contains(&format!("Content-Type: {kind}")), "{path}: {answer}");
        assert!(!driver.transport.is_finished(), "kept alive after {path}");
    }
    assert_eq!(driver.opened, None);
}

#[test]
fn the_page_forbids_loading_anything_from_elsewhere() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.feed(b"GET / HTTP/1.1\r\n\r\n");
    let answer = driver.take_text();
    assert!(answer.contains("Content-Security-Policy: default-src 'none'; script-src 'self'"), "{answer}");
    assert!(answer.contains("<script src=\"/app.js\""), "{answer}");
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.feed(b"GET /healthz HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n");
    let answer = driver.take_text();
    let statuses: Vec<&str> = answer.match_indices("HTTP/1.1 ").map(|(at, _)| &answer[at..at + 12]).collect();
    assert_eq!(statuses, ["HTTP/1.1 200", "HTTP/1.1 404"], "the 404 closes: {answer}");
    assert!(driver.transport.is_finished());
}

#[test]
fn a_head_sent_byte_by_byte_is_answered_once_whole() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    driver.feed_bytewise(&request[..request.len() - 1]);
    assert!(driver.written.is_empty(), "nothing before the blank line");
    driver.feed(b"\n");
    assert!(driver.take_text().ends_with("\r\n\r\nok\n"));
}

#[test]
fn errors_are_answered_then_the_connection_closes() {
    let huge = format!("GET / HTTP/1.1\r\nCookie: {}\r\n\r\n", "a".repeat(9000));
    let cases: [(&str, &[u8], &str); 6] = [
        ("bad method", b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", "405 Method Not Allowed"),
        ("a body", b"GET / HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi", "413 Content Too Large"),
        ("a huge head", huge.as_bytes(), "431 Request Header Fields Too Large"),
        ("not HTTP", b"hello there\r\n\r\n", "400 Bad Request"),
        ("no such page", b"GET /secret HTTP/1.1\r\n\r\n", "404 Not Found"),
        ("no metrics on the chat listener", b"GET /metrics HTTP/1.1\r\n\r\n", "404 Not Found"),
    ];
    for (what, request, status) in cases {
        let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
        driver.feed(request);
        let answer = driver.take_text();
        assert_eq!(status_of(&answer), format!("HTTP/1.1 {status}"), "{what}");
        assert!(answer.contains("Connection: close\r\n"), "{what}");
        assert!(driver.transport.is_finished(), "{what}");
        assert_eq!((driver.opened, driver.ended), (None, None), "{what}");
        if status.starts_with("405") {
            assert!(answer.contains("Allow: GET, HEAD\r\n"));
        }
    }
}

#[test]
fn a_head_that_never_ends_is_cut_off_at_the_limit() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.feed(b"GET / HTTP/1.1\r\n");
    for _ in 0..200 {
        driver.feed(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert_eq!(status_of(&driver.take_text()), "HTTP/1.1 431 Request Header Fields Too Large");
    assert!(driver.transport.buffered() < 16 * 1024, "held {}", driver.transport.buffered());
}

#[test]
fn metrics_come_from_the_hook_on_the_admin_listener() {
    let admin = with(WebConfig::admin(Arc::new(|_: &chat_core::Stats| "chat_rooms 1\n".to_owned())));
    let mut driver = Driver::new(&admin, "127.0.0.1:40000");
    driver.feed(b"GET /metrics HTTP/1.1\r\n\r\n");
    let answer = driver.take_text();
    assert!(answer.contains("Content-Type: text/plain; version=0.0.4"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nchat_rooms 1\n"), "{answer}");
    driver.feed(b"GET / HTTP/1.1\r\n\r\n");
    assert_eq!(status_of(&driver.take_text()), "HTTP/1.1 404 Not Found", "no page on the admin listener");
}

#[test]
fn a_client_pipelining_without_reading_gets_no_more_than_the_room() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.stalled = true;
    for _ in 0..8 {
        driver.feed(b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n");
    }
    assert!(driver.transport.buffered() < 200 * 1024, "held {}", driver.transport.buffered());
    // Reading again lets the held requests be answered.
    driver.stalled = false;
    driver.write();
    let answers = driver.take_text().matches("HTTP/1.1 200 OK").count();
    assert_eq!(answers, 16);
}

#[test]
fn a_client_pipelining_far_ahead_is_dropped() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.stalled = true;
    for _ in 0..2000 {
        driver.feed(b"GET / HTTP/1.1\r\n\r\n");
        if driver.transport.is_finished() {
            break;
        }
    }
    assert!(driver.transport.buffered() < 200 * 1024, "held {}", driver.transport.buffered());
    driver.stalled = false;
    driver.write();
    assert!(driver.transport.is_finished());
}

#[test]
fn chat_lines_travel_as_text_messages_both_ways() {
    let mut driver = open_ws(&chat());
    assert_eq!(driver.opened, Some("127.0.0.1:40000".parse().unwrap()));
    driver.feed(&client::text("hello"));
    let mut fragmented = client::frame(false, 0x1, "wor".as_bytes(), Some([1, 2, 3, 4]));
    fragmented.extend(client::frame(true, 0x0, "ld".as_bytes(), Some([5, 6, 7, 8])));
    driver.feed_bytewise(&fragmented);
    assert_eq!(driver.data, b"hello\nworld\n");
    driver.send(b"<a> hi\n*** b entered the room\n");
    let written = std::mem::take(&mut driver.written);
    let (frames, rest) = client::read_server_frames(&written);
    assert!(rest.is_empty());
    assert_eq!(frames, [(1, b"<a> hi".to_vec()), (1, b"*** b entered the room".to_vec())]);
    assert_eq!(driver.flushed, 30, "every byte of the core's frame is reported taken");
}

#[test]
fn frames_right_behind_the_upgrade_request_are_read() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    let mut bytes = UPGRADE.as_bytes().to_vec();
    bytes.extend(client::text("early"));
    driver.feed(&bytes);
    assert_eq!(driver.data, b"early\n");
}

#[test]
fn the_core_closing_sends_a_close_frame() {
    let mut driver = open_ws(&chat());
    driver.close();
    let (frames, _) = client::read_server_frames(&driver.written);
    assert_eq!(frames, [(8, vec![0x03, 0xe8])]);
    assert!(driver.transport.is_finished());
}

#[test]
fn the_client_closing_is_a_clean_departure() {
    let mut driver = open_ws(&chat());
    driver.feed(&client::frame(true, 0x8, b"\x03\xe9", Some([9, 9, 9, 9])));
    assert_eq!(driver.ended, Some(PeerGone::Closed));
    let (frames, _) = client::read_server_frames(&driver.written);
    assert_eq!(frames, [(8, vec![0x03, 0xe9])]);
    // What the core still sends is dropped, but counted as taken so its queue drains.
    driver.send(b"<a> too late\n");
    assert_eq!(driver.flushed, 13);
    assert!(driver.transport.is_finished());
}

#[test]
fn a_protocol_error_loses_the_client_with_its_close_code() {
    for (what, frame, code) in [
        ("unmasked", client::frame(true, 0x1, b"hi", None), 1002u16),
        ("invalid UTF-8", client::frame(true, 0x1, b"\xc3", Some([1, 1, 1, 1])), 1007),
        ("oversize", client::text(&"x".repeat(4097)), 1009),
    ] {
        let mut driver = open_ws(&chat());
        driver.feed(&frame);
        assert_eq!(driver.ended, Some(PeerGone::Lost), "{what}");
        let (frames, _) = client::read_server_frames(&driver.written);
        assert_eq!(frames[0].1[..2], code.to_be_bytes(), "{what}");
        assert!(driver.transport.is_finished(), "{what}");
        assert!(driver.data.is_empty(), "{what}");
    }
}

#[test]
fn end_of_file_on_a_websocket_is_a_departure() {
    let mut driver = open_ws(&chat());
    driver.eof();
    assert_eq!(driver.ended, Some(PeerGone::Closed));
    assert!(driver.transport.is_finished());
}

#[test]
fn a_page_from_another_site_may_not_open_the_websocket() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.feed(UPGRADE.replace("Origin: http://127.0.0.1:8080", "Origin: https://evil.example").as_bytes());
    assert_eq!(status_of(&driver.take_text()), "HTTP/1.1 403 Forbidden");
    assert_eq!(driver.opened, None);
    let listed = with(WebConfig {
        origins: OriginPolicy::List(vec!["https://evil.example".into()]),
        ..WebConfig::chat(4096)
    });
    let mut driver = Driver::new(&listed, "127.0.0.1:40000");
    driver.feed(UPGRADE.replace("Origin: http://127.0.0.1:8080", "Origin: https://evil.example").as_bytes());
    assert!(driver.opened.is_some(), "allowed when listed");
}

#[test]
fn a_bad_upgrade_is_refused() {
    for (what, from, to, status) in [
        ("old version", "Version: 13", "Version: 8", "426 Upgrade Required"),
        ("no key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "", "400 Bad Request"),
        ("short key", "dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=", "400 Bad Request"),
        ("no upgrade header", "Upgrade: websocket\r\n", "", "400 Bad Request"),
    ] {
        let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
        driver.feed(UPGRADE.replace(from, to).as_bytes());
        let answer = driver.take_text();
        assert_eq!(status_of(&answer), format!("HTTP/1.1 {status}"), "{what}");
        assert_eq!(driver.opened, None, "{what}");
    }
}

#[test]
fn the_real_address_comes_from_a_trusted_proxy_only() {
    let behind_proxy = UPGRADE.replace("\r\n\r\n", "\r\nX-Forwarded-For: 203.0.113.7\r\n\r\n");
    let trusting =
        with(WebConfig { trusted_proxies: vec!["127.0.0.1".parse().unwrap()], ..WebConfig::chat(4096) });
    let mut driver = Driver::new(&trusting, "127.0.0.1:40000");
    driver.feed(behind_proxy.as_bytes());
    assert_eq!(driver.opened, Some("203.0.113.7:40000".parse().unwrap()));
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.feed(behind_proxy.as_bytes());
    assert_eq!(driver.opened, Some("127.0.0.1:40000".parse().unwrap()), "not trusted by default");
}

#[test]
fn a_websocket_client_that_stops_reading_leaves_the_rest_to_the_core() {
    let mut driver = open_ws(&chat());
    driver.stalled = true;
    let line: &'static [u8] =
        Box::leak(format!("<a> {}\n", "x".repeat(1000)).into_bytes().into_boxed_slice());
    for _ in 0..1000 {
        driver.send(line);
    }
    let held = driver.transport.buffered();
    // About 64 KiB of output, in a vector that may have grown to twice that.
    assert!(held <= 130 * 1024, "held {held}");
    assert!(driver.flushed < 100 * line.len(), "only what fits was taken: {}", driver.flushed);
}

#[test]
fn an_idle_connection_gives_back_what_a_burst_needed() {
    let mut driver = open_ws(&chat());
    let mut burst = Vec::new();
    for _ in 0..60 {
        burst.extend(client::text(&"x".repeat(1000)));
    }
    driver.feed(&burst);
    let line: &'static [u8] =
        Box::leak(format!("<a> {}\n", "y".repeat(1000)).into_bytes().into_boxed_slice());
    for _ in 0..200 {
        driver.send(line);
    }
    driver.feed(&client::text("quiet now"));
    assert!(
        driver.transport.buffered() < 16 * 1024,
        "an idle connection holds {}",
        driver.transport.buffered()
    );
}

proptest::proptest! {
    /// However the upgrade request and the frames behind it are cut into reads, the same lines
    /// reach the core.
    #[test]
    fn any_chunking_of_a_session_gives_the_same_lines(
        messages in proptest::collection::vec("[a-z /é]{1,30}", 1..6),
        cuts in proptest::collection::vec(1usize..64, 1..40),
    ) {
        let mut bytes = UPGRADE.as_bytes().to_vec();
        let mut expected = Vec::new();
        for message in &messages {
            bytes.extend(client::text(message));
            expected.extend_from_slice(message.as_bytes());
            expected.push(b'\n');
        }
        let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
        let mut rest = bytes.as_slice();
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (piece, tail) = rest.split_at((*cut).min(rest.len()));
            driver.feed(piece);
            rest = tail;
        }
        proptest::prop_assert_eq!(&driver.data, &expected);
        proptest::prop_assert!(driver.opened.is_some());
    }
}

proptest::proptest! {
    /// Whatever a client sends, before or after the upgrade, nothing panics and the buffers
    /// stay bounded.
    #[test]
    fn garbage_never_panics_and_stays_bounded(
        upgrade_first in proptest::bool::ANY,
        chunks in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..600), 1..20),
    ) {
        let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
        if upgrade_first {
            driver.feed(UPGRADE.as_bytes());
        }
        for chunk in &chunks {
            driver.feed(chunk);
            proptest::prop_assert!(driver.transport.buffered() < 200 * 1024);
        }
        driver.send(b"<a> still fine\n");
        driver.close();
        // Before a request was read, a frame the core sends is its refusal: it waits for the
        // request to answer it (the core lets it linger a bounded time); the peer leaving ends it.
        if !driver.transport.is_finished() {
            driver.eof();
        }
        proptest::prop_assert!(driver.transport.is_finished());
    }
}

const REFUSAL: &[u8] = b"! Too many connections from your address (2 at most); close one and try again.\n";

/// A web connection the core refuses before it is a chat client gets, in answer to its
/// request, a 503 saying why; then the connection closes.
#[test]
fn a_refused_connection_gets_a_503_saying_why() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.send(REFUSAL);
    driver.close();
    assert!(driver.written.is_empty() && !driver.transport.is_finished(), "waits for the request");
    driver.feed(b"GET / HTTP/1.1\r\nHost: chat\r\n\r\n");
    let answer = driver.take_text();
    assert_eq!(status_of(&answer), "HTTP/1.1 503 Service Unavailable", "{answer}");
    assert!(answer.ends_with(&format!("\r\n\r\n{}", String::from_utf8_lossy(REFUSAL))), "{answer}");
    assert!(driver.transport.is_finished());
    assert_eq!((driver.opened, driver.ended), (None, None));
}

/// A refused WebSocket upgrade is completed so that the page's script
/// sees why: the line as a text message, then a close frame 1013 with it as the reason. The
/// connection never becomes a chat client.
#[test]
fn a_refused_websocket_is_told_why_in_a_message_and_its_close_frame() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.send(REFUSAL);
    driver.close();
    driver.feed(UPGRADE.as_bytes());
    let written = std::mem::take(&mut driver.written);
    let head_end = written.windows(4).position(|w| w == b"\r\n\r\n").expect("an answer") + 4;
    let head = String::from_utf8_lossy(&written[..head_end]);
    assert_eq!(status_of(&head), "HTTP/1.1 101 Switching Protocols", "{head}");
    let (frames, _) = client::read_server_frames(&written[head_end..]);
    let text = String::from_utf8_lossy(REFUSAL).trim_end().to_owned();
    let mut close = 1013u16.to_be_bytes().to_vec();
    close.extend_from_slice(text.trim_start_matches("! ").as_bytes());
    assert_eq!(frames, [(1, text.into_bytes()), (8, close)]);
    assert!(driver.transport.is_finished());
    assert_eq!((driver.opened, driver.ended), (None, None));
    assert!(driver.data.is_empty());
}

/// On a runtime whose core runs on another thread, a WebSocket may be upgraded before the
/// core's verdict reaches it: the refusal line, sent while the upgrade's answer still waits for
/// the socket, is said before the close frame, not dropped with it.
#[test]
fn a_refusal_that_finds_the_websocket_upgraded_is_said_before_the_close() {
    let mut driver = Driver::new(&chat(), "127.0.0.1:40000");
    driver.stalled = true;
    driver.feed(UPGRADE.as_bytes());
    driver.send(REFUSAL);
    driver.close();
    driver.stalled = false;
    driver.write();
    let written = std::mem::take(&mut driver.written);
    let head_end = written.windows(4).position(|w| w == b"\r\n\r\n").expect("an answer") + 4;
    let (frames, _) = client::read_server_frames(&written[head_end..]);
    let text = String::from_utf8_lossy(REFUSAL).trim_end().to_owned();
    assert_eq!(frames, [(1, text.into_bytes()), (8, 1000u16.to_be_bytes().to_vec())]);
    assert!(driver.transport.is_finished());
}

/// A client closed with a backlog it never read (too slow, kicked) is told the core's last
/// words, not the oldest of what waited: the backlog before them is dropped.
#[test]
fn a_closed_slow_websocket_gets_the_last_words_not_the_backlog() {
    let mut driver = open_ws(&chat());
    driver.stalled = true;
    for _ in 0..2_000 {
        driver.send(b"<someone> a line nobody reads\n");
    }
    driver.send(b"! Disconnected: too slow.\n");
    driver.close();
    driver.stalled = false;
    driver.write();
    let (frames, _) = client::read_server_frames(&std::mem::take(&mut driver.written));
    let texts: Vec<&[u8]> =
        frames.iter().filter(|(op, _)| *op == 1).map(|(_, text)| text.as_slice()).collect();
    assert_eq!(texts.last().copied(), Some(&b"! Disconnected: too slow."[..]), "{} messages", texts.len());
    assert_eq!(frames.last().map(|(op, _)| *op), Some(8), "then the close frame");
    assert!(driver.transport.is_finished());
}
