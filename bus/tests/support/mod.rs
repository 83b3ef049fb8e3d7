//! Test support: real `redis-server` processes on loopback ephemeral ports, and bridges
//! ("nodes") with short timings whose events are awaited with a deadline.

#![allow(dead_code)] // Each test file uses its own share of the helpers.

use std::time::{Duration, Instant};

use chat_bus::{Bridge, BusConfig, RedisUrl};
use chat_core::{BusCommand, BusEvent, BusPayload, StreamSeq, SubscribeFrom};
use crossbeam_channel::Receiver;

/// How long any one wait in these tests may take before it fails.
pub const DEADLINE: Duration = Duration::from_secs(20);

#[allow(unused_imports)] // Each test file uses its own share.
pub use chat_bus::testing::{RedisServer, free_port};

/// Short timings, so failures and recoveries happen within a test's patience.
pub fn config(url: RedisUrl, node: &str) -> BusConfig {
    chat_bus::testing::quick_config(url, node)
}

/// One bridge and the events it sent so far.
pub struct Node {
    pub bridge: Bridge,
    pub events: Receiver<BusEvent>,
    pub seen: Vec<BusEvent>,
}

impl Node {
    pub fn start(config: BusConfig) -> Self {
        let (bridge, events) = Bridge::start(config, || {}).expect("the bridge starts");
        Node { bridge, events, seen: Vec::new() }
    }

    pub fn send(&self, command: BusCommand) {
        self.bridge.send(command).expect("the bridge takes the command");
    }

    pub fn subscribe(&self, room: &str, from: SubscribeFrom) {
        self.send(BusCommand::Subscribe { room: room.into(), from });
    }

    pub fn say(&self, room: &str, text: &str) {
        self.send(BusCommand::Append {
            room: room.into(),
            payload: BusPayload::Line { from: "someone".into(), text: text.into() },
        });
    }

    /// Says `{prefix}{i}` in `room` for every `i` of `numbers`, in order.
    pub fn say_numbered(&self, room: &str, prefix: &str, numbers: std::ops::Range<usize>) {
        for i in numbers {
            self.say(room, &format!("{prefix}{i}"));
        }
    }

    /// Takes events until `done` holds for those seen so far, or fails at the deadline.
    pub fn wait_until(&mut self, what: &str, mut done: impl FnMut(&[BusEvent]) -> bool) {
        let deadline = Instant::now() + DEADLINE;
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(event) => self.seen.push(event),
                Err(_) => panic!("waited {DEADLINE:?} for {what}; events seen: {:#?}", self.seen),
            }
        }
    }

    /// Waits until the bridge has no append left to send (every reply came back), and returns
    /// its counters.
    pub fn wait_sent(&self) -> chat_bus::BusStats {
        let deadline = Instant::now() + DEADLINE;
        loop {
            let stats = self.bridge.stats();
            if stats.queued_entries == 0 {
                return stats;
            }
            assert!(Instant::now() < deadline, "appends still queued after {DEADLINE:?}: {stats:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Takes every event already waiting, without waiting.
    pub fn drain(&mut self) {
        self.seen.extend(self.events.try_iter());
    }

    /// Waits until `count` entries of `room` arrived; returns them as (seq, text).
    pub fn wait_for_lines(&mut self, room: &str, count: usize) -> Vec<(StreamSeq, String)> {
        self.wait_until(&format!("{count} lines of {room}"), |seen| lines(seen, room).len() >= count);
        lines(&self.seen, room)
    }
}

/// Nodes `a` and `b` on `server`, with the tests' short timings.
pub fn two_nodes(server: &RedisServer) -> (Node, Node) {
    (Node::start(config(server.url(), "a")), Node::start(config(server.url(), "b")))
}

/// The lines of `room` among `events`, as (seq, text).
pub fn lines(events: &[BusEvent], room: &str) -> Vec<(StreamSeq, String)> {
    events
        .iter()
        .filter_map(|event| match event {
            BusEvent::Entry { room: r, seq, payload: BusPayload::Line { text, .. }, .. } if r == room => {
                Some((*seq, text.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The gaps among `events`.
pub fn gaps(events: &[BusEvent]) -> Vec<chat_core::Gap> {
    events
        .iter()
        .filter_map(|event| match event {
            BusEvent::Gap(gap) => Some(gap.clone()),
            _ => None,
        })
        .collect()
}

/// Starts a Redis server for a test, or returns from the test (skipping loudly) if there is
/// none to start outside CI.
#[macro_export]
macro_rules! redis_or_skip {
    () => {
        match support::RedisServer::start() {
            Some(server) => server,
            None => return,
        }
    };
}
