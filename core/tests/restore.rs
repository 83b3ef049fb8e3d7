//! A restart, in the simulated world: the records a server asks to persist, kept as a database
//! keeps them, build a second server ([`Server::restore`](chat_core::Server::restore)) that
//! replays the same history and topics and numbers on where the first stopped.
//!
//! The database here is a model of `chat-store` (a room's lines by sequence number, its last
//! `history` loaded, its topic); `chat-store`'s own tests check the real one against the same
//! rules, and the end-to-end tests run both together.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_core::kit::NoServices;
use chat_core::sim::Sim;
use chat_core::{
    ClientId, Config, PeerGone, Record, Request, RoomRef, Stored, StoredLine, StoredRoom, Topic,
};
use proptest::prelude::*;

/// Rooms the scenario moves between: 0 is `#lobby` (`/part`).
const ROOMS: [&str; 4] = ["#lobby", "#a", "#B", "#c"];

fn config(history: usize) -> Config {
    Config { flood_rate: 0.0, announce_after: Duration::ZERO, history, persist: true, ..Config::default() }
}

/// The room `room` names in `rooms`, made if need be, under the name the record gives.
fn entry(rooms: &mut BTreeMap<String, StoredRoom>, room: RoomRef) -> &mut StoredRoom {
    let stored = rooms.entry(room.key.clone()).or_insert_with(|| StoredRoom {
        room: room.clone(),
        next_seq: 1,
        topic: None,
        lines: Vec::new(),
    });
    stored.room = room;
    stored
}

/// What a database keeps of the records, loaded as `chat-store` loads it.
fn kept(records: impl IntoIterator<Item = Record>, history: usize) -> Stored {
    let mut rooms: BTreeMap<String, StoredRoom> = BTreeMap::new();
    for record in records {
        match record {
            Record::Line { room, line } => {
                let room = entry(&mut rooms, room);
                assert!(
                    line.seq >= room.next_seq,
                    "{} numbered {} after {}",
                    room.room.key,
                    line.seq,
                    room.next_seq
                );
                room.next_seq = line.seq + 1;
                room.lines.push(line);
            }
            Record::Topic { room, topic } => entry(&mut rooms, room).topic = Some(topic),
            Record::TopicCleared { room } => {
                if let Some(room) = rooms.get_mut(&room) {
                    room.topic = None;
                }
            }
            other => panic!("a record rooms never make: {other:?}"),
        }
    }
    for room in rooms.values_mut() {
        let skip = room.lines.len().saturating_sub(history);
        room.lines.drain(..skip);
    }
    Stored { rooms: rooms.into_values().collect(), ..Stored::default() }
}

/// Every record `sim` asked to persist, in order.
fn records(sim: &Sim) -> Vec<Record> {
    sim.requests
        .iter()
        .map(|request| match request {
            Request::Persist(record) => record.clone(),
            other => panic!("rooms ask for nothing but records: {other:?}"),
        })
        .collect()
}

/// What a newcomer sees of every room: its topic and its whole history, read with `/history`
/// in each (the lobby first). Returns the lines, and the newcomer.
fn look_around(sim: &mut Sim) -> (Vec<String>, ClientId) {
    let observer = sim.connect("observer");
    sim.say(observer, "/topic");
    sim.say(observer, "/history");
    for room in &ROOMS[1..] {
        sim.say(observer, &format!("/join {room}"));
        sim.say(observer, "/topic");
        sim.say(observer, "/history");
    }
    let seen = sim
        .lines(observer)
        .into_iter()
        .filter(|line| {
            line.starts_with("--- ")
                || line.starts_with('[')
                || line.starts_with("*** Topic of ")
                || line.ends_with(" has no topic")
                || line.starts_with("*** Nothing was said in ")
        })
        .collect();
    (seen, observer)
}

#[derive(Clone, Debug)]
enum Op {
    Connect,
    Say(usize),
    Join(usize, usize),
    Topic(usize, bool),
    Leave(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Connect),
        8 => (0..6usize).prop_map(Op::Say),
        3 => (0..6usize, 0..ROOMS.len()).prop_map(|(c, r)| Op::Join(c, r)),
        1 => (0..6usize, any::<bool>()).prop_map(|(c, set)| Op::Topic(c, set)),
        1 => (0..6usize).prop_map(Op::Leave),
        1 => (0..120_000u64).prop_map(Op::Advance),
    ]
}

