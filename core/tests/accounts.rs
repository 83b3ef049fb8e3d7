//! Accounts on the simulated clock: every account command and refusal as a transcript
//! (committed under `tests/snapshots/`), the records asked for, and the races between a
//! password answer and what its client did meanwhile. Passwords are "hashed" by a deterministic
//! stand-in (`chat_core::sim::TestPasswords`); the real argon2id workers are tested end to end.

use std::time::Duration;

use chat_core::kit::NoServices;
use chat_core::sim::{Sim, TestPasswords, test_hash};
use chat_core::{Account, AttemptLimits, Config, PasswordRequest, Record, Request, Stored, UnixMillis};
use insta::assert_snapshot;

/// After this, a new connection's arrival has been announced.
const SETTLED: Duration = Duration::from_millis(400);

fn config() -> Config {
    Config {
        flood_rate: 0.0,
        persist: true,
        operators: vec!["Alice".to_owned()],
        attempts: AttemptLimits {
            address_burst: 3,
            address_refill: Duration::from_secs(10),
            account_burst: 2,
            account_refill: Duration::from_secs(60),
            max_tracked: 100,
        },
        ..Config::default()
    }
}

fn world() -> (Sim, TestPasswords) {
    let auth = TestPasswords::default();
    (Sim::with_services(config(), Box::new(auth.clone())), auth)
}

fn records(sim: &Sim) -> Vec<&Record> {
    sim.requests
        .iter()
        .filter_map(|request| match request {
            Request::Persist(record) => Some(record),
            _ => None,
        })
        .collect()
}

#[test]
fn register_identify_and_the_refusals() {
    let (mut sim, _auth) = world();
    let alice = sim.connect("alice");
    sim.say(alice, "/register hunter22");
    sim.say(alice, "/nick Alice");
    sim.say(alice, "/register");
    sim.say(alice, "/register short");
    sim.say(alice, "/register hunter22");
    sim.say(alice, "/register hunter22");
    sim.say(alice, "/identify hunter22");
    sim.advance(SETTLED);
    let mallory = sim.connect("mallory");
    sim.advance(SETTLED);
    sim.say(mallory, "/nick alice");
    sim.say(mallory, "/nick ALICE wrong-password");
    sim.say(mallory, "/identify alice wrong-again");
    sim.say(mallory, "/identify alice third-try");
    sim.say(mallory, "/identify bob whatever1");
    sim.say(mallory, "/identify whatever1");
    sim.say(mallory, "/nick no:such whatever1");
    sim.say(mallory, "/password hunter22 hunter23");
    sim.say(mallory, "/unregister hunter22");
    sim.say(mallory, "/register mallory-pw");
    assert_eq!(sim.server.account_of(mallory), None);
    assert_eq!(sim.server.name_of(alice), Some("Alice"));
    assert_snapshot!(sim.transcripts());
}

