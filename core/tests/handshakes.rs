//! Connections that are not clients yet (`Input::Accepted`: a TLS handshake, an HTTP
//! connection): they count toward the per-address limits and are closed if they do not become
//! clients in time.

use std::net::SocketAddr;
use std::time::Duration;

use chat_core::sim::{Ending, Sim, SimClient};
use chat_core::{ClientId, Config, DropReason, Input, PeerGone};

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn limited(max_per_ip: usize) -> Config {
    Config { max_per_ip, handshake_timeout: Duration::from_secs(10), ..Config::default() }
}

#[test]
fn a_connection_that_never_becomes_a_client_is_closed_at_the_deadline() {
    let mut sim = Sim::new(limited(16));
    let stuck = sim.accept_from("stuck", addr("192.0.2.1:4000"));
    sim.advance(Duration::from_millis(9_900));
    assert!(sim.clients[&stuck].is_open());
    sim.advance(Duration::from_millis(100));
    assert_eq!(sim.clients[&stuck].ended, Some(Ending::Released));
    assert!(sim.clients[&stuck].received.is_empty(), "nothing is said to it: it speaks another protocol");
    assert_eq!(sim.server.stats().drops.get(DropReason::Handshake), 1);
}

#[test]
fn a_connection_that_becomes_a_client_in_time_stays() {
    let mut sim = Sim::new(limited(16));
    let id = sim.accept_from("tls", addr("192.0.2.1:4000"));
    sim.advance(Duration::from_secs(5));
    sim.open(id, addr("192.0.2.1:4000"));
    sim.advance(Duration::from_secs(60));
    assert!(sim.clients[&id].is_open());
    assert!(sim.lines(id)[0].starts_with("*** Welcome"), "{:?}", sim.lines(id));
    assert_eq!(sim.server.stats().drops.get(DropReason::Handshake), 0);
}

#[test]
fn handshakes_count_toward_the_per_address_limit_and_free_their_place() {
    let mut sim = Sim::new(limited(2));
    let first = sim.accept_from("first", addr("192.0.2.1:4000"));
    let second = sim.accept_from("second", addr("192.0.2.1:4001"));
    let third = sim.accept_from("third", addr("192.0.2.1:4002"));
    assert_eq!(sim.clients[&third].ended, Some(Ending::Released), "over the limit: closed at once");
    assert_eq!(
        sim.lines(third),
        ["! Too many connections from your address (2 at most); close one and try again."],
        "told why first, for its transport to say in its protocol"
    );
    assert_eq!(sim.server.stats().drops.get(DropReason::PerAddress), 1);
    let plain = sim.connect_from("plain", addr("192.0.2.1:4003"));
    assert!(sim.lines(plain)[0].contains("Too many connections from your address"), "{:?}", sim.lines(plain));
    // Another address is not affected.
    let other = sim.connect_from("other", addr("192.0.2.2:4000"));
    assert!(sim.lines(other)[0].starts_with("*** Welcome"));
    // Becoming a client does not count twice.
    sim.open(first, addr("192.0.2.1:4000"));
    assert!(sim.lines(first)[0].starts_with("*** Welcome"), "{:?}", sim.lines(first));
    // One the runtime ends itself (a page answered) frees its place.
    sim.disconnect(second, PeerGone::Lost);
    let again = sim.connect_from("again", addr("192.0.2.1:4004"));
    assert!(sim.lines(again)[0].starts_with("*** Welcome"), "{:?}", sim.lines(again));
}

#[test]
fn a_refused_connection_that_never_reads_is_released_within_the_grace_period() {
    let mut sim = Sim::new(limited(1));
    sim.accept_from("first", addr("192.0.2.1:4000"));
    // A client that reads nothing never sees the close, so it never closes its side.
    let deaf = ClientId(1_000);
    sim.clients.insert(deaf, SimClient { label: "deaf".to_owned(), ..SimClient::default() });
    sim.input(Input::Accepted { id: deaf, peer: addr("192.0.2.1:4001") });
    assert_eq!(sim.clients[&deaf].ended, Some(Ending::ClosedByServer), "closed, and lingering");
    sim.advance(Duration::from_millis(1_999));
    assert_eq!(sim.clients[&deaf].ended, Some(Ending::ClosedByServer));
    sim.advance(Duration::from_millis(1));
    assert_eq!(sim.clients[&deaf].ended, Some(Ending::Released), "released at the close grace period");
}

#[test]
fn one_the_deadline_closed_frees_its_place() {
    let mut sim = Sim::new(limited(1));
    sim.accept_from("stuck", addr("192.0.2.1:4000"));
    sim.advance(Duration::from_secs(10));
    let next = sim.connect_from("next", addr("192.0.2.1:4001"));
    assert!(sim.lines(next)[0].starts_with("*** Welcome"), "{:?}", sim.lines(next));
}

#[test]
fn behind_a_proxy_the_real_address_is_counted_instead() {
    let mut sim = Sim::new(limited(1));
    let proxy = addr("192.0.2.100:4000");
    let id = sim.accept_from("via proxy", proxy);
    sim.open(id, addr("198.51.100.7:5000"));
    assert!(sim.lines(id)[0].starts_with("*** Welcome"), "{:?}", sim.lines(id));
    // The proxy's place is free again; the real client's is taken.
    let next = sim.accept_from("next via proxy", proxy);
    assert!(sim.clients[&next].is_open());
    let same = sim.connect_from("same client", addr("198.51.100.7:5001"));
    assert!(sim.lines(same)[0].contains("Too many connections"), "{:?}", sim.lines(same));
}

#[test]
fn shutdown_closes_handshakes_too() {
    let mut sim = Sim::new(limited(16));
    let stuck = sim.accept_from("stuck", addr("192.0.2.1:4000"));
    sim.shutdown();
    assert_eq!(sim.clients[&stuck].ended, Some(Ending::Released));
    assert!(sim.server.is_finished());
    let late = sim.accept_from("late", addr("192.0.2.1:4001"));
    assert_eq!(sim.clients[&late].ended, Some(Ending::Released));
}

#[test]
fn what_transports_hold_counts_toward_the_memory_budget_until_forgotten() {
    let config = Config { max_memory: 1 << 20, ..Config::default() };
    let mut sim = Sim::new(config);
    let stuck = sim.accept_from("stuck", addr("192.0.2.1:4000"));
    let client = sim.accept_from("client", addr("192.0.2.2:4000"));
    sim.input(Input::Buffered { id: stuck, bytes: 600 << 10 });
    sim.input(Input::Buffered { id: client, bytes: 100 << 10 });
    assert_eq!(sim.server.queued_memory(), 700 << 10);
    assert!(!sim.paused);
    sim.open(client, addr("192.0.2.2:4000"));
    sim.input(Input::Buffered { id: client, bytes: 500 << 10 });
    assert!(sim.paused, "over the budget: reading pauses");
    // The stuck handshake is closed at its deadline, and what it held is given back.
    sim.advance(Duration::from_secs(10));
    assert_eq!(sim.clients[&stuck].ended, Some(Ending::Released));
    assert!(!sim.paused, "back under the budget");
    assert!(sim.server.queued_memory() >= 500 << 10);
    sim.disconnect(client, PeerGone::Lost);
    assert_eq!(sim.server.queued_memory(), 0);
    // Reports about connections the core does not know count for nothing.
    sim.input(Input::Buffered { id: client, bytes: 1 << 20 });
    assert_eq!(sim.server.queued_memory(), 0);
}
