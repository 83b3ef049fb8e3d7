//! Rooms shared through a real Redis: one order everywhere, nothing lost or doubled across
//! Redis restarts and killed connections, and gaps said plainly.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use chat_core::{BusEvent, Gap, GapReason, StreamSeq, SubscribeFrom};
use support::{gaps, two_nodes};

/// The numbers are 1, 2, 3... and every text appears once.
fn assert_contiguous_once(lines: &[(StreamSeq, String)]) {
    let seqs: Vec<u64> = lines.iter().map(|(seq, _)| seq.0).collect();
    let first = seqs.first().copied().unwrap_or(1);
    assert_eq!(seqs, (first..first + seqs.len() as u64).collect::<Vec<_>>(), "numbers skip or repeat");
    let texts: BTreeSet<&String> = lines.iter().map(|(_, text)| text).collect();
    assert_eq!(texts.len(), lines.len(), "a line was delivered twice");
}

/// `node`'s own lines appear in the order it sent them.
fn assert_sent_order(lines: &[(StreamSeq, String)], prefix: &str, count: usize) {
    let own: Vec<&str> =
        lines.iter().map(|(_, text)| text.as_str()).filter(|text| text.starts_with(prefix)).collect();
    let sent: Vec<String> = (0..count).map(|i| format!("{prefix}{i}")).collect();
    assert_eq!(own, sent, "{prefix} lines lost, doubled or reordered");
}

/// Nodes `a` and `b`, both reading `#r` from its start.
fn both_read_r(server: &support::RedisServer) -> (support::Node, support::Node) {
    let (a, b) = two_nodes(server);
    a.subscribe("#r", SubscribeFrom::Start);
    b.subscribe("#r", SubscribeFrom::Start);
    (a, b)
}

/// Nodes `a` and `b` where `a` reads `#r` from its start and has received the `count` lines
/// `b0`, `b1`... that `b` said there.
fn a_reads_what_b_said(server: &support::RedisServer, count: usize) -> (support::Node, support::Node) {
    let (mut a, b) = two_nodes(server);
    a.subscribe("#r", SubscribeFrom::Start);
    b.say_numbered("#r", "b", 0..count);
    a.wait_for_lines("#r", count);
    (a, b)
}

#[test]
fn two_nodes_see_one_rooms_entries_in_the_same_order() {
    let server = redis_or_skip!();
    let (mut a, mut b) = both_read_r(&server);
    for i in 0..100 {
        a.say("#r", &format!("a{i}"));
        b.say("#r", &format!("b{i}"));
    }
    let on_a = a.wait_for_lines("#r", 200);
    let on_b = b.wait_for_lines("#r", 200);
    assert_eq!(on_a, on_b, "both nodes deliver the stream's order");
    assert_eq!(on_a[0].0, StreamSeq(1));
    assert_contiguous_once(&on_a);
    assert_sent_order(&on_a, "a", 100);
    assert_sent_order(&on_a, "b", 100);
    let node_of_first = a.seen.iter().find_map(|event| match event {
        BusEvent::Entry { node, .. } => Some(node.clone()),
        _ => None,
    });
    assert!(matches!(node_of_first.as_deref(), Some("a" | "b")), "entries name their node");
    assert!(gaps(&a.seen).is_empty() && gaps(&b.seen).is_empty());
    assert_eq!(a.wait_sent().appended, 100);
}

#[test]
fn a_redis_restart_mid_stream_loses_doubles_and_reorders_nothing() {
    let mut server = redis_or_skip!();
    let (mut a, mut b) = both_read_r(&server);
    a.wait_until("Up", |seen| seen.contains(&BusEvent::Up));
    b.wait_until("Up", |seen| seen.contains(&BusEvent::Up));
    const EACH: usize = 300;
    for i in 0..EACH {
        // Paced publishers on both nodes; Redis restarts a third of the way in.
        a.say("#r", &format!("a{i}"));
        b.say("#r", &format!("b{i}"));
        std::thread::sleep(Duration::from_millis(2));
        if i == EACH / 3 {
            server.restart();
        }
    }
    let on_a = a.wait_for_lines("#r", 2 * EACH);
    let on_b = b.wait_for_lines("#r", 2 * EACH);
    a.drain();
    b.drain();
    assert_eq!(on_a.len(), 2 * EACH, "nothing doubled on a");
    assert_eq!(on_a, on_b, "both nodes deliver the stream's order");
    assert_eq!(on_a[0].0, StreamSeq(1));
    assert_contiguous_once(&on_a);
    assert_sent_order(&on_a, "a", EACH);
    assert_sent_order(&on_a, "b", EACH);
    for node in [&a, &b] {
        assert!(node.seen.contains(&BusEvent::Down), "the outage was seen: {:?}", node.bridge.stats());
        let last_health = node.seen.iter().rev().find(|event| matches!(event, BusEvent::Up | BusEvent::Down));
        assert_eq!(last_health, Some(&BusEvent::Up), "the recovery was seen");
        assert!(gaps(&node.seen).is_empty(), "the data survived the restart: no gap");
        assert!(node.bridge.stats().reconnects >= 2, "both connections came back");
    }
    let stats = a.wait_sent();
    assert_eq!(stats.appended + stats.duplicates, EACH as u64);
}