#[test]
fn the_owner_identifying_from_a_new_connection_renames_the_old_one() {
    let (mut sim, _auth) = world();
    let old = sim.registered("Alice", "hunter22");
    let watcher = sim.connect("watcher");
    sim.advance(SETTLED);
    let new = sim.connect("alice again");
    sim.advance(SETTLED);
    sim.say(new, "/identify alice hunter22");
    assert_eq!(sim.server.name_of(new), Some("Alice"));
    assert_ne!(sim.server.name_of(old), Some("Alice"));
    assert_eq!(sim.server.account_of(new), Some("alice"));
    assert_eq!(sim.server.account_of(old), Some("alice"), "still identified, under a guest name");
    // The old connection may take the name back only with ... the name is held: it is taken.
    sim.say(old, "/nick Alice");
    // Once identified, a client goes back to its account's name without a password.
    sim.say(new, "/nick someone-else");
    sim.say(new, "/identify alice anything");
    sim.say(watcher, "/nick alice");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn password_change_and_unregister() {
    let (mut sim, _auth) = world();
    let alice = sim.registered("Alice", "hunter22");
    sim.say(alice, "/password wrong-old new-password");
    sim.say(alice, "/password hunter22 short");
    sim.say(alice, "/password hunter22 new-password");
    sim.say(alice, "/unregister hunter22");
    sim.say(alice, "/unregister new-password");
    sim.say(alice, "/password new-password newer-password");
    let bob = sim.connect("bob");
    sim.say(bob, "/nick alice");
    sim.say(alice, "/nick Alicia");
    sim.say(bob, "/nick alice");
    assert_eq!(sim.server.name_of(bob), Some("alice"), "the name is free again");
    assert!(!sim.server.is_registered("alice"));
    assert_snapshot!(sim.transcripts());
    let hash = |record: &Record| match record {
        Record::Account(account) => Some(account.password_hash.clone()),
        _ => None,
    };
    let records = records(&sim);
    assert_eq!(records.len(), 3, "{records:?}");
    assert_eq!(hash(records[0]), Some(test_hash("hunter22")));
    assert_eq!(hash(records[1]), Some(test_hash("new-password")));
    assert_eq!(records[2], &Record::AccountDeleted { account: "alice".to_owned() });
}

#[test]
fn failed_attempts_are_limited_per_account_and_per_address() {
    let (mut sim, _auth) = world();
    sim.registered("Alice", "hunter22");
    sim.registered("Bob", "hunter22");
    let mallory = sim.connect("mallory");
    for guess in ["guess-one", "guess-two", "guess-three"] {
        sim.say(mallory, &format!("/identify alice {guess}"));
    }
    sim.say(mallory, "/identify bob guess-four");
    sim.say(mallory, "/identify bob guess-five");
    let friend = sim.connect_from("friend", "10.0.9.9:4000".parse().unwrap());
    sim.say(friend, "/identify alice hunter22");
    sim.advance(Duration::from_secs(60));
    sim.say(friend, "/identify alice hunter22");
    sim.say(mallory, "/identify bob hunter22");
    assert_eq!(sim.server.name_of(friend), Some("Alice"));
    assert_eq!(sim.server.name_of(mallory), Some("Bob"));
    let verifies = sim
        .requests
        .iter()
        .filter(|r| matches!(r, Request::Password(PasswordRequest::Verify { .. })))
        .count();
    assert_eq!(verifies, 2 + 1 + 1 + 1, "refused attempts are never verified");
    assert_snapshot!(sim.transcripts());
}

#[test]
fn answers_that_come_too_late_count_for_nothing() {
    let (mut sim, auth) = world();
    let alice = sim.connect("alice");
    sim.say(alice, "/nick Alice");
    auth.hold(true);
    sim.say(alice, "/register hunter22");
    sim.say(alice, "/register hunter22");
    sim.say(alice, "/nick Alicia");
    auth.release(0);
    sim.advance(Duration::ZERO);
    assert!(!sim.server.is_registered("alice"), "she was no longer called Alice");
    // A verification overtaken by a password change.
    auth.hold(false);
    let bob = sim.registered("Bob", "hunter22");
    let thief = sim.connect("thief");
    auth.hold(true);
    sim.say(thief, "/identify bob hunter22");
    sim.say(bob, "/password hunter22 better-password");
    // The old password checks out, then the new one's hash lands, then the thief's answer.
    auth.release(1);
    sim.advance(Duration::ZERO);
    auth.release(1);
    sim.advance(Duration::ZERO);
    auth.release(0);
    sim.advance(Duration::ZERO);
    assert_eq!(sim.server.account_of(thief), None, "the old password no longer counts");
    // An answer for a client that left is for no one.
    let leaver = sim.connect("leaver");
    sim.say(leaver, "/identify bob better-password");
    sim.say(leaver, "/quit");
    sim.advance(Duration::from_secs(5));
    assert_eq!(auth.held(), 1);
    auth.release(0);
    sim.advance(Duration::ZERO);
    assert_eq!(sim.server.name_of(bob), Some("Bob"));
    assert_snapshot!(sim.transcripts());
}

#[test]
fn without_password_workers_the_user_is_told_to_try_again() {
    let mut sim = Sim::with_services(config(), Box::new(NoServices::default()));
    let alice = sim.connect("alice");
    sim.say(alice, "/nick alice");
    sim.say(alice, "/register hunter22");
    assert_eq!(sim.server.account_of(alice), None);
    assert_snapshot!(sim.transcripts());
}

#[test]
fn passwords_never_appear_in_requests_debug_output_or_transcripts() {
    let (mut sim, _auth) = world();
    let alice = sim.registered("Alice", "hunter22-secret");
    sim.say(alice, "/password hunter22-secret other-secret");
    sim.say(alice, "/identify alice wrong-secret");
    sim.say(alice, "/unregister other-secret");
    let shown = format!("{:?}", sim.requests);
    assert!(shown.contains("Verify") && shown.contains("Hash"), "{shown}");
    for secret in ["hunter22", "other-secret", "wrong-secret"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
        assert!(!sim.transcripts().contains(secret), "{secret} echoed");
    }
}

#[test]
fn server_operators_are_the_identified_owners_of_the_names_given() {
    let (mut sim, _auth) = world();
    let guest = sim.connect("guest");
    sim.say(guest, "/nick alice");
    assert!(!sim.server.is_server_operator(guest), "holding the name is not enough");
    sim.say(guest, "/nick guest");
    let alice = sim.registered("alice", "hunter22");
    assert!(sim.server.is_server_operator(alice));
    let bob = sim.registered("bob", "hunter22");
    assert!(!sim.server.is_server_operator(bob));
    sim.say(alice, "/unregister hunter22");
    assert!(!sim.server.is_server_operator(alice));
}

#[test]
fn restored_accounts_reserve_their_names_and_identify() {
    let account = Account {
        key: "carol".to_owned(),
        name: "Carol".to_owned(),
        password_hash: test_hash("hunter22"),
        created: UnixMillis(1),
    };
    let stored = Stored { accounts: vec![account], ..Stored::default() };
    let mut sim = Sim::restored(config(), Box::new(TestPasswords::default()), stored);
    let first = sim.connect("first");
    sim.say(first, "/nick carol");
    assert_ne!(sim.server.name_of(first), Some("carol"));
    sim.say(first, "/nick carol hunter22");
    assert_eq!(sim.server.name_of(first), Some("Carol"));
    assert_eq!(sim.server.account_of(first), Some("carol"));
}

#[test]
fn guest_names_cannot_be_registered_and_guests_never_draw_a_registered_name() {
    // guest-4513 is the first guest name drawn: restored as an account, it is skipped.
    let account = Account {
        key: chat_core::protocol::Nick::parse("guest-4513", 24).unwrap().key().to_owned(),
        name: "guest-4513".to_owned(),
        password_hash: test_hash("hunter22"),
        created: UnixMillis(1),
    };
    let stored = Stored { accounts: vec![account], ..Stored::default() };
    let mut sim = Sim::restored(config(), Box::new(TestPasswords::default()), stored);
    let first = sim.connect("first");
    assert_eq!(sim.server.name_of(first), Some("guest-2432"));
    sim.say(first, "/register hunter22");
    sim.say(first, "/nick Guest-9");
    sim.say(first, "/register hunter22");
    assert_eq!(sim.server.account_of(first), None);
    let refusals = sim.lines(first).iter().filter(|l| l.contains("Guest names cannot be registered")).count();
    assert_eq!(refusals, 2);
}

#[test]
fn an_account_given_up_while_its_password_is_checked() {
    let (mut sim, auth) = world();
    let alice = sim.registered("Alice", "hunter22");
    sim.say(alice, "/nick Alicia");
    let bob = sim.connect("bob");
    sim.say(bob, "/nick alice");
    auth.hold(true);
    sim.say(bob, "/identify alice hunter22");
    sim.say(alice, "/unregister hunter22");
    auth.release(1);
    sim.advance(Duration::ZERO);
    auth.release(0);
    sim.advance(Duration::ZERO);
    assert_eq!(sim.server.account_of(bob), None);
    sim.say(bob, "/nick alice");
    assert_eq!(sim.server.name_of(bob), Some("alice"));
    assert_snapshot!(sim.transcripts());
}

#[test]
fn a_password_the_busy_workers_could_not_check_is_no_failed_attempt() {
    let (mut sim, auth) = world();
    sim.registered("Alice", "hunter22");
    let friend = sim.connect("friend");
    auth.state.lock().unwrap().busy = true;
    for _ in 0..10 {
        sim.say(friend, "/identify alice hunter22");
    }
    auth.state.lock().unwrap().busy = false;
    sim.say(friend, "/identify alice hunter22");
    assert_eq!(sim.server.account_of(friend), Some("alice"), "{:?}", sim.lines(friend));
}
