//! Property tests of rooms and history over arbitrary interleavings of connects, room moves,
//! renames, lines, departures and time steps (every client reading, flood control off).
//!
//! Checked on every run:
//! - every line reaches each member present in its room when it was said exactly once, in
//!   order, and no one outside the room (nor its sender);
//! - the history replayed to whoever comes into a room and the live lines after it have no gap
//!   and no duplicate at the seam: together they are exactly the room's lines from the replay's
//!   first on;
//! - no line anyone receives holds the address of any connection: names never reveal one.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use chat_core::sim::Sim;
use chat_core::{ClientId, Config, PeerGone};
use proptest::prelude::*;

/// Lines replayed on coming into a room.
const REPLAY_ON_JOIN: usize = 20;

/// Rooms the scenario moves between: 0 is `#lobby` (`/part`).
const ROOMS: [&str; 4] = ["#lobby", "#a", "#B", "#c"];

#[derive(Clone, Debug)]
enum Op {
    Connect(SocketAddr),
    Say(usize),
    Join(usize, usize),
    Rename(usize),
    Leave(usize, bool),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<SocketAddr>().prop_map(Op::Connect),
        8 => (0..8usize).prop_map(Op::Say),
        3 => (0..8usize, 0..ROOMS.len()).prop_map(|(c, r)| Op::Join(c, r)),
        1 => (0..8usize).prop_map(Op::Rename),
        1 => (0..8usize, any::<bool>()).prop_map(|(c, lost)| Op::Leave(c, lost)),
        1 => (0..1000u64).prop_map(Op::Advance),
    ]
}

/// One stay of a client in a room: which room, how many lines it had said when the client
/// came, and (once it left) how many when it left.
#[derive(Clone, Debug)]
struct Stint {
    room: usize,
    /// The room's incarnation (a room emptied and made again starts from nothing).
    life: usize,
    from: usize,
    to: Option<usize>,
}

#[derive(Default)]
struct Model {
    ids: Vec<ClientId>,
    peers: Vec<SocketAddr>,
    present: Vec<bool>,
    stints: Vec<Vec<Stint>>,
    /// Each room incarnation's lines: (sender, token).
    lines: BTreeMap<(usize, usize), Vec<(usize, String)>>,
    /// The current incarnation of each room.
    life: [usize; ROOMS.len()],
    next_token: usize,
}

impl Model {
    fn room_of(&self, c: usize) -> usize {
        self.stints[c].last().map_or(0, |s| s.room)
    }

    fn members(&self, room: usize) -> usize {
        (0..self.ids.len()).filter(|&c| self.present[c] && self.room_of(c) == room).count()
    }

    fn said(&self, room: usize) -> usize {
        self.lines.get(&(room, self.life[room])).map_or(0, Vec::len)
    }

    fn enter(&mut self, c: usize, room: usize) {
        let from = self.said(room);
        self.stints[c].push(Stint { room, life: self.life[room], from, to: None });
    }

    fn leave(&mut self, c: usize) {
        let room = self.room_of(c);
        let said = self.said(room);
        if let Some(stint) = self.stints[c].last_mut() {
            stint.to = Some(said);
        }
        self.present[c] = false;
        if room != 0 && self.members(room) == 0 {
            self.life[room] += 1;
        }
        self.present[c] = true;
    }
}

/// A client's received lines cut at each welcome or `*** You are in`: one segment per stint,
/// each split into the replayed tokens and the live ones.
fn segments(lines: &[String]) -> Vec<(Vec<String>, Vec<String>)> {
    let mut out: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    let mut in_replay = false;
    for line in lines {
        if line.starts_with("*** Welcome to the chat room, ") || line.starts_with("*** You are in ") {
            out.push((Vec::new(), Vec::new()));
            continue;
        }
        let Some(segment) = out.last_mut() else { continue };
        if line.starts_with("--- last ") {
            in_replay = true;
        } else if line == "--- end of history ---" {
            in_replay = false;
        } else if in_replay {
            let said = line.split_once("] ").map_or("", |(_, said)| said);
            segment.0.push(token(said).expect("a replayed chat line").to_owned());
        } else if let Some(token) = token(line) {
            segment.1.push(token.to_owned());
        }
    }
    out
}

fn token(line: &str) -> Option<&str> {
    line.strip_prefix('<')?.split_once("> ").map(|(_, text)| text).filter(|t| t.starts_with('t'))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn lines_reach_their_room_exactly_once_and_history_meets_live_lines(
        ops in prop::collection::vec(op(), 1..120),
    ) {
        let mut sim = Sim::new(Config { flood_rate: 0.0, ..Config::default() });
        let mut model = Model::default();
        for op in ops {
            let pick = |c: usize, model: &Model| {
                (!model.ids.is_empty()).then(|| c % model.ids.len()).filter(|&c| model.present[c])
            };
            match op {
                Op::Connect(peer) => {
                    let c = model.ids.len();
                    model.ids.push(sim.connect_from(&format!("c{c}"), peer));
                    model.peers.push(peer);
                    model.present.push(true);
                    model.stints.push(Vec::new());
                    model.enter(c, 0);
                }
                Op::Say(c) => if let Some(c) = pick(c, &model) {
                    let token = format!("t{}", model.next_token);
                    model.next_token += 1;
                    sim.say(model.ids[c], &token);
                    let room = model.room_of(c);
                    let life = model.life[room];
                    model.lines.entry((room, life)).or_default().push((c, token));
                },
                Op::Join(c, room) => if let Some(c) = pick(c, &model) {
                    if room == 0 {
                        sim.say(model.ids[c], "/part");
                    } else {
                        sim.say(model.ids[c], &format!("/join {}", ROOMS[room]));
                    }
                    if model.room_of(c) != room {
                        model.leave(c);
                        model.enter(c, room);
                    }
                },
                Op::Rename(c) => if let Some(c) = pick(c, &model) {
                    sim.say(model.ids[c], &format!("/nick n{c}x{}", model.next_token));
                },
                Op::Leave(c, lost) => if let Some(c) = pick(c, &model) {
                    sim.disconnect(model.ids[c], if lost { PeerGone::Lost } else { PeerGone::Closed });
                    model.leave(c);
                    model.present[c] = false;
                },
                Op::Advance(ms) => sim.advance(Duration::from_millis(ms)),
            }
        }
        for (c, &id) in model.ids.iter().enumerate() {
            let lines = sim.lines(id);
            for line in &lines {
                for peer in &model.peers {
                    prop_assert!(!line.contains(&peer.ip().to_string()), "{line:?} reveals {peer}");
                }
            }
            let segments = segments(&lines);
            prop_assert_eq!(segments.len(), model.stints[c].len(), "client {}: {:?}", c, lines);
            for (stint, (replayed, live)) in model.stints[c].iter().zip(segments) {
                let said = model.lines.get(&(stint.room, stint.life)).cloned().unwrap_or_default();
                let to = stint.to.unwrap_or(said.len());
                let first = stint.from.saturating_sub(REPLAY_ON_JOIN);
                let expected_replay: Vec<String> = said[first..stint.from].iter().map(|(_, t)| t.clone()).collect();
                let expected_live: Vec<String> =
                    said[stint.from..to].iter().filter(|(from, _)| *from != c).map(|(_, t)| t.clone()).collect();
                prop_assert_eq!(&replayed, &expected_replay, "client {} replay in {:?}", c, stint);
                prop_assert_eq!(&live, &expected_live, "client {} live in {:?}", c, stint);
            }
        }
    }
}
