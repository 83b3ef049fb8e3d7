//! A short soak: well-behaved chatters talk in rounds while, beside them, clients reset their
//! connections, stop reading, flood, send over-long lines and invalid UTF-8, and quit. The
//! chatters must lose, duplicate and reorder nothing, and hear no error.
//!
//! Bounded by work, not time: the misbehaving clients run a fixed schedule of actions, and the
//! chatters send one round of lines per action (so they cannot finish before the trouble does),
//! reading all the while. It takes a few seconds per runtime in a debug build.

use std::collections::BTreeSet;
use std::thread;
use std::time::Duration;

use chat_core::Config;
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Client, ClientOptions, Deadline, Progress, Runtime, TestServer, both_runtimes};

both_runtimes!(chatters_unharmed_by_misbehaving_clients);

/// Well-behaved chatters.
const CHATTERS: usize = 4;
/// Misbehaving actions, and so rounds of chat.
const ACTIONS: usize = 60;
/// Lines per chatter per round. A chatter sends 1 + ACTIONS × ROUND = 601 lines in all, under
/// the flood burst of the config below, so flood control never touches it however the
/// machine schedules things.
const ROUND: usize = 10;
/// The whole soak must be over by then.
const BUDGET: Duration = Duration::from_secs(90);

fn length(index: usize) -> usize {
    12 + (index * 37) % 700
}

fn config() -> Config {
    // A stopped reader is dropped once its socket has taken nothing for 2 s with more than the
    // soft limit queued: soon enough for the chatters to see it while they wait for it.
    Config {
        flood_rate: 50.0,
        flood_burst: 1_000,
        flood_kick: 30,
        write_deadline: Duration::from_secs(2),
        ..chat_tests::config()
    }
}

fn chatters_unharmed_by_misbehaving_clients(runtime: Runtime) {
    let server = TestServer::start(runtime, config());
    let deadline = Deadline::after(BUDGET);
    let mut chatters: Vec<Client> = (0..CHATTERS).map(|i| server.join(&format!("good{i}"))).collect();
    for (i, chatter) in chatters.iter_mut().enumerate() {
        chatter.set_recording(false);
        chatter.send_line(&format!("/nick good{i}"));
        let confirmation = format!("*** You are now known as good{i}");
        chatter.read_until(&confirmation, deadline, |line| line == confirmation);
    }
    let progress = Progress::new();

    let reasons = thread::scope(|scope| {
        let chatting: Vec<_> = chatters
            .iter_mut()
            .enumerate()
            .map(|(me, chatter)| {
                let progress = &progress;
                scope.spawn(move || chat(me, chatter, progress, deadline))
            })
            .collect();
        // The stopped readers stay connected until the chatters are done, so that the server
        // may still find them too slow rather than see their connections reset.
        let stopped = misbehave(&server, &progress, deadline);
        let reasons =
            chatting.into_iter().map(|chat| chat.join().expect("a chatter failed")).collect::<Vec<_>>();
        drop(stopped);
        reasons
    });
    // The trouble really happened: each kind of departure was seen by every chatter. (Whether a
    // stopped reader is dropped as too slow within the soak depends on how much the kernel
    // buffered for it; that drop has its own tests, in backpressure.rs and slow_reader.rs.)
    for (me, reasons) in reasons.iter().enumerate() {
        for reason in ["connection lost", "flooding", "left", "quit: had enough"] {
            assert!(
                reasons.contains(reason),
                "good{me} never saw anyone go offline ({reason}); saw {reasons:?}"
            );
        }
    }

    // Everyone well-behaved is still in the room.
    let chatter = &mut chatters[0];
    chatter.send_line("/who");
    let answer = chatter.read_until("the /who answer", deadline, |line| line.contains(" here: "));
    let names = answer.last().expect("read_until returns the match");
    for i in 0..CHATTERS {
        assert!(names.contains(&format!("good{i}")), "good{i} is missing from {names:?}");
    }
}

