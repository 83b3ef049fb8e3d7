//! Leaving with a backlog: after `/quit`, everything already queued for the client is sent
//! before the connection closes.

use std::thread;
use std::time::Duration;

use chat_core::Config;
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Client, ClientOptions, Deadline, Runtime, TestServer, both_runtimes};

both_runtimes!(quit_delivers_the_backlog_first);

/// 8 MB: more than the kernel buffers for a client that is not reading (up to 4 MB of send
/// buffer), so the rest is still queued in the server when the client quits.
const LINES: usize = 8_000;
const LINE: usize = 1_000;

fn length(_: usize) -> usize {
    LINE
}

fn quit_delivers_the_backlog_first(runtime: Runtime) {
    // A queue cap above the backlog, and a grace period long enough for a debug-build reader.
    let config = Config {
        flood_rate: 0.0,
        max_queue: 16 << 20,
        close_linger: Duration::from_secs(30),
        ..Config::default()
    };
    let server = TestServer::start(runtime, config);
    let mut talker = server.join("talker");
    let mut witness = server.join("witness");
    talker.expect_line(&format!("*** {} entered the room", witness.default_name()));
    let mut leaver = Client::connect(server.addr(), "leaver", ClientOptions { recv_buffer: Some(4096) });
    talker.expect_line(&format!("*** {} entered the room", leaver.default_name()));
    witness.expect_line(&format!("*** {} entered the room", leaver.default_name()));

    // The talker's lines reach the witness, so the server has queued them all for the leaver,
    // who has read nothing yet.
    let mut writer = talker.writer();
    let sending = thread::spawn(move || writer.send_raw(&traffic::lines(0, 0..LINES, length)));
    let mut delivery = Delivery::new();
    delivery.expect_from(&talker.default_name(), 0, LINES, length);
    witness.set_recording(false);
    let others = witness.receive_traffic(&mut delivery, Deadline::after(Duration::from_secs(60)));
    assert!(others.is_empty(), "the witness got {others:?} besides the traffic");
    sending.join().expect("the talker's sender does not panic");

    leaver.send_line("/quit busy");
    talker.expect_line(&format!("*** {} is offline (quit: busy)", leaver.default_name()));
    // Now the leaver reads: the welcome, the join notices it saw... all the traffic, then the
    // close.
    leaver.set_recv_buffer(1 << 20);
    leaver.expect_welcome();
    leaver.set_recording(false);
    let mut delivery = Delivery::new();
    delivery.expect_from(&talker.default_name(), 0, LINES, length);
    let lines = leaver.recv_all_until_closed(Deadline::after(Duration::from_secs(60)));
    for line in &lines {
        match delivery.accept(line) {
            Ok(true) => {}
            Ok(false) => panic!("the leaver got an unexpected line {line:?}"),
            Err(error) => panic!("the leaver: {error}"),
        }
    }
    assert!(delivery.is_complete(), "the leaver's backlog was cut short: {}", delivery.progress());
}
