//! Graceful shutdown of the std runtime.

mod support;

use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use chat_core::Config;
use support::TestServer;

const GOODBYE: &str = "*** Server is shutting down. Goodbye!";

#[test]
fn stop_sends_every_client_the_notice_and_wait_returns() {
    let server = TestServer::start(Config::default());
    let mut clients: Vec<_> = (0..5).map(|_| server.join()).collect();
    let names: Vec<String> = clients.iter().map(|c| c.name.clone()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        // Each sees the joins of those who came after it.
        for name in &names[i + 1..] {
            assert_eq!(client.line(), format!("*** {name} entered the room"));
        }
    }
    let addr = server.addr;
    server.stopper.stop();
    for mut client in clients {
        assert_eq!(client.line(), GOODBYE);
        client.expect_closed();
    }
    server.wait();
    assert!(TcpStream::connect(addr).is_err(), "the listener is closed after wait()");
}

#[test]
fn stop_with_nobody_connected_ends_at_once_and_is_idempotent() {
    let server = TestServer::start(Config::default());
    let stopper = server.stopper.clone();
    stopper.stop();
    stopper.stop();
    server.stop();
    // Stopping a server that has ended does nothing.
    stopper.stop();
}

#[test]
fn stop_serves_every_listener_and_ends_all_of_them() {
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let v4_addr = v4.local_addr().unwrap();
    let mut listeners = vec![v4];
    let v6 = TcpListener::bind("[::1]:0").ok();
    let v6_addr = v6.as_ref().map(|l| l.local_addr().unwrap());
    listeners.extend(v6);
    let running = chat_runtime_std::spawn(listeners, Config::default()).unwrap();
    let mut a = support::Client::connect(v4_addr);
    a.line();
    let mut b = v6_addr.map(support::Client::connect);
    if let Some(b) = &mut b {
        b.line();
        assert_eq!(a.line(), format!("*** {} entered the room", b.name));
    }
    running.stopper().stop();
    for mut client in std::iter::once(a).chain(b) {
        assert_eq!(client.line(), GOODBYE);
        client.expect_closed();
    }
    running.wait().unwrap();
}

#[test]
fn a_client_that_does_not_hang_up_delays_the_end_by_the_grace_period_at_most() {
    let config = Config { close_linger: Duration::from_millis(300), ..Config::default() };
    let server = TestServer::start(config);
    let mut stubborn = server.join();
    server.stopper.stop();
    assert_eq!(stubborn.line(), GOODBYE);
    stubborn.expect_closed();
    // It has not closed its side: the server cuts it off after the linger instead of waiting.
    server.wait();
    drop(stubborn);
}