#[test]
fn a_killed_reader_connection_resumes_from_the_last_entry_delivered() {
    let server = redis_or_skip!();
    let (mut a, b) = a_reads_what_b_said(&server, 20);
    let mut admin = server.admin();
    let reader = client_id(&mut admin, "chat-reader-a");
    redis::cmd("CLIENT").arg("KILL").arg("ID").arg(reader).exec(&mut admin).expect("CLIENT KILL");
    b.say_numbered("#r", "b", 20..40);
    let on_a = a.wait_for_lines("#r", 40);
    assert_contiguous_once(&on_a);
    assert_sent_order(&on_a, "b", 40);
    assert!(a.bridge.stats().reconnects >= 1);
}

/// The id of the client connection named `name`, from `CLIENT LIST`, waiting (to the
/// deadline) for it to be there: a bridge may be reconnecting.
fn client_id(admin: &mut redis::Connection, name: &str) -> u64 {
    let deadline = std::time::Instant::now() + support::DEADLINE;
    loop {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(admin).expect("CLIENT LIST");
        let id = list
            .lines()
            .find(|line| line.split(' ').any(|field| field == format!("name={name}")))
            .and_then(|line| line.split(' ').find_map(|field| field.strip_prefix("id=")))
            .and_then(|id| id.parse().ok());
        if let Some(id) = id {
            return id;
        }
        assert!(std::time::Instant::now() < deadline, "no client named {name} in {list}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_trimmed_stream_is_reported_as_a_gap_before_the_next_entry() {
    let server = redis_or_skip!();
    let (mut a, b) = a_reads_what_b_said(&server, 5);
    // a is away from the room while 100 lines are said and the stream is trimmed to 10.
    a.send(chat_core::BusCommand::Unsubscribe { room: "#r".into() });
    b.say_numbered("#r", "b", 5..105);
    b.wait_sent();
    let mut admin = server.admin();
    redis::cmd("XTRIM").arg("chat:room:#r").arg("MAXLEN").arg(10).exec(&mut admin).unwrap();
    a.subscribe("#r", SubscribeFrom::After(StreamSeq(5)));
    let on_a = a.wait_for_lines("#r", 15);
    let gap =
        Gap { room: "#r".into(), after: StreamSeq(5), next: Some(StreamSeq(96)), reason: GapReason::Trimmed };
    assert_eq!(gaps(&a.seen), [gap]);
    let gap_at = a.seen.iter().position(|event| matches!(event, BusEvent::Gap(_))).unwrap();
    let first_after =
        a.seen.iter().position(|event| matches!(event, BusEvent::Entry { seq: StreamSeq(96), .. }));
    assert_eq!(first_after, Some(gap_at + 1), "the gap comes right before the next entry");
    assert_eq!(on_a[5..].iter().map(|(seq, _)| seq.0).collect::<Vec<_>>(), (96..=105).collect::<Vec<_>>());
}

#[test]
fn a_redis_that_lost_its_data_is_reported_as_a_gap_and_numbering_goes_on() {
    let server = redis_or_skip!();
    let (mut a, mut b) = both_read_r(&server);
    b.say_numbered("#r", "b", 0..10);
    a.wait_for_lines("#r", 10);
    b.wait_for_lines("#r", 10);
    redis::cmd("FLUSHALL").exec(&mut server.admin()).unwrap();
    let lost = Gap { room: "#r".into(), after: StreamSeq(10), next: None, reason: GapReason::EpochChanged };
    for node in [&mut a, &mut b] {
        node.wait_until("the epoch change", |seen| !gaps(seen).is_empty());
        assert_eq!(gaps(&node.seen), std::slice::from_ref(&lost));
    }
    b.say("#r", "after the loss");
    for node in [&mut a, &mut b] {
        let on = node.wait_for_lines("#r", 11);
        assert_eq!(on[10], (StreamSeq(11), "after the loss".to_owned()), "numbers never go back");
    }
}

#[test]
fn a_killed_writer_connection_sends_what_waited_once() {
    let server = redis_or_skip!();
    let (mut a, b) = two_nodes(&server);
    a.subscribe("#r", SubscribeFrom::Start);
    let mut admin = server.admin();
    for i in 0..200 {
        b.say("#r", &format!("b{i}"));
        if i % 50 == 25 {
            let writer = client_id(&mut admin, "chat-writer-b");
            redis::cmd("CLIENT").arg("KILL").arg("ID").arg(writer).exec(&mut admin).expect("CLIENT KILL");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let on_a = a.wait_for_lines("#r", 200);
    assert_contiguous_once(&on_a);
    assert_sent_order(&on_a, "b", 200);
    let stats = b.wait_sent();
    assert_eq!(stats.appended + stats.duplicates, 200);
    assert!(stats.reconnects >= 4, "{stats:?}");
}

#[test]
fn a_room_read_from_its_latest_entry_delivers_only_what_follows() {
    let server = redis_or_skip!();
    let (mut a, b) = two_nodes(&server);
    b.say_numbered("#r", "old", 0..5);
    b.wait_sent();
    let mut admin = server.admin();
    let deadline = std::time::Instant::now() + support::DEADLINE;
    a.subscribe("#r", SubscribeFrom::Latest);
    // Subscribing takes effect when the reader looks the latest entry up: wait for that.
    while redis::cmd("CLIENT")
        .arg("LIST")
        .query::<String>(&mut admin)
        .unwrap()
        .lines()
        .all(|line| !(line.contains("name=chat-reader-a") && line.contains("cmd=xread")))
    {
        assert!(std::time::Instant::now() < deadline, "a's reader never read the room");
        std::thread::sleep(Duration::from_millis(10));
    }
    b.say("#r", "new");
    let on_a = a.wait_for_lines("#r", 1);
    assert_eq!(on_a, [(StreamSeq(6), "new".to_owned())]);
    assert!(gaps(&a.seen).is_empty());
}

#[test]
fn entries_chat_cannot_read_are_reported_and_skipped() {
    let server = redis_or_skip!();
    let (mut a, b) = a_reads_what_b_said(&server, 1);
    let mut admin = server.admin();
    let xadd = |admin: &mut redis::Connection, id: &str, fields: &[&str]| {
        redis::cmd("XADD").arg("chat:room:#r").arg(id).arg(fields).exec(admin).unwrap();
    };
    xadd(&mut admin, "2-0", &["v", "2", "kind", "line"]);
    xadd(&mut admin, "2-5", &["written", "by something else"]);
    b.say("#r", "third");
    let on_a = a.wait_for_lines("#r", 2);
    assert_eq!(on_a, [(StreamSeq(1), "b0".to_owned()), (StreamSeq(3), "third".to_owned())]);
    let unreadable: Vec<&BusEvent> =
        a.seen.iter().filter(|event| matches!(event, BusEvent::Unreadable { .. })).collect();
    let version = chat_core::PayloadError::Version("2".into());
    assert_eq!(unreadable, [&BusEvent::Unreadable { room: "#r".into(), seq: StreamSeq(2), error: version }]);
    assert!(gaps(&a.seen).is_empty());
}

#[test]
fn a_room_whose_key_is_not_a_stream_does_not_stop_the_others() {
    let server = redis_or_skip!();
    let (mut a, b) = two_nodes(&server);
    redis::cmd("SET").arg("chat:room:#bad").arg("not a stream").exec(&mut server.admin()).unwrap();
    a.subscribe("#bad", SubscribeFrom::Start);
    a.subscribe("#r", SubscribeFrom::Start);
    b.say_numbered("#r", "b", 0..3);
    let on_a = a.wait_for_lines("#r", 3);
    assert_sent_order(&on_a, "b", 3);
    assert!(!a.seen.contains(&BusEvent::Down), "the bus is up: {:?}", a.seen);
}

#[test]
fn a_closing_node_sends_everything_it_queued_first() {
    let server = redis_or_skip!();
    let (a, mut b) = two_nodes(&server);
    b.subscribe("#r", SubscribeFrom::Start);
    a.say_numbered("#r", "a", 0..3_000);
    let stats = a.bridge.close();
    assert_eq!((stats.appended, stats.queued_entries), (3_000, 0));
    let on_b = b.wait_for_lines("#r", 3_000);
    assert_sent_order(&on_b, "a", 3_000);
}

#[test]
fn a_line_appended_right_after_subscribing_from_the_latest_entry_is_read_back() {
    let server = redis_or_skip!();
    let (mut a, b) = two_nodes(&server);
    let mut admin = server.admin();
    for round in 0..5 {
        let room = format!("#r{round}");
        b.say_numbered(&room, "old", 0..3);
        b.wait_sent();
        // a's reader is reconnecting, so it looks the room's latest entry up only after a
        // while: a's own append, made right after subscribing, must still be read back.
        let reader = client_id(&mut admin, "chat-reader-a");
        redis::cmd("CLIENT").arg("KILL").arg("ID").arg(reader).exec(&mut admin).expect("CLIENT KILL");
        a.subscribe(&room, SubscribeFrom::Latest);
        a.say(&room, "mine");
        let on_a = a.wait_for_lines(&room, 1);
        assert_eq!(on_a, [(StreamSeq(4), "mine".to_owned())], "round {round}");
    }
    assert!(gaps(&a.seen).is_empty());
}
