//! Telling a server's flood control from loss: a load far above a person's pace against our
//! server with its default limits is refused with a notice, and the lines it refused would
//! otherwise be reported as hundreds of thousands of lost lines.

/// The words of our server's flood-control notice (docs/PROTOCOL.md: `! You are sending too
/// fast: lines are being dropped. ...`).
const NOTICE: &[u8] = b"You are sending too fast";

/// Whether `line` from the server is its flood-control notice.
pub fn is_notice(line: &[u8]) -> bool {
    memchr::memmem::find(line, NOTICE).is_some()
}

/// What to tell the user when the server answered the load with `notice`.
pub fn advice(notice: &str) -> String {
    format!(
        "the server's flood control is on: it refused the senders' lines (it said \"{}\"), so \
         this run would only measure lines dropped on purpose. Run the server for benchmarking \
         with flood control off: `chat serve --flood-rate 0` (and `--max-clients` above --clients)",
        notice.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};
    use std::thread::{self, JoinHandle};
    use std::time::Duration;

    use super::*;
    use crate::load::shared::Plan;
    use crate::load::testing::run_plan;

    const REFUSAL: &str =
        "! You are sending too fast: lines are being dropped. Slow down or you will be disconnected.";

    /// A two-person room with flood control: warm-up lines (`@S`) go to the other person, measured
    /// lines (`@M`, sent unpaced) are refused with our server's notice.
    fn strict_room() -> (SocketAddr, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("address");
        let room = thread::spawn(move || {
            let people: Vec<TcpStream> = (0..2).map(|_| listener.accept().expect("accept").0).collect();
            let writers = Arc::new(Mutex::new(
                people.iter().map(|p| p.try_clone().expect("clone")).collect::<Vec<_>>(),
            ));
            let readers: Vec<_> = people
                .into_iter()
                .enumerate()
                .map(|(me, person)| {
                    let writers = Arc::clone(&writers);
                    thread::spawn(move || {
                        for line in BufReader::new(person).lines() {
                            let Ok(line) = line else { break };
                            let mut writers = writers.lock().expect("writers");
                            let _ = if line.contains("@S") {
                                writeln!(writers[1 - me], "<someone> {line}")
                            } else {
                                writeln!(writers[me], "{REFUSAL}")
                            };
                        }
                    })
                })
                .collect();
            for reader in readers {
                let _ = reader.join();
            }
        });
        (addr, room)
    }

    #[test]
    fn flood_control_is_named_with_the_way_to_turn_it_off() {
        let (addr, room) = strict_room();
        let plan = Plan {
            addrs: vec![addr],
            clients: 2,
            senders: 1,
            messages: 10_000,
            size: 64,
            rate: None,
            connect_rate: None,
            threads: 1,
            run: 7,
            sync_interval: Duration::from_millis(50),
            check_control: false,
            stop_at_flood_control: true,
            wire: crate::load::wire::Wire::Tcp,
            tls: None,
            host: String::new(),
        };
        let error = match run_plan(plan, Duration::from_secs(5)) {
            Ok(measured) => {
                panic!("the run ended with {} lines lost instead of naming flood control", measured.lost)
            }
            Err(error) => error,
        };
        let message = format!("{error:#}");
        assert!(message.contains("flood control is on"), "{message}");
        assert!(message.contains("--flood-rate 0"), "{message}");
        room.join().expect("the room ends when the bench closes its connections");
    }

    #[test]
    fn only_the_flood_notice_counts() {
        assert!(is_notice(REFUSAL.as_bytes()));
        assert!(!is_notice(b"! The server is full (10000 people); try again later."));
    }
}
