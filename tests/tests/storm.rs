//! A storm of connections from two hosts, more than the server can hold: every connection gets
//! the welcome or the "server is full" line, never a silent end of file.
//!
//! The std runtime holds at most so many connections per process (two threads each); past
//! that its spawner turns connections away before the core hears of them, and must still say
//! why. This binary lowers that cap ([`chat_runtime_std::set_max_connections`], process-wide,
//! hence the scenario's own binary) so that a storm past it fits in the open-files limit.

use std::net::{IpAddr, Ipv4Addr, TcpListener};

use chat_core::Config;
use chat_tests::open_files::crowd_size;
use chat_tests::{Admission, Client, ClientOptions, Runtime, TestServer, both_runtimes};

both_runtimes!(a_storm_from_two_hosts_is_welcomed_or_refused_never_cut_off);

/// People the room holds.
const ROOM: usize = 36;
/// Connections the std runtime keeps beyond `max_clients` so the core can deliver refusals.
const STD_REFUSAL_HEADROOM: usize = 64;
/// Connections from each host, where the open-files limit allows it.
const PER_HOST: usize = 300;
/// Connections made before their first lines are read, so the accept backlog never overflows.
const WAVE: usize = 100;
/// The two hosts the storm comes from.
const HOSTS: [IpAddr; 2] = [IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1)), IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2))];

/// The [`HOSTS`] this machine has: Linux answers on all of 127.0.0.0/8, macOS only on
/// 127.0.0.1 unless more are configured.
fn hosts() -> Vec<IpAddr> {
    HOSTS.into_iter().filter(|&ip| TcpListener::bind((ip, 0)).is_ok()).collect()
}

fn a_storm_from_two_hosts_is_welcomed_or_refused_never_cut_off(runtime: Runtime) {
    // The room, the core's refusals in flight, and no thread to spare beyond them: the rest of
    // the storm meets the std runtime's cap.
    chat_runtime_std::set_max_connections(ROOM + STD_REFUSAL_HEADROOM);
    let hosts = hosts();
    let storm = crowd_size(PER_HOST * HOSTS.len());
    let server = TestServer::start(runtime, Config { max_clients: ROOM, ..chat_tests::config() });
    let full = format!("! The server is full ({ROOM} people); try again later.");
    // Every client is kept open until the end, so the ones let in stay in.
    let mut clients: Vec<Client> = Vec::with_capacity(storm);
    let mut welcomed = 0;
    while clients.len() < storm {
        let wave: Vec<Client> = (clients.len()..(clients.len() + WAVE).min(storm))
            .map(|i| {
                let host = hosts[i % hosts.len()];
                Client::connect_from(host, server.addr(), &format!("c{i}@{host}"), ClientOptions::default())
            })
            .collect();
        for mut client in wave {
            client.set_recording(false);
            // A connection closed without a line fails here.
            if client.expect_admission(&full) == Admission::Welcomed {
                welcomed += 1;
            }
            clients.push(client);
        }
    }
    assert_eq!(welcomed, ROOM, "clients let into a room for {ROOM}");
}
