//! Graceful shutdown in the middle of traffic: clients still sending when the server stops get
//! the shutdown notice after whole lines, as their last line, then a clean close; nothing is
//! lost to a reset.

use std::thread;
use std::time::Duration;

use chat_core::Config;
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Client, Deadline, End, Progress, Runtime, SHUTDOWN_NOTICE, TestServer, both_runtimes};

both_runtimes!(shutdown_while_clients_are_sending);

/// Lines each talker would send if the server never stopped (2 MB).
const LINES: usize = 20_000;
/// Lines per `write_all`.
const CHUNK: usize = 100;
/// Traffic lines the listener reads from each talker before the stop.
const BEFORE_STOP: usize = 500;

fn length(index: usize) -> usize {
    40 + index % 120
}

fn shutdown_while_clients_are_sending(runtime: Runtime) {
    // No flood control, a queue cap high enough that no reader is ever too slow here, and a
    // wind-down long enough for the listener to read the megabytes queued for it on a busy
    // machine: the server closes whoever has not read everything by then, dropping the rest
    // with the notice (by design: a shutdown is bounded), which is not what this test is about.
    let config = Config {
        flood_rate: 0.0,
        max_queue: 64 << 20,
        close_linger: Duration::from_secs(30),
        ..chat_tests::config()
    };
    let server = TestServer::start(runtime, config);
    let mut clients: Vec<Client> = Vec::new();
    for label in ["talker0", "talker1", "listener"] {
        let client = server.join(label);
        for earlier in &mut clients {
            earlier.expect_line(&format!("*** {} entered the room", client.default_name()));
        }
        clients.push(client);
    }
    let names: Vec<String> = clients.iter().map(Client::default_name).collect();
    let heard = Progress::new();
    let deadline = Deadline::after(Duration::from_secs(60));

    thread::scope(|scope| {
        for (me, client) in clients.iter_mut().enumerate() {
            client.set_recording(false);
            if me < 2 {
                let mut writer = client.writer();
                // Sends until the server closes the connection (then a send fails).
                scope.spawn(move || {
                    for start in (0..LINES).step_by(CHUNK) {
                        if writer.try_send_raw(&traffic::lines(me, start..start + CHUNK, length)).is_err() {
                            return;
                        }
                    }
                });
            }
            let (names, heard) = (&names, &heard);
            scope.spawn(move || read_to_the_end(me, client, names, heard, deadline));
        }
        heard.wait_for(2 * BEFORE_STOP, deadline, "traffic lines heard by the listener");
        server.stop();
    });
}

/// Reads one client's stream to its end: traffic in order per sender, then the notice as the
/// very last line, then a clean close.
fn read_to_the_end(me: usize, client: &mut Client, names: &[String], heard: &Progress, deadline: Deadline) {
    let mut delivery = Delivery::new();
    for sender in (0..2).filter(|&sender| sender != me) {
        delivery.expect_from(&names[sender], sender, LINES, length);
    }
    let mut last = None;
    let end = loop {
        match client.try_next_line(deadline) {
            Ok(line) => {
                match delivery.accept(&line) {
                    Ok(true) => {}
                    Ok(false) => {
                        assert_eq!(line, SHUTDOWN_NOTICE, "client {}: unexpected line", client.label())
                    }
                    Err(error) => panic!("client {}: {error}", client.label()),
                }
                if me == 2 {
                    heard.reach(names.iter().map(|name| delivery.received_from(name)).sum());
                }
                last = Some(line);
            }
            Err(end) => break end,
        }
    };
    assert_eq!(
        last.as_deref(),
        Some(SHUTDOWN_NOTICE),
        "client {}: the last line before the close is not the notice ({})",
        client.label(),
        delivery.progress()
    );
    match end {
        End::Closed { partial } if partial.is_empty() => {}
        end => panic!("client {}: expected a clean close after the notice, got {end:?}", client.label()),
    }
}
