//! 2,000 concurrent connections that all receive one broadcast.
//!
//! Client and server share this process, so each connection costs two file descriptors here:
//! 4,000 of the 20,000 allowed. The std runtime's threads per connection make this its
//! heaviest test; 2,000 is sized to stay a few seconds in a debug build.

use chat_core::Config;
use chat_tests::{Client, Deadline, Runtime, TestServer, both_runtimes};

both_runtimes!(two_thousand_clients_hear_one_broadcast);

const CLIENTS: usize = 2_000;
/// Clients connected before their welcomes are read, so the accept backlog never overflows.
const WAVE: usize = 100;

fn two_thousand_clients_hear_one_broadcast(runtime: Runtime) {
    let server = TestServer::start(runtime, Config::default());
    let mut clients: Vec<Client> = Vec::with_capacity(CLIENTS);
    while clients.len() < CLIENTS {
        let wave: Vec<Client> = (clients.len()..(clients.len() + WAVE).min(CLIENTS))
            .map(|i| server.connect(&format!("c{i}")))
            .collect();
        for mut client in wave {
            client.set_recording(false);
            client.expect_welcome();
            clients.push(client);
        }
    }

    // Above 100 people, joins are announced as periodic summaries, which may arrive before or
    // after the broadcast: every client reads until the broadcast and must see nothing else
    // but notices.
    let (speaker, listeners) = clients.split_first_mut().expect("there are clients");
    let expected = format!("<{}> hello, all 2000 of you", speaker.default_name());
    speaker.send_line("hello, all 2000 of you");
    let deadline = Deadline::standard();
    for client in listeners.iter_mut() {
        let lines = client.read_until(&expected, deadline, |line| line == expected);
        let unexpected: Vec<&String> =
            lines[..lines.len() - 1].iter().filter(|l| !l.starts_with("*** ")).collect();
        assert!(unexpected.is_empty(), "client {} got unexpected lines: {unexpected:?}", client.label());
    }
    // The room really holds all of them.
    speaker.send_line("/who");
    let answer = speaker.read_until("the /who answer", Deadline::standard(), |line| line.contains(" here: "));
    let count = answer.last().expect("read_until returns the match");
    assert!(count.starts_with(&format!("*** {CLIENTS} here: ")), "the /who answer: {count}");
}
