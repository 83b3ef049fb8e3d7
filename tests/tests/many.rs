//! Up to 2,000 concurrent connections that all receive one broadcast.
//!
//! Client and server share this process, so each connection costs two file descriptors here,
//! and both runtimes' crowds are open at once: 8,000 descriptors. Where the open-files limit
//! is lower (a hard limit of 1,024), the crowd is scaled down to fit ([`crowd_size`]). The std
//! runtime's threads per connection make this its heaviest test; 2,000 is sized to stay a few
//! seconds in a debug build.

use chat_core::Config;
use chat_tests::open_files::crowd_size;
use chat_tests::{Admission, Client, Deadline, Runtime, TestServer, both_runtimes};

both_runtimes!(a_crowd_hears_one_broadcast, crowd_at_a_full_door);

/// The crowd, where the open-files limit allows it.
const CLIENTS: usize = 2_000;
/// Clients connected before their welcomes are read, so the accept backlog never overflows.
const WAVE: usize = 100;

fn a_crowd_hears_one_broadcast(runtime: Runtime) {
    let crowd = crowd_size(CLIENTS);
    let server = TestServer::start(runtime, chat_tests::config());
    let mut clients: Vec<Client> = Vec::with_capacity(crowd);
    while clients.len() < crowd {
        let wave: Vec<Client> = (clients.len()..(clients.len() + WAVE).min(crowd))
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
    let expected = format!("<{}> hello, all {crowd} of you", speaker.default_name());
    speaker.send_line(&format!("hello, all {crowd} of you"));
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
    assert!(count.starts_with(&format!("*** {crowd} here: ")), "the /who answer: {count}");
}

/// 60 clients connect at once to a room for 10: exactly 10 are welcomed, the other 50 get the
/// "full" error and a clean close, whatever order the runtime accepts them in.
fn crowd_at_a_full_door(runtime: Runtime) {
    const ROOM: usize = 10;
    const CROWD: usize = 60;
    let server = TestServer::start(runtime, Config { max_clients: ROOM, ..chat_tests::config() });
    let mut crowd: Vec<Client> = (0..CROWD).map(|i| server.connect(&format!("c{i}"))).collect();
    let full = format!("! The server is full ({ROOM} people); try again later.");
    let welcomed = crowd
        .iter_mut()
        .map(|client| client.expect_admission(&full))
        .filter(|a| *a == Admission::Welcomed)
        .count();
    assert_eq!(welcomed, ROOM, "clients let into a room for {ROOM}");
}
