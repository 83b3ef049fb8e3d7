//! Snapshot tests of moderation: per-client transcripts of operators at work and of everyone
//! else being refused, on the simulated clock, committed under `tests/snapshots/`, with the
//! records the server asked to keep. Accounts are identified through the deterministic password
//! stand-in `chat_core::sim::TestPasswords`.

use std::net::SocketAddr;
use std::time::Duration;

use chat_core::kit::NoServices;
use chat_core::sim::{SIM_WALL_CLOCK_SECS, Sim, TestPasswords};
use chat_core::{AddressRange, Ban, BanTarget, Config, Motd, Record, Request, Stored, UnixMillis};
use insta::assert_snapshot;

/// No flood control, `root` a server operator, records asked for.
fn config() -> Config {
    Config { flood_rate: 0.0, operators: vec!["root".to_owned()], persist: true, ..Config::default() }
}

/// A world whose passwords are checked by the stand-in.
fn world() -> Sim {
    Sim::with_services(config(), Box::new(TestPasswords::default()))
}

/// The records asked for, but accounts (their hashes are the stand-in's), one per line.
fn kept(sim: &Sim) -> String {
    records(sim)
        .iter()
        .filter(|record| !matches!(record, Record::Account(_)))
        .map(|record| format!("{record:?}\n"))
        .collect()
}

/// The moment after which a new connection's arrival has been announced.
const SETTLED: Duration = Duration::from_millis(400);

/// The simulated world's wall-clock start, plus `later`.
fn wall(later: Duration) -> UnixMillis {
    UnixMillis(SIM_WALL_CLOCK_SECS * 1_000).saturating_add(later)
}