/// One chatter: sends a round of lines per misbehaving action, while it reads and checks
/// every other chatter's lines (reading all along, so it never falls behind). Returns the
/// reasons of the offline notices it saw.
fn chat(me: usize, chatter: &mut Client, progress: &Progress, deadline: Deadline) -> BTreeSet<String> {
    let mut delivery = Delivery::new();
    for other in (0..CHATTERS).filter(|&other| other != me) {
        delivery.expect_from(&format!("good{other}"), other, ACTIONS * ROUND, length);
    }
    let mut writer = chatter.writer();
    let mut reasons = BTreeSet::new();
    thread::scope(|scope| {
        scope.spawn(move || {
            for round in 0..ACTIONS {
                progress.wait_for(round + 1, deadline, "misbehaving actions started");
                writer.send_raw(&traffic::lines(me, round * ROUND..(round + 1) * ROUND, length));
            }
        });
        while !delivery.is_complete() {
            let line = chatter.next_line_by(deadline);
            match delivery.accept(&line) {
                Ok(true) => {}
                Ok(false) => {
                    check_aside(me, &line);
                    if let Some(reason) =
                        line.split_once(" is offline (").and_then(|(_, r)| r.strip_suffix(')'))
                    {
                        reasons.insert(reason.to_owned());
                    }
                }
                Err(error) => panic!("good{me}: {error} (so far {})", delivery.progress()),
            }
        }
    });
    reasons
}

/// A line that is not a chatter's traffic: anything from the troublemakers is fine, but no
/// error for this chatter, no echo of its own lines and no chatter going offline.
fn check_aside(me: usize, line: &str) {
    assert!(!line.starts_with("! "), "good{me} got an error: {line:?}");
    assert!(!line.starts_with(&format!("<good{me}> ")), "good{me} got its own line back: {line:?}");
    assert!(
        !(line.starts_with("*** good") && line.contains(" is offline")),
        "good{me} saw a chatter leave: {line:?}"
    );
}

/// Runs the misbehaving clients' schedule, telling the chatters as each action starts. Returns
/// the clients that stopped reading, still connected.
fn misbehave(server: &TestServer, progress: &Progress, deadline: Deadline) -> Vec<Client> {
    let mut stopped: Vec<Client> = Vec::new();
    let mut rng = fastrand::Rng::with_seed(3);
    for action in 0..ACTIONS {
        let label = format!("trouble{action}");
        progress.advance();
        match action % 6 {
            0 => {
                // Reset in the middle of a line.
                let mut client = server.join(&label);
                client.send_raw(b"half a li");
                client.reset();
            }
            1 => {
                // Stop reading, with a small receive buffer so the queue cap is reached.
                let client =
                    Client::connect(server.addr(), &label, ClientOptions { recv_buffer: Some(4096) });
                stopped.push(client);
            }
            2 => flood(server, &label, &mut rng, deadline),
            3 => {
                // Over-long lines, then a normal one: errors for this client only.
                let mut client = server.join(&label);
                for _ in 0..3 {
                    client.send_raw(&vec![b'L'; 5_000 + rng.usize(..10_000)]);
                    client.send_raw(b"\n");
                }
                client.send_line("back to normal");
                for _ in 0..3 {
                    client.read_until("the line-too-long error", deadline, |line| {
                        line.starts_with("! Line too long")
                    });
                }
                client.shutdown_write();
                client.recv_until_end(deadline);
            }
            4 => {
                // Invalid UTF-8 and control bytes, ending without a newline.
                let mut client = server.join(&label);
                let garbage: Vec<u8> = (0..2_000).map(|_| rng.u8(..)).collect();
                client.send_raw(&garbage);
                client.shutdown_write();
                client.recv_until_end(deadline);
            }
            _ => {
                let mut client = server.join(&label);
                client.send_line("/quit had enough");
                client.recv_until_end(deadline);
            }
        }
    }
    stopped
}

/// Sends far more than the flood limit allows in one go; the server drops the excess, warns,
/// and disconnects the flooder.
fn flood(server: &TestServer, label: &str, rng: &mut fastrand::Rng, deadline: Deadline) {
    let mut client = server.join(label);
    let mut writer = client.writer();
    let lines = 3_000 + rng.usize(..2_000);
    // About 0.7 MB gets through before the flood limit bites: one flood stays under the queue
    // cap for the chatters even if the kernel buffered none of it, and the ten floods together
    // push the first stopped readers past what the kernel buffers (up to 4 MB of send buffer
    // on Linux) and over their cap.
    let bytes = traffic::lines(99, 0..lines, |_| 700);
    // The server may close the connection before it has read everything: a failed send is
    // part of the scenario.
    let sending = thread::spawn(move || writer.try_send_raw(&bytes));
    let (lines, _end) = client.recv_until_end(deadline);
    let _ = sending.join().expect("the flood sender does not panic");
    if let Some(last) = lines.last() {
        assert!(
            lines
                .iter()
                .all(|line| ["*** ", "! ", "<", "--- ", "["].iter().any(|start| line.starts_with(start))),
            "the flooder {label} got an odd line, last {last:?}"
        );
    }
}
