//! Property tests of accounts over arbitrary interleavings of renames, registrations,
//! identifications (right and wrong passwords), password changes, unregistrations, departures,
//! time steps, and password answers held back and released in any order.
//!
//! Checked after every step:
//! - nobody but a client identified as its account ever holds a registered name;
//! - a client becomes identified as an account only in a step where a password answer saying
//!   "matched" (or a new account's hash) was taken;
//! - no password typed ever shows in a request's `Debug` output or anything a client receives.

use std::collections::HashMap;
use std::time::Duration;

use chat_core::sim::{Sim, TestPasswords};
use chat_core::{AttemptLimits, ClientId, Config, PeerGone};
use proptest::prelude::*;

const NAMES: [&str; 3] = ["alice", "Bob", "carol"];
const PASSWORDS: [&str; 3] = ["secret-one", "secret-two", "secret-333"];

#[derive(Clone, Debug)]
enum Op {
    Connect,
    Nick(usize, usize),
    NickWithPassword(usize, usize, usize),
    Register(usize, usize),
    Identify(usize, usize),
    ChangePassword(usize, usize, usize),
    Unregister(usize, usize),
    Leave(usize),
    Hold(bool),
    Release(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let (c, n, p) = (0..6usize, 0..NAMES.len(), 0..PASSWORDS.len());
    prop_oneof![
        2 => Just(Op::Connect),
        3 => (c.clone(), n.clone()).prop_map(|(c, n)| Op::Nick(c, n)),
        3 => (c.clone(), n, p.clone()).prop_map(|(c, n, p)| Op::NickWithPassword(c, n, p)),
        3 => (c.clone(), p.clone()).prop_map(|(c, p)| Op::Register(c, p)),
        2 => (c.clone(), p.clone()).prop_map(|(c, p)| Op::Identify(c, p)),
        1 => (c.clone(), p.clone(), p.clone()).prop_map(|(c, a, b)| Op::ChangePassword(c, a, b)),
        1 => (c.clone(), p).prop_map(|(c, p)| Op::Unregister(c, p)),
        1 => c.prop_map(Op::Leave),
        1 => any::<bool>().prop_map(Op::Hold),
        3 => (0..4usize).prop_map(Op::Release),
        1 => (0..90_000u64).prop_map(Op::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn registered_names_are_held_by_their_owners_only(ops in prop::collection::vec(op(), 1..120)) {
        let auth = TestPasswords::default();
        let config = Config {
            flood_rate: 0.0,
            attempts: AttemptLimits { account_burst: 3, address_burst: 6, ..AttemptLimits::default() },
            ..Config::default()
        };
        let mut sim = Sim::with_services(config, Box::new(auth.clone()));
        let mut clients: Vec<ClientId> = Vec::new();
        let pick = |clients: &[ClientId], c: usize| clients.get(c % clients.len().max(1)).copied();
        for op in ops {
            let before: HashMap<ClientId, Option<String>> =
                clients.iter().map(|&id| (id, sim.server.account_of(id).map(str::to_owned))).collect();
            let delivered = auth.delivered();
            match op {
                Op::Connect => clients.push(sim.connect(&format!("c{}", clients.len()))),
                Op::Nick(c, n) => if let Some(id) = pick(&clients, c) { sim.say(id, &format!("/nick {}", NAMES[n])) },
                Op::NickWithPassword(c, n, p) => if let Some(id) = pick(&clients, c) {
                    sim.say(id, &format!("/nick {} {}", NAMES[n], PASSWORDS[p]));
                },
                Op::Register(c, p) => if let Some(id) = pick(&clients, c) { sim.say(id, &format!("/register {}", PASSWORDS[p])) },
                Op::Identify(c, p) => if let Some(id) = pick(&clients, c) { sim.say(id, &format!("/identify {}", PASSWORDS[p])) },
                Op::ChangePassword(c, a, b) => if let Some(id) = pick(&clients, c) {
                    sim.say(id, &format!("/password {} {}", PASSWORDS[a], PASSWORDS[b]));
                },
                Op::Unregister(c, p) => if let Some(id) = pick(&clients, c) { sim.say(id, &format!("/unregister {}", PASSWORDS[p])) },
                Op::Leave(c) => if let Some(id) = pick(&clients, c) { sim.disconnect(id, PeerGone::Lost) },
                Op::Hold(holding) => auth.hold(holding),
                Op::Release(k) => {
                    let held = auth.held();
                    if held > 0 {
                        auth.release(k % held);
                    }
                    sim.advance(Duration::ZERO);
                }
                Op::Advance(ms) => sim.advance(Duration::from_millis(ms)),
            }
            let approved = auth.approved_since(delivered);
            for &id in &clients {
                let account = sim.server.account_of(id).map(str::to_owned);
                if let Some(name) = sim.server.name_of(id)
                    && sim.server.is_registered(name)
                {
                    let key = chat_core::protocol::Nick::parse(name, usize::MAX).unwrap().key().to_owned();
                    prop_assert_eq!(account.as_deref(), Some(key.as_str()), "{} holds {} without owning it", id, name);
                }
                let was = before.get(&id).cloned().flatten();
                if account.is_some() && account != was {
                    prop_assert!(approved, "{} became {:?} with no approving answer", id, account);
                }
            }
        }
        let shown = format!("{:?}", sim.requests);
        let received = sim.transcripts();
        for password in PASSWORDS {
            prop_assert!(!shown.contains(password), "a password in a request's Debug output");
            prop_assert!(!received.contains(password), "a password echoed to a client");
        }
    }
}
