//! Three clients each send a burst of 1,000 lines at once; every line reaches both others
//! exactly once, in order per sender, never split or merged.

use std::thread;

use chat_core::Config;
use chat_tests::traffic::{self, Delivery};
use chat_tests::{Deadline, Runtime, TestServer, WAIT, both_runtimes};

both_runtimes!(three_bursts_of_a_thousand);

const SENDERS: usize = 3;
const LINES: usize = 1_000;

/// Line lengths vary (with one line of the longest allowed length), so bursts cross read and
/// write boundaries at odd places. A recipient gets about 0.5 MB in all, well under the 1 MiB
/// queue cap, so however slowly this test reads no one can be dropped as too slow.
fn length(index: usize) -> usize {
    if index == LINES / 2 { chat_tests::config().max_line } else { [20, 300, 600, 75][index % 4] }
}

fn three_bursts_of_a_thousand(runtime: Runtime) {
    // Flood control off: this is about delivery, not rate limits.
    let server = TestServer::start(runtime, Config { flood_rate: 0.0, ..chat_tests::config() });
    let mut clients: Vec<chat_tests::Client> = Vec::new();
    for sender in 0..SENDERS {
        let client = server.join(&format!("s{sender}"));
        for earlier in &mut clients {
            earlier.expect_line(&format!("*** {} entered the room", client.default_name()));
        }
        clients.push(client);
    }
    let names: Vec<String> = clients.iter().map(|c| c.default_name()).collect();

    // Each burst is built as one buffer and written with one `write_all`.
    let bursts: Vec<Vec<u8>> = (0..SENDERS).map(|sender| traffic::lines(sender, 0..LINES, length)).collect();

    thread::scope(|scope| {
        for (sender, client) in clients.iter_mut().enumerate() {
            let mut writer = client.writer();
            let burst = &bursts[sender];
            scope.spawn(move || writer.send_raw(burst));
        }
        for (me, client) in clients.iter_mut().enumerate() {
            let names = &names;
            scope.spawn(move || {
                client.set_recording(false);
                let mut delivery = Delivery::new();
                for (sender, name) in names.iter().enumerate().filter(|&(sender, _)| sender != me) {
                    delivery.expect_from(name, sender, LINES, length);
                }
                let others = client.receive_traffic(&mut delivery, Deadline::after(WAIT));
                assert!(others.is_empty(), "client s{me} got unexpected lines: {others:?}");
            });
        }
    });
    // Nothing more, and in particular none of its own lines, reaches anyone.
    for (me, client) in clients.iter_mut().enumerate() {
        client.send_line("/who");
        let answer = client.next_line();
        assert!(answer.starts_with("*** 3 here: "), "client s{me}: after the bursts, got {answer:?}");
    }
}
