//! A client that stops reading while two others exchange 50 MB: the server disconnects it as
//! too slow (with the notice to the others), and the others keep going and lose nothing.
//!
//! The heaviest scenario of the suite: 50 MB through the server in a debug build takes a few
//! seconds per runtime; it is sized as the issue asks because smaller volumes could hide in
//! kernel socket buffers without ever reaching the queue cap.

use std::thread;
use std::time::Duration;

use chat_core::Config;
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Client, ClientOptions, Deadline, End, Progress, Runtime, TestServer, both_runtimes};

both_runtimes!(silent_client_is_dropped_while_others_exchange_50_mb);

/// Bytes per line (before the `<NAME> ` prefix the server adds).
const LINE: usize = 1_000;
/// Lines each of the two talkers sends: 2 × 25,000 × 1,000 bytes = 50 MB.
const LINES: usize = 25_000;
/// Lines per `write_all`.
const CHUNK: usize = 250;
/// How many lines a talker may be ahead of what the other talker has read (about 0.5 MB with
/// the chunk in flight). A debug-build reader can be slower than a writer; without this window
/// a talker could fall a megabyte behind and be dropped as too slow, which is right for the
/// server but not what this test is about.
const WINDOW: usize = 250;
/// The whole exchange must be over by then.
const BUDGET: Duration = Duration::from_secs(90);

fn length(_: usize) -> usize {
    LINE
}

fn silent_client_is_dropped_while_others_exchange_50_mb(runtime: Runtime) {
    // Flood control off; the queue cap (`max_queue`) stays at its default of 1 MiB.
    let server = TestServer::start(runtime, Config { flood_rate: 0.0, ..chat_tests::config() });
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));
    // A small receive buffer, so the kernel does not soak up megabytes for the silent client.
    let mut silent = Client::connect(server.addr(), "silent", ClientOptions { recv_buffer: Some(4096) });
    // It reads its welcome (which gives its name), and nothing more.
    silent.expect_welcome();
    let silent_name = silent.default_name();
    for talker in [&mut a, &mut b] {
        talker.expect_line(&format!("*** {silent_name} entered the room"));
        talker.set_recording(false);
    }
    let names = [a.default_name(), b.default_name()];
    let deadline = Deadline::after(BUDGET);

    // `read[i]`: how many of talker i's lines the other talker has read.
    let read = [Progress::new(), Progress::new()];
    thread::scope(|scope| {
        for (me, talker) in [&mut a, &mut b].into_iter().enumerate() {
            let mut writer = talker.writer();
            let read = &read;
            scope.spawn(move || {
                for start in (0..LINES).step_by(CHUNK) {
                    read[me].wait_for(
                        start.saturating_sub(WINDOW),
                        deadline,
                        "lines read by the other talker",
                    );
                    writer.send_raw(&traffic::lines(me, start..start + CHUNK, length));
                }
            });
            let other = 1 - me;
            let names = &names;
            let silent_name = &silent_name;
            scope.spawn(move || {
                let mut delivery = Delivery::new();
                delivery.expect_from(&names[other], other, LINES, length);
                let others = talker.receive_traffic_reporting(&mut delivery, deadline, Some(&read[other]));
                assert_eq!(
                    others,
                    [format!("*** {silent_name} is offline (too slow)")],
                    "client {}: besides the traffic, exactly the too-slow notice",
                    talker.label()
                );
            });
        }
    });

    // The silent client now reads what reached it before it was cut off (after the welcome it
    // read at once): a prefix of each talker's traffic in order, then a clean close. The close
    // may cut the last line short (what was still queued in the server is dropped), never
    // anything else.
    silent.set_recording(false);
    let mut delivery = Delivery::new();
    for (sender, name) in names.iter().enumerate() {
        delivery.expect_from(name, sender, LINES, length);
    }
    let (lines, end) = silent.recv_until_end(Deadline::after(BUDGET));
    for line in &lines {
        match delivery.accept(line) {
            Ok(true) => {}
            Ok(false) => panic!("the silent client got an unexpected line {line:?}"),
            Err(error) => panic!("the silent client: {error}"),
        }
    }
    assert!(!delivery.is_complete(), "the silent client was never cut off: {}", delivery.progress());
    match end {
        End::Closed { partial } => {
            let partial = String::from_utf8_lossy(&partial);
            let cut_short_line = names.iter().enumerate().any(|(sender, name)| {
                let next = delivery.received_from(name);
                format!("<{name}> {}", traffic::line_text(sender, next, LINE)).starts_with(&*partial)
            });
            assert!(cut_short_line, "the silent client's last bytes are no prefix of a line: {partial:?}");
        }
        End::Failed(error) => panic!("the silent client's connection was not closed cleanly: {error}"),
    }
}

both_runtimes!(shutdown_is_not_held_up_by_a_client_that_stopped_reading);

/// A client that stopped reading holds megabytes queued in the server when it shuts down: the
/// others still get the notice and a clean close, and the server finishes after its grace
/// period instead of waiting for the stuck client forever.
fn shutdown_is_not_held_up_by_a_client_that_stopped_reading(runtime: Runtime) {
    /// 8 MB: more than the kernel buffers for the stuck client (up to 4 MB of send buffer), so
    /// the rest waits in the server.
    const LINES: usize = 8_000;
    let config = Config {
        flood_rate: 0.0,
        max_queue: 64 << 20,
        close_linger: Duration::from_millis(300),
        ..chat_tests::config()
    };
    let server = TestServer::start(runtime, config);
    let mut talker = server.join("talker");
    let mut listener = server.join("listener");
    talker.expect_line(&format!("*** {} entered the room", listener.default_name()));
    let mut stuck = Client::connect(server.addr(), "stuck", ClientOptions { recv_buffer: Some(4096) });
    // It reads its welcome (which gives its name), and nothing more.
    stuck.expect_welcome();
    talker.expect_line(&format!("*** {} entered the room", stuck.default_name()));
    listener.expect_line(&format!("*** {} entered the room", stuck.default_name()));

    listener.set_recording(false);
    let mut writer = talker.writer();
    let sending = thread::spawn(move || writer.send_raw(&traffic::lines(0, 0..LINES, length)));
    let mut delivery = Delivery::new();
    delivery.expect_from(&talker.default_name(), 0, LINES, length);
    let others = listener.receive_traffic(&mut delivery, Deadline::after(BUDGET));
    assert!(others.is_empty(), "the listener got {others:?} besides the traffic");
    sending.join().expect("the talker's sender does not panic");

    server.stop();
    for client in [&mut talker, &mut listener] {
        client.expect_line(chat_tests::SHUTDOWN_NOTICE);
        client.expect_closed();
    }
    drop((talker, listener));
    server.stop_and_wait(Deadline::standard());
    drop(stuck);
}
