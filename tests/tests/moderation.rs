//! Moderation over real sockets, on both runtimes: a room's creator kicks; a server operator
//! (identified through the real password workers of `chat-services`, with cheap costs) bans an
//! address (clients come from 127.0.0.x to look like several hosts), bans someone by name and
//! mutes a guest; bans kept in the database refuse the address after a restart.

use std::net::{IpAddr, Ipv4Addr};

use chat_auth::{AuthOptions, HashParams};
use chat_core::Config;
use chat_services::{ServiceOptions, ServiceThreads};
use chat_tests::{Client, ClientOptions, Deadline, Runtime, TestDatabase, TestServer, both_runtimes};

both_runtimes!(
    a_room_creator_kicks,
    a_server_operator_bans_addresses_and_names_and_mutes,
    bans_survive_a_restart
);

/// `root` is a server operator once identified.
fn config() -> Config {
    Config { operators: vec!["root".to_owned()], flood_rate: 0.0, ..chat_tests::config() }
}

/// The password workers with the cheapest argon2id costs, keeping nothing.
fn services() -> ServiceThreads {
    let params = HashParams { memory_kib: 8, iterations: 1, parallelism: 1 };
    let options = ServiceOptions {
        auth: AuthOptions { params, ..AuthOptions::default() },
        ..ServiceOptions::default()
    };
    ServiceThreads::start(options).expect("the services start").0
}

/// A client from `127.0.0.N`, welcomed and called `name`.
fn named(server: &TestServer, n: u8, name: &str) -> Client {
    let mut client = from(server, n, name);
    client.expect_welcome();
    client.send_line(&format!("/nick {name}"));
    until(&mut client, &format!("*** You are now known as {name}"));
    client
}

/// A connection from `127.0.0.N`, nothing read yet.
fn from(server: &TestServer, n: u8, label: &str) -> Client {
    let address = IpAddr::V4(Ipv4Addr::new(127, 0, 0, n));
    Client::connect_from(address, server.addr(), label, ClientOptions::default())
}

/// Reads until `line`.
fn until(client: &mut Client, line: &str) {
    client.read_until(line, Deadline::standard(), |read| read == line);
}

/// `root`, registered and so identified: a server operator.
fn root(server: &TestServer) -> Client {
    let mut root = named(server, 1, "root");
    root.send_line("/register hunter22");
    until(&mut root, "*** You registered root: the name is yours, and you are identified.");
    root
}

/// The first line is a ban's refusal, then the connection closes.
fn expect_refused(client: &mut Client) {
    let line = client.next_line();
    assert!(line.starts_with("! You are banned from this server"), "{line}");
    client.expect_closed();
}

fn a_room_creator_kicks(runtime: Runtime) {
    let server = TestServer::start(runtime, config());
    let mut alice = named(&server, 1, "alice");
    let mut bob = named(&server, 2, "bob");
    alice.send_line("/join #mine");
    until(&mut alice, "*** You created #mine: you are its operator.");
    bob.send_line("/join #mine");
    until(&mut alice, "*** bob joined #mine");
    bob.send_line("/kick alice");
    until(&mut bob, "! Only operators of #mine (or server operators) may do that.");
    alice.send_line("/kick bob be nice");
    until(&mut bob, "! You were kicked by alice: be nice");
    bob.expect_closed();
    until(&mut alice, "*** bob is offline (kicked by alice: be nice)");
}

fn a_server_operator_bans_addresses_and_names_and_mutes(runtime: Runtime) {
    let server = TestServer::start_with(runtime, config(), Box::new(services()));
    let mut root = root(&server);
    let mut bob = named(&server, 2, "bob");
    let mut carol = named(&server, 3, "carol");
    // Addresses: the operator sees them, nobody else.
    root.send_line("/whois carol");
    until(&mut root, "*** carol: in #lobby, a guest, from 127.0.0.3");
    bob.send_line("/whois carol");
    until(&mut bob, "*** carol: in #lobby, a guest");
    // A mute: carol is told, and her lines reach no one until it is lifted.
    root.send_line("/mute carol");
    until(&mut carol, "! You are muted: your lines reach no one.");
    carol.send_line("can anyone hear me?");
    until(&mut carol, "! You are muted: your lines reach no one.");
    root.send_line("/unmute carol");
    until(&mut carol, "*** root unmuted carol");
    carol.send_line("back");
    let heard = bob.read_until("carol's line", Deadline::standard(), |line| line == "<carol> back");
    assert!(!heard.iter().any(|line| line.contains("can anyone hear me")), "{heard:?}");
    // A ban by address: whoever is connected from it goes, and it is refused from then on.
    root.send_line("/ban 127.0.0.2 1h spam");
    until(&mut bob, "! You are banned by root for 1h: spam");
    bob.expect_closed();
    until(&mut root, "*** Banned 127.0.0.2/32 for 1h; 1 connection closed");
    expect_refused(&mut from(&server, 2, "bob again"));
    from(&server, 4, "next door").expect_welcome();
    // A ban by name: carol's address.
    root.send_line("/ban carol");
    until(&mut carol, "! You are banned by root");
    carol.expect_closed();
    expect_refused(&mut from(&server, 3, "carol again"));
    root.send_line("/unban carol");
    until(&mut root, "*** Lifted the ban on 127.0.0.3/32");
    from(&server, 3, "carol forgiven").expect_welcome();
}

fn bans_survive_a_restart(runtime: Runtime) {
    let database = TestDatabase::new();
    {
        let server = TestServer::start_with_database(runtime, config(), &database);
        let mut root = root(&server);
        root.send_line("/ban 127.0.0.5 7d open proxy");
        until(&mut root, "*** Banned 127.0.0.5/32 for 1w; 0 connections closed");
        root.send_line("/motd No spam, please.");
        until(&mut root, "*** root set the message of the day: No spam, please.");
        expect_refused(&mut from(&server, 5, "proxy"));
        server.stop_and_wait(Deadline::standard());
    }
    let stored = database.stored(config().history);
    assert_eq!(stored.bans.len(), 1, "{stored:?}");
    let server = TestServer::start_with_database(runtime, config(), &database);
    let mut proxy = from(&server, 5, "proxy after the restart");
    let refusal = proxy.next_line();
    assert!(
        refusal.starts_with("! You are banned from this server until ") && refusal.ends_with(": open proxy"),
        "{refusal}"
    );
    proxy.expect_closed();
    let mut fine = from(&server, 6, "fine");
    fine.expect_welcome();
    fine.expect_line("*** Message of the day: No spam, please.");
}