fn peer(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// The records the server asked to persist, in order.
fn records(sim: &Sim) -> Vec<Record> {
    sim.requests
        .iter()
        .filter_map(|request| match request {
            Request::Persist(record) => Some(record.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_room_creator_moderates_the_room() {
    let mut sim = Sim::new(config());
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    let carol = sim.connect("carol");
    for (id, name) in [(alice, "alice"), (bob, "bob"), (carol, "carol")] {
        sim.say(id, &format!("/nick {name}"));
    }
    sim.say(alice, "/join #rust");
    sim.say(bob, "/join #rust");
    sim.say(carol, "/join #rust");
    // Not operators: refused, and told nothing about the target.
    sim.say(bob, "/kick carol");
    sim.say(bob, "/op bob");
    sim.say(bob, "/topic lock");
    sim.say(bob, "/kick nobody");
    // The creator shares it.
    sim.say(alice, "/op bob");
    sim.say(alice, "/op bob");
    sim.say(bob, "/topic lock");
    sim.say(bob, "/topic lock");
    sim.say(carol, "/topic carol was here");
    sim.say(alice, "/topic all about Rust");
    sim.say(bob, "/whois carol");
    sim.say(carol, "/whois bob");
    sim.say(carol, "/whois nobody");
    sim.say(alice, "/kick alice");
    sim.say(alice, "/deop carol");
    sim.say(bob, "/deop alice");
    sim.say(alice, "/topic unlock");
    sim.say(bob, "/kick carol spamming the room");
    sim.say(bob, "/who");
    assert_snapshot!(sim.transcripts());
    let grants = records(&sim).into_iter().filter(|record| matches!(record, Record::Operator(_))).count();
    assert_eq!(grants, 0, "guests' operator status is not stored: {:?}", sim.requests);
}

#[test]
fn only_operators_of_the_room_act_on_its_people() {
    let mut sim = Sim::unlimited();
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.say(alice, "/nick alice");
    sim.say(bob, "/nick bob");
    sim.say(alice, "/join #a");
    sim.say(bob, "/join #b");
    sim.say(alice, "/kick bob");
    sim.say(alice, "/op bob");
    sim.say(bob, "/join #a");
    sim.say(bob, "/kick alice");
    sim.say(alice, "/part");
    sim.say(bob, "/topic lock");
    sim.say(alice, "/topic lock");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn server_commands_are_refused_to_everyone_else() {
    let mut sim = Sim::new(config());
    let alice = sim.connect("alice");
    let bob = sim.connect("bob");
    sim.say(alice, "/nick alice");
    sim.say(bob, "/nick bob");
    sim.say(alice, "/join #mine");
    for line in [
        "/ban bob",
        "/ban 10.0.0.0/8 1h spam",
        "/unban 10.0.0.2",
        "/banned",
        "/mute bob 10m",
        "/unmute bob",
        "/motd be kind",
        "/motd -",
        "/motd",
        "/ban",
        "/mute bob forever",
    ] {
        sim.say(alice, line);
    }
    sim.say(alice, "/who");
    sim.say(alice, "/whois bob");
    assert_snapshot!(sim.transcripts());
    assert!(records(&sim).is_empty(), "nothing stored: {:?}", sim.requests);
}

#[test]
fn restored_bans_refuse_addresses_until_they_expire_and_the_motd_follows_the_welcome() {
    let ban = |target: &str, minutes: Option<u64>, reason: &str| Ban {
        target: BanTarget::Addresses(target.parse::<AddressRange>().unwrap()),
        reason: reason.into(),
        set_by: "root".into(),
        at: wall(Duration::ZERO),
        expires: minutes.map(|m| wall(Duration::from_secs(m * 60))),
    };
    let stored = Stored {
        bans: vec![
            ban("192.0.2.0/24", Some(10), "spam"),
            ban("198.51.100.7", None, ""),
            ban("203.0.113.1", Some(0), "already over"),
        ],
        motd: Some(Motd { text: "Be kind.".into(), set_by: "root".into(), at: wall(Duration::ZERO) }),
        ..Stored::default()
    };
    let mut sim = Sim::restored(config(), Box::new(NoServices::default()), stored);
    sim.connect_from("banned for 10 minutes", peer("192.0.2.55:4000"));
    sim.connect_from("banned for good", peer("198.51.100.7:4000"));
    sim.connect_from("mapped IPv6, banned too", peer("[::ffff:198.51.100.7]:4000"));
    sim.connect_from("ban already over", peer("203.0.113.1:4000"));
    let fine = sim.connect_from("next door", peer("192.0.3.1:4000"));
    sim.say(fine, "/motd");
    sim.advance(Duration::from_secs(10 * 60) - Duration::from_millis(1));
    sim.connect_from("a millisecond early", peer("192.0.2.56:4000"));
    assert!(records(&sim).is_empty(), "{:?}", sim.requests);
    sim.advance(Duration::from_millis(1));
    assert_eq!(
        records(&sim),
        [Record::BanLifted { target: ban("192.0.2.0/24", None, "").target }],
        "lifted at its expiry, on the core's clock"
    );
    sim.connect_from("at the expiry", peer("192.0.2.57:4000"));
    sim.advance(SETTLED);
    assert_snapshot!(sim.transcripts());
}

#[test]
fn a_server_operator_kicks_bans_mutes_and_sets_the_motd() {
    let mut sim = world();
    let root = sim.registered("root", "hunter22");
    let bob = sim.registered("bob", "hunter22");
    let carol = sim.connect("carol");
    sim.say(carol, "/nick carol");
    let eve = sim.registered("eve", "hunter22");
    sim.say(eve, "/join #eve");
    sim.advance(SETTLED);
    // Addresses: to the server operator only.
    sim.say(root, "/who");
    sim.say(root, "/whois bob");
    sim.say(carol, "/whois bob");
    sim.say(carol, "/whois root");
    sim.say(root, "/motd Be kind; no spam.");
    let frank = sim.connect("frank");
    sim.say(frank, "/motd");
    // A guest's mute, for ten minutes.
    sim.say(root, "/mute carol 10m");
    sim.say(carol, "hello?");
    sim.say(carol, "/me waves");
    sim.say(carol, "/msg bob psst");
    sim.say(bob, "/whois carol");
    sim.advance(Duration::from_secs(600));
    sim.say(carol, "hello again");
    // An account's mute, until lifted.
    sim.say(root, "/mute bob");
    sim.say(root, "/unmute bob");
    sim.say(root, "/unmute bob");
    // A kick from another room.
    sim.say(root, "/kick eve flooding #eve");
    // A ban by name: the account and the address.
    sim.say(root, "/ban bob 2h spam");
    let again = sim.connect_from("bob again, same address", "10.0.0.3:5000".parse().unwrap());
    let elsewhere = sim.connect("bob again, elsewhere");
    sim.say(elsewhere, "/identify bob hunter22");
    sim.say(root, "/ban 10.0.0.0/8");
    sim.say(root, "/ban root");
    sim.say(root, "/ban 192.0.2.0/24 1d open proxy");
    sim.say(root, "/banned");
    sim.say(root, "/unban bob");
    sim.say(root, "/unban bob");
    sim.say(root, "/unban 192.0.2.0/24");
    sim.say(root, "/banned");
    sim.say(root, "/motd -");
    // Kicked before the room heard of it: the operator is still told.
    let quick = sim.connect("kicked before its arrival was told");
    let name = sim.server.name_of(quick).unwrap().to_owned();
    sim.say(root, &format!("/kick {name}"));
    assert!(!sim.clients[&again].is_open() && !sim.clients[&elsewhere].is_open());
    sim.advance(SETTLED);
    assert_snapshot!(sim.transcripts());
    assert_snapshot!("a_server_operator_kicks_bans_mutes_and_sets_the_motd_records", kept(&sim));
}

#[test]
fn room_operators_by_account_are_kept_and_cannot_touch_server_operators() {
    let mut sim = world();
    let root = sim.registered("root", "hunter22");
    let bob = sim.registered("bob", "hunter22");
    let carol = sim.connect("carol");
    sim.say(carol, "/nick carol");
    sim.say(bob, "/join #bob");
    sim.say(carol, "/join #bob");
    sim.say(root, "/join #bob");
    sim.say(bob, "/kick root");
    sim.say(bob, "/deop root");
    sim.say(bob, "/op carol");
    sim.say(root, "/deop bob");
    sim.say(root, "/op bob");
    sim.say(root, "/topic lock");
    sim.say(carol, "/topic mine now");
    sim.say(root, "/deop carol");
    sim.say(carol, "/topic mine now");
    sim.say(root, "/kick carol");
    sim.advance(SETTLED);
    assert_snapshot!(sim.transcripts());
    assert_snapshot!(
        "room_operators_by_account_are_kept_and_cannot_touch_server_operators_records",
        kept(&sim)
    );
}
