//! The ideal broadcaster over loopback: what it passes on, to whom, and under the load tool.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use super::Broadcaster;
use crate::load::shared::Plan;
use crate::load::testing::run_plan;

/// Longest wait for one line; a broadcaster that loses it fails the test instead of hanging it.
const DEADLINE: Duration = Duration::from_secs(10);

struct Client {
    writer: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn connect(broadcaster: &Broadcaster) -> Self {
        let writer = TcpStream::connect(broadcaster.local_addr()).expect("connect");
        writer.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
        let reader = BufReader::new(writer.try_clone().expect("clone"));
        Self { writer, reader }
    }

    fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).expect("send");
    }

    /// The next line, or `None` if none came within the read timeout.
    fn try_line(&mut self) -> Option<String> {
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(n) if n > 0 && line.ends_with('\n') => Some(line),
            Ok(0) => panic!("the broadcaster closed the connection"),
            _ => {
                assert!(line.is_empty(), "half a line arrived: {line:?}");
                None
            }
        }
    }

    /// The next line that is not `skip`, within the deadline.
    fn line(&mut self, skip: &str) -> String {
        for _ in 0..DEADLINE.as_millis() / 100 {
            match self.try_line() {
                Some(line) if line == skip => {}
                Some(line) => return line,
                None => {}
            }
        }
        panic!("no line within {DEADLINE:?}");
    }
}

/// Repeats `ping` from `from` until `to` hears one: then both are in the room.
fn until_heard(from: &mut Client, to: &mut Client) {
    for _ in 0..DEADLINE.as_millis() / 100 {
        from.send("ping\n");
        if to.try_line().as_deref() == Some("ping\n") {
            return;
        }
    }
    panic!("the broadcaster never passed a line on");
}

fn start(threads: usize) -> Broadcaster {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    Broadcaster::start(listener, threads).expect("start")
}

#[test]
fn every_line_goes_whole_and_in_order_to_every_other_connection() {
    let broadcaster = start(2);
    let mut alice = Client::connect(&broadcaster);
    let mut bob = Client::connect(&broadcaster);
    until_heard(&mut alice, &mut bob);
    let mut carol = Client::connect(&broadcaster);
    until_heard(&mut alice, &mut carol);

    // A line in two pieces goes on only once it is whole, and as it was sent.
    alice.send("one\ntw");
    assert_eq!(bob.line("ping\n"), "one\n");
    assert_eq!(carol.line("ping\n"), "one\n");
    alice.send("o\n\n");
    for receiver in [&mut bob, &mut carol] {
        assert_eq!(receiver.line("ping\n"), "two\n");
        assert_eq!(receiver.line("ping\n"), "\n");
    }
    // The sender never gets its own lines back: the first line Alice gets is Bob's.
    bob.send("three\n");
    assert_eq!(alice.line(""), "three\n");
    assert_eq!(carol.line("ping\n"), "three\n");
    broadcaster.stop().expect("the workers stop cleanly");
}

#[test]
fn the_load_tool_measures_it_without_loss() {
    let broadcaster = start(2);
    let plan = Plan {
        addrs: vec![broadcaster.local_addr()],
        clients: 40,
        senders: 4,
        messages: 500,
        size: 64,
        rate: None,
        connect_rate: None,
        threads: 2,
        run: 11,
        sync_interval: Duration::from_millis(50),
        check_control: false,
        stop_at_flood_control: true,
        wire: crate::load::wire::Wire::Tcp,
        tls: None,
        host: String::new(),
    };
    let expected = plan.expected();
    let measured = run_plan(plan, Duration::from_secs(5)).expect("the run completes");
    assert_eq!(measured.counts.delivered, expected);
    assert_eq!(measured.lost, 0);
    assert_eq!(measured.counts.duplicated + measured.counts.out_of_order + measured.counts.corrupted, 0);
    assert_eq!(measured.gone, 0);
    broadcaster.stop().expect("the workers stop cleanly");
}