/// Runs `ops` on a fresh server keeping `history` lines.
fn run(ops: &[Op], history: usize) -> Sim {
    let mut sim = Sim::new(config(history));
    let mut clients: Vec<ClientId> = Vec::new();
    let mut said = 0;
    for op in ops {
        let pick = |c: usize| (!clients.is_empty()).then(|| clients[c % clients.len()]);
        match *op {
            Op::Connect => clients.push(sim.connect(&format!("c{}", clients.len()))),
            Op::Say(c) => {
                if let Some(id) = pick(c) {
                    said += 1;
                    sim.say(id, &format!("line {said}"));
                }
            }
            Op::Join(c, room) => {
                if let Some(id) = pick(c) {
                    sim.say(
                        id,
                        if room == 0 { "/part".to_owned() } else { format!("/join {}", ROOMS[room]) }
                            .as_str(),
                    );
                }
            }
            Op::Topic(c, set) => {
                if let Some(id) = pick(c) {
                    sim.say(id, if set { "/topic about things" } else { "/topic -" });
                }
            }
            Op::Leave(c) => {
                if let Some(id) = pick(c) {
                    sim.disconnect(id, PeerGone::Lost);
                    clients.retain(|&other| other != id);
                }
            }
            Op::Advance(ms) => sim.advance(Duration::from_millis(ms)),
        }
    }
    sim
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// History before a restart == history after it; topics likewise; and each room's next
    /// line is numbered after every line it had.
    #[test]
    fn a_restored_server_replays_what_the_first_did_and_numbers_on(
        ops in prop::collection::vec(op(), 1..80),
        history in 0..6usize,
    ) {
        let mut before = run(&ops, history);
        let stored = kept(records(&before), history);
        let (seen_before, _) = look_around(&mut before);

        let mut after = Sim::restored_after(config(history), Box::new(NoServices::default()), stored.clone(), Duration::from_secs(3600));
        let (seen_after, observer) = look_around(&mut after);
        prop_assert_eq!(&seen_after, &seen_before);
        prop_assert!(after.requests.is_empty(), "looking around persists nothing");

        // One more line in every room: numbered after the last before the restart.
        after.say(observer, "/part");
        after.say(observer, "after");
        for room in &ROOMS[1..] {
            after.say(observer, &format!("/join {room}"));
            after.say(observer, "after");
        }
        for record in records(&after) {
            let Record::Line { room, line } = record else { continue };
            let next = stored.rooms.iter().find(|kept| kept.room.key == room.key).map_or(1, |kept| kept.next_seq);
            prop_assert_eq!(line.seq, next, "{}", room.name);
        }
    }
}

#[test]
fn without_a_database_nothing_is_asked_and_an_empty_room_is_forgotten() {
    let mut sim = Sim::new(Config { persist: false, ..config(10) });
    let a = sim.connect("a");
    sim.say(a, "/join #rust");
    sim.say(a, "/topic rust");
    sim.say(a, "hello");
    sim.say(a, "/part");
    sim.say(a, "/join #rust");
    sim.say(a, "/history");
    assert!(sim.requests.is_empty());
    assert_eq!(sim.lines(a).last().map(String::as_str), Some("*** Nothing was said in #rust yet"));
}

#[test]
fn with_a_database_lines_and_topics_are_asked_for_and_an_empty_room_keeps_them() {
    let mut sim = Sim::new(config(10));
    let a = sim.connect("a");
    sim.say(a, "/join #Rust");
    sim.say(a, "/topic rust things");
    sim.say(a, "hello");
    sim.say(a, "/me waves");
    sim.say(a, "/topic -");
    sim.say(a, "/part");
    sim.say(a, "/join #rust");
    sim.say(a, "again");
    let room = RoomRef { key: "#rust".to_owned(), name: "#Rust".to_owned() };
    let at = chat_core::UnixMillis(chat_core::sim::SIM_WALL_CLOCK_SECS * 1000);
    let line = |seq: u64, frame: &str| Record::Line {
        room: room.clone(),
        line: StoredLine { seq, at, frame: frame.to_owned().into() },
    };
    let welcome = &sim.lines(a)[0];
    let name =
        welcome.split(", ").nth(1).and_then(|rest| rest.split(':').next()).expect("a welcome").to_owned();
    assert_eq!(
        records(&sim),
        [
            Record::Topic {
                room: room.clone(),
                topic: Topic { text: "rust things".to_owned(), set_by: name.clone(), at },
            },
            line(1, &format!("<{name}> hello\n")),
            line(2, &format!("* {name} waves\n")),
            Record::TopicCleared { room: "#rust".to_owned() },
            line(3, &format!("<{name}> again\n")),
        ]
    );
    assert!(sim.lines(a).iter().any(|line| line.ends_with(&format!("<{name}> hello"))), "replayed on return");
    let operator: Vec<String> =
        sim.lines(a).into_iter().filter(|line| line.ends_with("you are its operator.")).collect();
    assert_eq!(
        operator,
        ["*** You created #Rust: you are its operator.", "*** #Rust was empty: you are its operator."],
        "created, then brought back: it existed before"
    );
}

#[test]
fn lines_older_than_the_age_limit_are_not_replayed() {
    let day = Duration::from_secs(86_400);
    let mut sim = Sim::new(Config { history_max_age: Some(day), ..config(10) });
    let a = sim.connect("a");
    sim.say(a, "old");
    sim.advance(day / 2);
    sim.say(a, "newer");
    sim.advance(day * 3 / 4);
    sim.say(a, "/history");
    let lines = sim.lines(a);
    let replayed: Vec<&str> = lines.iter().filter(|line| line.starts_with('[')).map(String::as_str).collect();
    assert_eq!(replayed.len(), 1, "{lines:?}");
    assert!(replayed[0].ends_with("> newer"), "{lines:?}");
    sim.advance(day);
    sim.say(a, "/history");
    assert_eq!(sim.lines(a).last().map(String::as_str), Some("*** Nothing was said in #lobby yet"));
}

#[test]
fn accounts_come_back_registered() {
    let account = chat_core::Account {
        key: "alice".to_owned(),
        name: "Alice".to_owned(),
        password_hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".to_owned(),
        created: chat_core::UnixMillis(1),
    };
    let stored = Stored { accounts: vec![account], ..Stored::default() };
    let sim = Sim::restored(config(10), Box::new(NoServices::default()), stored);
    assert!(sim.server.is_registered("ALICE"));
    assert!(!Sim::new(config(10)).server.is_registered("alice"));
}
