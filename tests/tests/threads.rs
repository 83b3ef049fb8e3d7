//! The smol runtime with a chosen number of I/O threads (`chat serve --threads N`): one room
//! whatever the thread count, every line to everyone exactly once and in order per sender,
//! and a graceful shutdown that reaches every client. (The other scenarios run with the
//! default count, one I/O thread; admin.rs also runs `/metrics` on two.) The std runtime
//! refuses the option.

use std::num::NonZeroUsize;
use std::thread;

use chat_core::Config;
use chat_core::kit::NoServices;
use chat_runtime::{Listener, Options};
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Client, Deadline, Runtime, SHUTDOWN_NOTICE, TestServer, WAIT};

/// More clients than threads, so that every thread serves some, in turn.
const CLIENTS: usize = 7;
const SENDERS: usize = 3;
const LINES: usize = 300;

fn length(index: usize) -> usize {
    [30, 200, 64][index % 3]
}

fn threads(count: usize) -> Options {
    Options { threads: Some(NonZeroUsize::new(count).expect("a thread count above zero")) }
}

#[test]
fn one_io_thread() {
    one_room_over(1);
}

#[test]
fn two_io_threads() {
    one_room_over(2);
}

#[test]
fn more_io_threads_than_clients_per_thread() {
    one_room_over(5);
}

/// `CLIENTS` clients on `count` I/O threads: arrivals, bursts from `SENDERS` of them reaching
/// all the others, and the shutdown notice reaching everyone.
fn one_room_over(count: usize) {
    let config = Config { flood_rate: 0.0, ..chat_tests::config() };
    let server = TestServer::start_threads(Runtime::Smol, config, threads(count));
    let mut clients: Vec<Client> = Vec::new();
    for index in 0..CLIENTS {
        let client = server.join(&format!("c{index}"));
        for earlier in &mut clients {
            earlier.expect_line(&format!("*** {} entered the room", client.default_name()));
        }
        clients.push(client);
    }
    let names: Vec<String> = clients.iter().map(Client::default_name).collect();
    thread::scope(|scope| {
        for (sender, client) in clients.iter().enumerate().take(SENDERS) {
            let mut writer = client.writer();
            scope.spawn(move || writer.send_raw(&traffic::lines(sender, 0..LINES, length)));
        }
        for (me, client) in clients.iter_mut().enumerate() {
            let names = &names;
            scope.spawn(move || {
                client.set_recording(false);
                let mut delivery = Delivery::new();
                for (sender, name) in
                    names.iter().enumerate().take(SENDERS).filter(|&(sender, _)| sender != me)
                {
                    delivery.expect_from(name, sender, LINES, length);
                }
                let others = client.receive_traffic(&mut delivery, Deadline::after(WAIT));
                assert!(
                    others.is_empty(),
                    "client c{me} on {count} threads got unexpected lines: {others:?}"
                );
            });
        }
    });
    server.stop();
    for (me, client) in clients.iter_mut().enumerate() {
        let lines = client.recv_all_until_closed(Deadline::standard());
        assert!(
            lines.iter().any(|line| line == SHUTDOWN_NOTICE),
            "client c{me} on {count} threads did not get the shutdown notice: {lines:?}"
        );
    }
    server.stop_and_wait(Deadline::standard());
}

#[test]
fn the_std_runtime_refuses_a_thread_count() {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    let services = Box::new(NoServices::default());
    let error = Runtime::Std
        .spawn_with_options(
            vec![Listener::plain(socket)],
            chat_tests::config(),
            services,
            Default::default(),
            threads(2),
        )
        .expect_err("the std runtime has no I/O threads to count");
    assert!(matches!(error, chat_runtime::Error::ThreadsOnStd), "{error:?}");
}
