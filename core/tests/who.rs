//! `/who` reads a sorted roster kept as people come, rename and go: its answer must always be
//! the one a full sort of everyone present would give.

use std::collections::BTreeMap;

use chat_core::protocol::ServerLine;
use chat_core::sim::Sim;
use chat_core::{ClientId, Config, PeerGone};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Connect,
    /// Client `n` asks for one of a few names (some clash, some differ only by case).
    Rename(usize, usize),
    Leave(usize),
    Who(usize),
}

const NAMES: [&str; 8] = ["alice", "Bob", "bob2", "Carol", "dave", "Eve", "eve_", "zed"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Connect),
        4 => (0..16usize, 0..NAMES.len()).prop_map(|(c, n)| Op::Rename(c, n)),
        1 => (0..16usize).prop_map(Op::Leave),
        2 => (0..16usize).prop_map(Op::Who),
    ]
}

/// The names a full sort of everyone's current name gives, first ten, ignoring case.
fn expected(names: &BTreeMap<ClientId, String>) -> (usize, Vec<String>) {
    let mut all: Vec<String> = names.values().cloned().collect();
    all.sort_by(|a, b| a.to_lowercase().cmp(&b.to_lowercase()).then_with(|| a.cmp(b)));
    (all.len(), all.into_iter().take(10).collect())
}

/// The name the server gave `id`, from its welcome or its last rename.
fn current_name(sim: &Sim, id: ClientId) -> Option<String> {
    sim.lines(id).iter().rev().find_map(|line| match ServerLine::parse(line) {
        ServerLine::Welcome { name, .. } | ServerLine::YouRenamed { name } => Some(name.to_owned()),
        _ => None,
    })
}

proptest! {
    #[test]
    fn who_always_answers_as_a_full_sort_would(ops in prop::collection::vec(op(), 1..80)) {
        let mut sim = Sim::new(Config { flood_rate: 0.0, ..Config::default() });
        let mut ids: Vec<ClientId> = Vec::new();
        let mut present: BTreeMap<ClientId, String> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Connect => {
                    let id = sim.connect("c");
                    ids.push(id);
                    present.insert(id, current_name(&sim, id).expect("welcomed"));
                }
                Op::Rename(c, n) if !ids.is_empty() => {
                    let id = ids[c % ids.len()];
                    sim.say(id, &format!("/nick {}", NAMES[n]));
                    if let Some(name) = present.get_mut(&id) {
                        *name = current_name(&sim, id).expect("welcomed");
                    }
                }
                Op::Leave(c) if !ids.is_empty() => {
                    let id = ids[c % ids.len()];
                    sim.disconnect(id, PeerGone::Lost);
                    present.remove(&id);
                }
                Op::Who(c) if !ids.is_empty() => {
                    let id = ids[c % ids.len()];
                    if !present.contains_key(&id) {
                        continue;
                    }
                    sim.say(id, "/who");
                    let lines = sim.lines(id);
                    let answer = lines.last().expect("an answer");
                    let (count, names) = expected(&present);
                    match ServerLine::parse(answer) {
                        ServerLine::Who { count: got, names: shown, .. } => {
                            prop_assert_eq!(got, count);
                            prop_assert_eq!(shown.iter().collect::<Vec<_>>(), names);
                        }
                        other => prop_assert!(false, "not a /who answer: {:?}", other),
                    }
                }
                _ => {}
            }
        }
    }
}
