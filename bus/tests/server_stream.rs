//! The server-wide stream (bans, mutes, the message of the day) through a real Redis: never
//! trimmed, so a node started later reads every change from its start.

mod support;

use chat_core::{SERVER_STREAM, SubscribeFrom};
use support::{Node, config};

fn length(server: &support::RedisServer, key: &str) -> usize {
    redis::cmd("XLEN").arg(key).query(&mut server.admin()).unwrap()
}

#[test]
fn the_server_wide_stream_is_never_trimmed() {
    let server = redis_or_skip!();
    let writer = Node::start(chat_bus::BusConfig { max_stream_len: 10, ..config(server.url(), "a") });
    writer.say_numbered(SERVER_STREAM, "change ", 0..300);
    writer.say_numbered("#r", "line ", 0..300);
    writer.wait_sent();
    assert_eq!(length(&server, &format!("chat:room:{SERVER_STREAM}")), 300, "every change is kept");
    assert!(length(&server, "chat:room:#r") < 300, "a room is trimmed");
    let mut late = Node::start(config(server.url(), "late"));
    late.subscribe(SERVER_STREAM, SubscribeFrom::Start);
    let read = late.wait_for_lines(SERVER_STREAM, 300);
    let expected: Vec<String> = (0..300).map(|n| format!("change {n}")).collect();
    assert_eq!(read.into_iter().map(|(_, text)| text).collect::<Vec<_>>(), expected);
}
