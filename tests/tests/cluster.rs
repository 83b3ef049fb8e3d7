//! One room across three nodes sharing a real `redis-server` (started by the test on a loopback
//! port; skipped loudly only where it is not installed, never in CI), on both runtimes.

use std::collections::BTreeMap;
use std::time::Duration;

use chat_core::Config;
use chat_tests::cluster::{TestCluster, who_until};
use chat_tests::{Client, Deadline, Runtime, both_runtimes};

const NODES: usize = 3;

fn config() -> Config {
    Config { flood_rate: 0.0, ..chat_tests::config() }
}

/// The notice every local user gets when the link to Redis goes down.
const LINK_DOWN: &str =
    "*** The link to the other servers is down: what is said here is held and delivered when it is back.";

/// Reads `client`'s lines until it has `expected` chat lines (`<NAME> TEXT`); returns every
/// line read, in order.
fn read_chat(client: &mut Client, expected: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let deadline = Deadline::after(Duration::from_secs(60));
    let mut chat = 0;
    while chat < expected {
        lines.extend(client.read_until("the next chat line", deadline, |line| line.starts_with('<')));
        chat += 1;
    }
    lines
}

/// The chat lines among `lines`.
fn chat_only(lines: &[String]) -> Vec<String> {
    lines.iter().filter(|line| line.starts_with('<')).cloned().collect()
}

fn chat_lines(client: &mut Client, expected: usize) -> Vec<String> {
    chat_only(&read_chat(client, expected))
}

/// Every client got every line the others said exactly once, and any two clients got the
/// lines neither of them said in the same order.
fn check_once_and_in_one_order(
    received: &BTreeMap<String, Vec<String>>,
    said: &BTreeMap<String, Vec<String>>,
) {
    for (name, got) in received {
        let mut got_sorted = got.clone();
        got_sorted.sort();
        let mut want: Vec<String> = said
            .iter()
            .filter(|(from, _)| *from != name)
            .flat_map(|(from, texts)| texts.iter().map(move |text| format!("<{from}> {text}")))
            .collect();
        want.sort();
        assert_eq!(got_sorted, want, "{name} got every other line exactly once");
        assert!(!got.iter().any(|line| line.starts_with(&format!("<{name}>"))), "{name} got its own line");
    }
    for (a, got_a) in received {
        for (b, got_b) in received {
            let neither =
                |line: &&String| !line.starts_with(&format!("<{a}>")) && !line.starts_with(&format!("<{b}>"));
            let on_a: Vec<&String> = got_a.iter().filter(neither).collect();
            let on_b: Vec<&String> = got_b.iter().filter(neither).collect();
            assert_eq!(on_a, on_b, "{a} and {b} got the others' lines in the same order");
        }
    }
}

/// Every client sends `each` lines (`line I from NAME`), `pause` apart, from a thread of its
/// own; returns what each said and the threads.
fn send_from_every_client(
    clients: &[(String, Client)],
    each: usize,
    pause: Duration,
) -> (BTreeMap<String, Vec<String>>, Vec<std::thread::JoinHandle<()>>) {
    let mut said = BTreeMap::new();
    let senders = clients
        .iter()
        .map(|(name, client)| {
            let mut writer = client.writer();
            let texts: Vec<String> = (0..each).map(|i| format!("line {i} from {name}")).collect();
            said.insert(name.clone(), texts.clone());
            std::thread::spawn(move || {
                for text in texts {
                    writer.send_raw(format!("{text}\n").as_bytes());
                    if !pause.is_zero() {
                        std::thread::sleep(pause);
                    }
                }
            })
        })
        .collect();
    (said, senders)
}

fn a_line_reaches_every_member_on_every_node_once_in_one_order(runtime: Runtime) {
    let Some(cluster) = TestCluster::start(runtime, NODES, &config()) else { return };
    let mut clients: Vec<(String, Client)> = Vec::new();
    for n in 0..NODES * 2 {
        let name = format!("c{n}");
        clients.push((name.clone(), cluster.join_as(n % NODES, &name)));
    }
    // `/who` agrees on every node.
    for (_, client) in &mut clients {
        who_until(client, "*** 6 here: c0, c1, c2, c3, c4, c5");
    }
    const EACH: usize = 40;
    let (said, senders) = send_from_every_client(&clients, EACH, Duration::ZERO);
    for sender in senders {
        sender.join().expect("a sender thread");
    }
    let others = EACH * (clients.len() - 1);
    let received: BTreeMap<String, Vec<String>> =
        clients.iter_mut().map(|(name, client)| (name.clone(), chat_lines(client, others))).collect();
    check_once_and_in_one_order(&received, &said);
}

fn a_redis_restart_mid_stream_loses_doubles_and_reorders_nothing(runtime: Runtime) {
    let Some(mut cluster) = TestCluster::start(runtime, NODES, &config()) else { return };
    let mut clients: Vec<(String, Client)> =
        (0..NODES).map(|n| (format!("p{n}"), cluster.join_as(n, &format!("p{n}")))).collect();
    for (_, client) in &mut clients {
        who_until(client, "*** 3 here: p0, p1, p2");
    }
    const EACH: usize = 150;
    // Paced senders (a line every 5 ms each): the restart falls in the middle of the stream.
    let (said, senders) = send_from_every_client(&clients, EACH, Duration::from_millis(5));
    // Restart once the stream is well under way (the first client has seen a third of it).
    let early = EACH * (NODES - 1) / 3;
    let mut first_lines = read_chat(&mut clients[0].1, early);
    cluster.redis.restart();
    for sender in senders {
        sender.join().expect("a sender thread");
    }
    let others = EACH * (NODES - 1);
    let mut received = BTreeMap::new();
    let mut told = 0;
    for (n, (name, client)) in clients.iter_mut().enumerate() {
        let mut lines = if n == 0 { std::mem::take(&mut first_lines) } else { Vec::new() };
        lines.extend(read_chat(client, others - chat_only(&lines).len()));
        told += usize::from(lines.iter().any(|line| line == LINK_DOWN));
        received.insert(name.clone(), chat_only(&lines));
    }
    assert!(told > 0, "the restart was noticed (someone was told the link went down)");
    check_once_and_in_one_order(&received, &said);
}

both_runtimes!(
    a_line_reaches_every_member_on_every_node_once_in_one_order,
    a_redis_restart_mid_stream_loses_doubles_and_reorders_nothing
);
