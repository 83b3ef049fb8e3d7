//! Nodes through a real Redis: heartbeats, users announced offline when a node dies, name
//! leases, and the bounded queue.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chat_bus::{Bridge, BusError, QueueFull};
use chat_core::{BusCommand, BusEvent, BusPayload};
use support::{Node, RedisServer, config};

fn online(node: &Node, user: &str) {
    node.send(BusCommand::Online { user: user.into() });
}

fn expired(events: &[BusEvent]) -> Vec<(String, Vec<String>)> {
    events
        .iter()
        .filter_map(|event| match event {
            BusEvent::NodeExpired { node, users } => Some((node.clone(), users.clone())),
            _ => None,
        })
        .collect()
}

/// Heartbeats on `watcher` and every node in `others` every 100 ms until `done` holds for
/// `watcher`'s events.
fn beat_until(others: &[&Node], watcher: &mut Node, what: &str, done: impl Fn(&[BusEvent]) -> bool) {
    let deadline = Instant::now() + support::DEADLINE;
    loop {
        watcher.send(BusCommand::Heartbeat);
        for node in others {
            node.send(BusCommand::Heartbeat);
        }
        watcher.seen.extend(watcher.events.recv_timeout(Duration::from_millis(100)).ok());
        watcher.drain();
        if done(&watcher.seen) {
            return;
        }
        assert!(Instant::now() < deadline, "waited for {what}; events seen: {:#?}", watcher.seen);
    }
}

fn exists(server: &RedisServer, key: &str) -> bool {
    redis::cmd("EXISTS").arg(key).query::<i64>(&mut server.admin()).unwrap() == 1
}

#[test]
fn a_node_whose_heartbeat_stops_is_reported_with_its_users() {
    let server = redis_or_skip!();
    let (a, mut b) = support::two_nodes(&server);
    for user in ["ann", "alice", "carl"] {
        online(&a, user);
    }
    a.send(BusCommand::Offline { user: "carl".into() });
    // Both beat (every 100 ms) for longer than the time to live (2 s): nobody is reported.
    let until = Instant::now() + Duration::from_secs(3);
    beat_until(&[&a], &mut b, "3 s of heartbeats", |_| Instant::now() >= until);
    assert_eq!(expired(&b.seen), []);
    // a stops (as if killed): b reports it once, with its users.
    beat_until(&[], &mut b, "a reported dead", |seen| !expired(seen).is_empty());
    let until = Instant::now() + Duration::from_millis(500);
    beat_until(&[], &mut b, "more heartbeats", |_| Instant::now() >= until);
    assert_eq!(expired(&b.seen), [("a".to_owned(), vec!["alice".to_owned(), "ann".to_owned()])]);
}

#[test]
fn a_node_that_closes_says_goodbye() {
    let server = redis_or_skip!();
    let a = Node::start(config(server.url(), "a"));
    online(&a, "ann");
    a.send(BusCommand::Acquire { name: "ann".into() });
    let mut a = a;
    a.wait_until("the lease", |seen| seen.contains(&BusEvent::LeaseGranted { name: "ann".into() }));
    assert!(exists(&server, "chat:node:a") && exists(&server, "chat:users:a"));
    let stats = a.bridge.close();
    assert_eq!(stats.queued_entries, 0);
    for key in ["chat:node:a", "chat:users:a", "chat:lease:ann"] {
        assert!(!exists(&server, key), "{key} is left behind");
    }
    let nodes: Vec<String> = redis::cmd("SMEMBERS").arg("chat:nodes").query(&mut server.admin()).unwrap();
    assert!(!nodes.contains(&"a".to_owned()));
}

#[test]
fn a_name_lease_is_held_by_one_node_at_a_time() {
    let server = redis_or_skip!();
    let (mut a, mut b) = support::two_nodes(&server);
    let acquire = |node: &Node, name: &str| node.send(BusCommand::Acquire { name: name.into() });
    let granted = |name: &str| BusEvent::LeaseGranted { name: name.into() };
    acquire(&a, "bob");
    a.wait_until("bob granted to a", |seen| seen.contains(&granted("bob")));
    acquire(&b, "bob");
    let refused = BusEvent::LeaseRefused { name: "bob".into(), holder: "a".into() };
    b.wait_until("bob refused to b", |seen| seen.contains(&refused));
    // Renewed while held: it outlives its time to live.
    let until = Instant::now() + Duration::from_secs(3);
    beat_until(&[&a], &mut b, "3 s of heartbeats", |_| Instant::now() >= until);
    acquire(&b, "bob");
    b.wait_until("bob refused again", |seen| seen.iter().filter(|event| **event == refused).count() == 2);
    a.send(BusCommand::Release { name: "bob".into() });
    // a's writer and b's are two connections: b asks once a's release is done (flaked under load).
    let deadline = Instant::now() + support::DEADLINE;
    while exists(&server, "chat:lease:bob") {
        assert!(Instant::now() < deadline, "a never released bob");
        std::thread::sleep(Duration::from_millis(10));
    }
    acquire(&b, "bob");
    b.wait_until("bob granted to b", |seen| seen.contains(&granted("bob")));
    // A lease taken from under its holder is reported lost at the next heartbeat.
    acquire(&a, "carl");
    a.wait_until("carl granted", |seen| seen.contains(&granted("carl")));
    redis::cmd("SET").arg("chat:lease:carl").arg("z").exec(&mut server.admin()).unwrap();
    a.send(BusCommand::Heartbeat);
    a.wait_until("carl lost", |seen| seen.contains(&BusEvent::LeaseLost { name: "carl".into() }));
    assert!(!a.seen.contains(&BusEvent::LeaseLost { name: "bob".into() }), "a released bob: not lost");
}

#[test]
fn a_full_queue_refuses_new_appends_and_hands_them_back() {
    // Nothing listens there: Redis is down from the start.
    let url = format!("redis://127.0.0.1:{}", support::free_port()).parse().unwrap();
    let mut config = config(url, "a");
    config.queue_entries = 3;
    config.queue_bytes = 200;
    let woken = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&woken);
    let (bridge, events) = Bridge::start(config, move || {
        counter.fetch_add(1, Ordering::Relaxed);
    })
    .unwrap();
    let line = |text: &str| BusCommand::Append {
        room: "#r".into(),
        payload: BusPayload::Line { from: "ann".into(), text: text.into() },
    };
    assert_eq!(bridge.send(line(&"x".repeat(300))), Err(QueueFull(line(&"x".repeat(300)))), "too many bytes");
    for i in 0..3 {
        assert_eq!(bridge.send(line(&i.to_string())), Ok(()));
    }
    assert_eq!(bridge.send(line("3")), Err(QueueFull(line("3"))), "too many entries");
    let stats = bridge.stats();
    assert_eq!((stats.refused, stats.queued_entries), (2, 3));
    assert_eq!(events.recv_timeout(support::DEADLINE), Ok(BusEvent::Down));
    assert!(woken.load(Ordering::Relaxed) >= 1, "the event loop is woken for each event");
    bridge.send(BusCommand::Heartbeat).expect("other commands have their own room");
}

#[test]
fn a_node_name_that_cannot_name_keys_is_refused() {
    let url = "redis://127.0.0.1:1".parse().unwrap();
    let error = Bridge::start(config(url, "a b"), || {}).err().expect("refused");
    assert!(matches!(error, BusError::NodeName(_)));
    assert!(error.to_string().contains("--node-name"), "{error}");
}
