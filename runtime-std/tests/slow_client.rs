//! A client that stops reading is disconnected; the others lose nothing.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use chat_core::Config;
use support::TestServer;

/// The slow-client cap of this test.
const MAX_QUEUE: usize = 256 << 10;
/// Bytes per line sent.
const LINE: usize = 1024;
/// Lines the sender may be ahead of the reader: less than the cap, so the reader can never be
/// found too slow, however the threads are scheduled.
const WINDOW: u64 = (MAX_QUEUE / LINE / 2) as u64;
/// How often the reader tells the sender how far it got.
const ACK_EVERY: u64 = 16;
/// Most bytes the sender sends before giving up on the slow client being noticed.
const MAX_SENT: u64 = 512 << 20;

#[test]
fn a_client_that_stops_reading_is_disconnected_while_another_keeps_receiving() {
    let config = Config { flood_rate: 0.0, max_queue: MAX_QUEUE, ..Config::default() };
    let server = TestServer::start(config);
    let mut reader = server.join();
    let mut sender = server.join();
    let mut slow = server.join();
    assert_eq!(reader.line(), format!("*** {} entered the room", sender.name));
    assert_eq!(reader.line(), format!("*** {} entered the room", slow.name));
    assert_eq!(sender.line(), format!("*** {} entered the room", slow.name));

    // The sender streams numbered lines until the reader has seen the slow client go.
    let noticed = Arc::new(AtomicBool::new(false));
    let (acks, acked) = mpsc::channel::<u64>();
    let sending = {
        let noticed = Arc::clone(&noticed);
        thread::spawn(move || {
            let (mut lines, mut read) = (0, 0);
            while !noticed.load(Ordering::Acquire) && lines * LINE as u64 <= MAX_SENT {
                while lines - read >= WINDOW {
                    read = acked.recv().expect("the reader acknowledges");
                }
                let number = format!("{lines:010} ");
                sender.send(&format!("{number}{}\n", "x".repeat(LINE - number.len() - 1)));
                lines += 1;
            }
            sender.send("end\n");
            (sender, lines)
        })
    };

    let offline = format!("*** {} is offline (too slow)", slow.name);
    let mut read = 0_u64;
    let mut notices = 0;
    loop {
        let line = reader.line();
        if line == offline {
            notices += 1;
            noticed.store(true, Ordering::Release);
            continue;
        }
        let text = line.split_once("> ").expect("a message").1;
        if text == "end" {
            break;
        }
        let number: u64 = text.split(' ').next().unwrap().parse().unwrap();
        assert_eq!(number, read, "every line arrives once, in order");
        read += 1;
        if read.is_multiple_of(ACK_EVERY) {
            let _ = acks.send(read);
        }
    }
    let (mut sender, lines) = sending.join().unwrap();
    assert_eq!(notices, 1, "the slow client was disconnected (after {lines} lines)");
    assert_eq!(read, lines, "the reader got every line");
    assert_eq!(sender.line(), offline);

    // The slow client gets what had reached its socket, then the end of the connection.
    while slow.next_line().is_some() {}
    drop((reader, sender, slow));
    server.stop();
}
