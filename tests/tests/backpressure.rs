//! Backpressure (issue 9, items 1 and 2): a client that reads is never dropped however far the
//! server is ahead of it, and a crowd of clients that never read cannot make the server hold
//! more than its memory budget or stall the room: they are dropped, and the lines of everyone
//! else arrive whole, once, in order.

use std::thread;
use std::time::Duration;

use chat_core::Config;
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Client, ClientOptions, Deadline, TestServer, both_runtimes};

both_runtimes!(
    a_fast_reader_is_never_dropped_by_an_unpaced_sender,
    non_readers_are_dropped_and_the_room_keeps_talking,
    a_client_that_stops_reading_gets_every_line_in_order_when_it_reads_again
);

/// Bytes per line (before the `<NAME> ` prefix the server adds).
const LINE: usize = 1_000;

fn length(_: usize) -> usize {
    LINE
}

/// One sender writes 20 MB of 1 KB lines as fast as the socket takes them (flood control off);
/// one client reads as fast as it can. The server is far ahead of the reader most of the time,
/// but the reader's socket keeps taking bytes: it must get every line and never be dropped.
/// (Before, the std runtime dropped it as too slow after 1,000-1,500 lines.)
fn a_fast_reader_is_never_dropped_by_an_unpaced_sender(runtime: chat_tests::Runtime) {
    const LINES: usize = 20_000;
    const CHUNK: usize = 500;
    let server = TestServer::start(runtime, Config { flood_rate: 0.0, ..chat_tests::config() });
    let sender = server.join("sender");
    let mut reader = server.join("reader");
    reader.set_recording(false);
    let mut writer = sender.writer();
    let sending = thread::spawn(move || {
        for start in (0..LINES).step_by(CHUNK) {
            writer.send_raw(&traffic::lines(0, start..start + CHUNK, length));
        }
    });
    let name = sender.default_name();
    let mut delivery = Delivery::new();
    delivery.expect_from(&name, 0, LINES, length);
    let others = reader.receive_traffic(&mut delivery, Deadline::after(Duration::from_secs(120)));
    assert!(others.is_empty(), "the reader got {others:?} besides the traffic");
    sending.join().expect("the sender does not panic");
}

/// The attack of issue 9 item 2, scaled down: 200 connections with a 4 KiB receive buffer that
/// never read each send `/nick` and their allowed burst of 29 lines, which the server fans out
/// to all 202 clients. The lines are 1,000 bytes rather than one character, so that what each
/// attacker is sent (6 MB) overflows the kernel's socket buffers (up to 4 MB) as the full-size
/// attack does. With a memory budget of 4 MiB (the default is 256 MiB), the server holds at
/// most that: it pauses reading when over it and drops the stuck attackers holding the most.
/// Two people keep talking meanwhile and lose nothing.
fn non_readers_are_dropped_and_the_room_keeps_talking(runtime: chat_tests::Runtime) {
    const ATTACKERS: usize = 200;
    const SAID: usize = 20;
    let config = Config { max_memory: 4 << 20, ..chat_tests::config() };
    let server = TestServer::start(runtime, config);
    let talker = server.join("talker");
    let mut listener = server.join("listener");
    listener.set_recording(false);
    let name = talker.default_name();
    // The talker reads too, and drops what it reads: a client that reads is never dropped.
    let mut talker_out = talker.writer();
    let talker_reads = thread::spawn(move || {
        let mut talker = talker;
        talker.set_recording(false);
        talker.recv_until_end(Deadline::after(Duration::from_secs(120)))
    });
    // The listener reads all along, on its own thread.
    let listening = thread::spawn(move || {
        let deadline = Deadline::after(Duration::from_secs(60));
        let (mut heard, mut dropped) = (0, 0);
        while heard < SAID || dropped == 0 {
            let line = listener.next_line_by(deadline);
            if let Some(text) = line.strip_prefix(&format!("<{name}> ")) {
                assert_eq!(text, format!("still here {heard}"), "the talker's lines, once, in order");
                heard += 1;
            } else if line.starts_with("*** ")
                && (line.ends_with("(too slow)") || line.contains(" are offline: "))
            {
                dropped += 1;
            }
        }
        (listener, name)
    });
    let options = ClientOptions { recv_buffer: Some(4096) };
    let mut attackers: Vec<Client> = (0..ATTACKERS)
        .map(|i| Client::connect(server.addr(), &format!("attacker{i}"), options.clone()))
        .collect();
    for (i, attacker) in attackers.iter_mut().enumerate() {
        let mut burst = format!("/nick q{i:03}\n");
        (0..29).for_each(|_| {
            burst.push_str(&"x".repeat(LINE));
            burst.push('\n');
        });
        attacker.send_raw(burst.as_bytes());
    }
    for i in 0..SAID {
        talker_out.send_raw(format!("still here {i}\n").as_bytes());
    }
    // The talker's lines arrived, and attackers were dropped as too slow.
    let (mut listener, name) = listening.join().expect("the listener heard everything");
    // Once the attackers are gone, the room still works for the two who read.
    drop(attackers);
    talker_out.send_raw(b"after the storm\n");
    let deadline = Deadline::after(Duration::from_secs(60));
    while listener.next_line_by(deadline) != format!("<{name}> after the storm") {}
    talker_out.send_raw(b"/quit\n");
    talker_reads.join().expect("the talker reads until the server closes it");
}

/// A client with a small receive buffer stops reading while 500 KB is said in its room: its
/// socket fills, and the server parks it (what it is owed waits in the room's log, not queued
/// line by line) while another client hears everything. When it reads again it gets every
/// line, once, in order. The limits are generous so that it is surely not dropped meanwhile
/// (no timing in the test).
fn a_client_that_stops_reading_gets_every_line_in_order_when_it_reads_again(runtime: chat_tests::Runtime) {
    const LINES: usize = 500;
    let config = Config {
        flood_rate: 0.0,
        blocked_grace: Duration::from_secs(600),
        write_deadline: Duration::from_secs(600),
        ..chat_tests::config()
    };
    let server = TestServer::start(runtime, config);
    let mut sender = server.join("sender");
    let mut hearer = server.join("hearer");
    hearer.set_recording(false);
    let mut sleeper = Client::connect(server.addr(), "sleeper", ClientOptions { recv_buffer: Some(4096) });
    sleeper.expect_welcome();
    sleeper.set_recording(false);
    let name = sender.default_name();
    // Everyone's arrival is out of the way before the traffic starts.
    sender.send_line("/who");
    sender.read_until("the answer to /who", Deadline::standard(), |line| line.starts_with("*** 3 here"));
    sender.send_raw(&traffic::lines(0, 0..LINES, length));
    let mut delivery = Delivery::new();
    delivery.expect_from(&name, 0, LINES, length);
    hearer.receive_traffic(&mut delivery, Deadline::after(Duration::from_secs(120)));
    // Everything was said and fanned out; only now does the sleeper read.
    let mut delivery = Delivery::new();
    delivery.expect_from(&name, 0, LINES, length);
    sleeper.receive_traffic(&mut delivery, Deadline::after(Duration::from_secs(120)));
}
