//! Tests of the `chat serve` binary itself: start-up output, errors, shutdown on a signal.
//!
//! Every wait has a deadline; every child process is killed when its guard drops.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use chat_core::Config;

mod serve_support;

use serve_support::process::{Guard, Serve};
use serve_support::{PATIENCE, Raw, lines_of, localhost, next_line};

const GOODBYE: &str = "*** Server is shutting down. Goodbye!";

/// The name a welcome line gives, checking it says `others`.
fn welcome_name(welcome: &str, others: &str) -> String {
    assert!(welcome.ends_with(&format!(": {others}. Type /help for commands.")), "{welcome:?}");
    name_of(welcome)
}

/// The name a welcome line gives.
fn name_of(welcome: &str) -> String {
    let rest =
        welcome.strip_prefix("*** Welcome to the chat room, ").unwrap_or_else(|| panic!("{welcome:?}"));
    rest.split_once(": ").unwrap_or_else(|| panic!("{welcome:?}")).0.to_owned()
}

#[test]
fn port_zero_prints_the_port_and_where_it_listens() {
    let mut serve = Serve::start(&["--host", "localhost", "--port", "0"]);
    let port = serve.port();
    assert_ne!(port, 0);
    let listening = next_line(&serve.stdout, "the listening line");
    assert!(listening.starts_with("Listening on "), "{listening:?}");
    // It listens on every address localhost resolves to, all on the port it printed.
    for addr in ("localhost", port).to_socket_addrs().expect("resolve localhost") {
        assert!(listening.contains(&addr.to_string()), "{addr} missing from {listening:?}");
        let mut client = Raw::connect(addr);
        assert!(client.expect_line().starts_with("*** Welcome to the chat room, "));
    }
}

#[test]
fn an_admin_port_zero_prints_the_port_it_got_and_serves_metrics_there() {
    let mut serve = Serve::start(&["--port", "0", "--admin", "127.0.0.1:0", "--data-dir", "none"]);
    let _ = serve.port();
    let metrics = loop {
        let line = next_line(&serve.stdout, "the metrics line");
        if let Some(rest) = line.strip_prefix("Metrics at http://") {
            break rest.trim_end_matches("/metrics").to_owned();
        }
    };
    let addr: SocketAddr = metrics.parse().unwrap_or_else(|_| panic!("{metrics:?}"));
    assert_ne!(addr.port(), 0, "the port really bound");
    let mut admin = std::net::TcpStream::connect(addr).expect("the admin port listens");
    std::io::Write::write_all(&mut admin, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("ask");
    admin.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut admin, &mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
}

#[test]
fn raw_clients_see_join_notices_and_messages() {
    let (_serve, port) = Serve::on_free_port(&[]);
    let mut alice = Raw::connect(localhost(port));
    let alice_name = welcome_name(&alice.expect_line(), "nobody else is here yet");
    assert!(alice_name.starts_with("guest-"), "{alice_name}");
    let mut bob = Raw::connect(localhost(port));
    let bob_name = welcome_name(&bob.expect_line(), "1 other person is here");
    assert_eq!(alice.expect_line(), format!("*** {bob_name} entered the room"));
    bob.send("hello, alice");
    assert_eq!(alice.expect_line(), format!("<{bob_name}> hello, alice"));
}

#[test]
fn sigterm_says_goodbye_to_every_client_and_exits_0() {
    for runtime in ["smol", "std"] {
        // A small room, so that the std runtime has no thread-count warning to give.
        let (mut serve, port) = Serve::on_free_port(&["--runtime", runtime, "--max-clients", "100"]);
        let mut clients: Vec<Raw> = (0..3).map(|_| Raw::connect(localhost(port))).collect();
        for client in &mut clients {
            assert!(client.expect_line().starts_with("*** Welcome"), "{runtime}");
        }
        // The first client has seen the others join, so all three are in the room.
        for _ in 1..clients.len() {
            assert!(clients[0].expect_line().ends_with("entered the room"), "{runtime}");
        }
        serve.terminate();
        // Each client hangs up once it has read everything, as `nc` and `chat join` do.
        for mut client in clients {
            // Join notices of later clients may come first; then the goodbye, then end of file.
            let line = std::iter::from_fn(|| client.line()).find(|line| !line.ends_with("entered the room"));
            assert_eq!(line.as_deref(), Some(GOODBYE), "{runtime}");
            assert_eq!(client.line(), None, "{runtime}: the connection closes after the goodbye");
        }
        let status = serve.exit_status();
        assert!(status.success(), "{runtime}: exit status {status}");
        let stderr = serve.stderr_to_end();
        assert!(stderr.is_empty(), "{runtime}: nothing on stderr, not {stderr:?}");
    }
}

#[test]
fn a_closed_log_stream_stops_neither_the_server_nor_a_listener() {
    for runtime in ["smol", "std"] {
        // Every address of both families, as by default; -v logs every join and departure.
        let mut child = Guard(
            Command::new(env!("CARGO_BIN_EXE_chat"))
                .args(["serve", "-v", "--port", "0", "--runtime", runtime, "--max-clients", "100"])
                .env("CHAT_DATA_DIR", "none")
                .env_remove("RUST_LOG")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start chat serve"),
        );
        let stdout = lines_of(child.0.stdout.take().expect("piped stdout"));
        // The log's reader goes away after one line, as `chat serve -v 2>&1 | head -1` does.
        let first_log_line = first_line_then_close(child.0.stderr.take().expect("piped stderr"));
        let mut serve = Serve { child, stdout, stderr: mpsc::channel().1 };
        let port = serve.port();
        let v4 = localhost(port);
        let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port));

        let mut first = Raw::connect(v4);
        assert!(first.expect_line().starts_with("*** Welcome"), "{runtime}");
        next_line(&first_log_line, "the first log line");
        // Every join, message and departure from now on is logged into a closed pipe.
        for round in 0..2 {
            for addr in [v4, v6] {
                let mut alice = Raw::connect(addr);
                assert!(alice.expect_line().starts_with("*** Welcome"), "{runtime} {addr}");
                let mut bob = Raw::connect(addr);
                let bob_name = name_of(&bob.expect_line());
                let joined = format!("*** {bob_name} entered the room");
                assert!(std::iter::from_fn(|| alice.line()).any(|line| line == joined), "{runtime} {addr}");
                bob.send(&format!("round {round} on {addr}"));
                let said = format!("<{bob_name}> round {round} on {addr}");
                assert!(std::iter::from_fn(|| alice.line()).any(|line| line == said), "{runtime} {addr}");
            }
        }
        serve.terminate();
        let line = std::iter::from_fn(|| first.line()).find(|line| line.starts_with("*** Server"));
        assert_eq!(line.as_deref(), Some(GOODBYE), "{runtime}");
        let status = serve.exit_status();
        assert!(status.success(), "{runtime}: exit status {status}");
    }
}

/// Reads one line of `output`, sends it, then closes the pipe: the writer's next write fails
/// with EPIPE.
fn first_line_then_close(output: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        if BufReader::new(output).read_line(&mut line).is_ok() {
            let _ = sender.send(line);
        }
    });
    receiver
}

#[test]
fn a_port_in_use_is_one_clear_line_and_a_failure() {
    let taken = TcpListener::bind(localhost(0)).expect("bind a port");
    let port = taken.local_addr().expect("address").port();
    let mut serve = Serve::start(&["--host", "127.0.0.1", "--port", &port.to_string()]);
    let stderr = serve.stderr_to_end();
    assert_eq!(
        stderr,
        [format!(
            "error: port {port} is already in use on 127.0.0.1: stop the other server or pick another port with --port"
        )]
    );
    assert!(!serve.exit_status().success());
}

#[test]
fn a_start_up_error_is_the_only_line_even_under_a_low_open_files_limit() {
    // A stock account's limit, soft and hard: too low for the default --max-clients, which
    // is worth a warning once serving, not beside an error that stops the start.
    let taken = TcpListener::bind(localhost(0)).expect("bind a port");
    let port = taken.local_addr().expect("address").port();
    let mut serve = Serve::spawn(
        Command::new("sh")
            .args(["-c", "ulimit -n 1024 && exec \"$0\" serve --host 127.0.0.1 --port \"$1\""])
            .arg(env!("CARGO_BIN_EXE_chat"))
            .arg(port.to_string()),
    );
    let stderr = serve.stderr_to_end();
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].starts_with(&format!("error: port {port} is already in use")), "{stderr:?}");
    assert!(!serve.exit_status().success());
}

#[test]
fn an_unknown_host_is_one_clear_line_and_a_failure() {
    let mut serve = Serve::start(&["--host", "no-such-host.invalid", "--port", "0"]);
    let stderr = serve.stderr_to_end();
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].starts_with("error: cannot resolve the host \"no-such-host.invalid\""), "{stderr:?}");
    assert!(stderr[0].contains("--host"), "{stderr:?}");
    assert!(!serve.exit_status().success());
}

#[test]
fn limits_that_do_not_fit_name_the_option_to_change() {
    let mut serve = Serve::start(&["--host", "127.0.0.1", "--port", "0", "--max-line", "8"]);
    let stderr = serve.stderr_to_end();
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].starts_with("error: ") && stderr[0].ends_with("raise --max-line"), "{stderr:?}");
    assert!(!serve.exit_status().success());
}

#[test]
fn a_zero_handshake_timeout_names_the_option_to_change() {
    let mut serve = Serve::start(&["--host", "127.0.0.1", "--port", "0", "--handshake-timeout", "0"]);
    let stderr = serve.stderr_to_end();
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].ends_with("give --handshake-timeout at least 1 second"), "{stderr:?}");
    assert!(!serve.exit_status().success());
}

#[test]
fn limits_come_from_the_command_line() {
    let (_serve, port) = Serve::on_free_port(&["--max-clients", "1"]);
    let mut first = Raw::connect(localhost(port));
    assert!(first.expect_line().starts_with("*** Welcome"));
    let mut second = Raw::connect(localhost(port));
    assert_eq!(second.line().as_deref(), Some("! The server is full (1 people); try again later."));
    assert_eq!(second.line(), None);
}

#[test]
fn help_gives_every_limit_with_the_core_default() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_chat")).args(["serve", "--help"]).output().expect("run --help");
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("UTF-8 help");
    let defaults = Config::default();
    for (option, default) in [
        ("--max-clients", defaults.max_clients.to_string()),
        ("--max-line", defaults.max_line.to_string()),
        ("--flood-rate", defaults.flood_rate.to_string()),
        ("--flood-burst", defaults.flood_burst.to_string()),
        ("--max-queue", defaults.max_queue.to_string()),
        ("--max-memory", defaults.max_memory.to_string()),
        ("--history", defaults.history.to_string()),
        ("--handshake-timeout", defaults.handshake_timeout.as_secs().to_string()),
        ("--port", "5000".to_owned()),
        ("--runtime", "smol".to_owned()),
    ] {
        let at = help.find(option).unwrap_or_else(|| panic!("{option} missing from the help"));
        let next = help[at..].find("[default: ").map(|i| at + i).expect("a default");
        assert!(help[next..].starts_with(&format!("[default: {default}]")), "{option}: {}", &help[at..]);
    }
}

#[test]
fn running_out_of_file_descriptors_pauses_accepting_but_never_stops_it() {
    // A shell lowers the open-files limit (soft and hard, so the server cannot raise it).
    let mut serve = Serve::spawn(
        Command::new("sh")
            .args(["-c", "ulimit -n 48 && exec \"$0\" serve --host 127.0.0.1 --port 0 --max-clients 1000"])
            .arg(env!("CARGO_BIN_EXE_chat")),
    );
    let port = serve.port();
    let (events, receive) = mpsc::channel();
    let stderr_events = events.clone();
    let stderr = serve.stderr;
    thread::spawn(move || stderr.iter().try_for_each(|line| stderr_events.send(Event::Stderr(line))));

    // Connect one client at a time until one is not welcomed because accepting failed.
    let mut clients = Vec::new();
    let waiting = loop {
        assert!(clients.len() < 48, "48 clients were accepted with an open-files limit of 48");
        let index = clients.len();
        let client = Raw::connect(localhost(port));
        let reader = client.reader.get_ref().try_clone().expect("clone");
        forward(reader, events.clone(), move |line| Event::Client(index, line));
        clients.push(client);
        match next_event(&receive, |event| {
            matches!(event, Event::Client(i, _) if *i == index) || is_accept_warning(event)
        }) {
            Event::Client(_, line) => assert!(line.starts_with("*** Welcome"), "{line:?}"),
            Event::Stderr(_) => break index,
        }
    };
    // One client leaves, which frees a descriptor: the waiting client gets in. (Shut down, not
    // just dropped: the forwarding thread holds a clone of the socket.)
    clients[0].writer.shutdown(std::net::Shutdown::Both).expect("hang up");
    match next_event(
        &receive,
        |event| matches!(event, Event::Client(i, line) if *i == waiting && line.starts_with("*** Welcome")),
    ) {
        Event::Client(..) => {}
        Event::Stderr(line) => panic!("unexpected {line:?}"),
    }
}

/// What the out-of-descriptors test waits for.
enum Event {
    Stderr(String),
    Client(usize, String),
}

fn is_accept_warning(event: &Event) -> bool {
    matches!(event, Event::Stderr(line) if line.contains("cannot take new connections"))
}

/// Forwards the lines of `output` as events.
fn forward(
    output: impl std::io::Read + Send + 'static,
    events: mpsc::Sender<Event>,
    event: impl Fn(String) -> Event + Send + 'static,
) {
    thread::spawn(move || {
        for line in BufReader::new(output).lines() {
            let Ok(line) = line else { break };
            if events.send(event(line)).is_err() {
                break;
            }
        }
    });
}

/// The first event that `wanted` accepts, skipping others.
fn next_event(events: &Receiver<Event>, wanted: impl Fn(&Event) -> bool) -> Event {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(event) if wanted(&event) => return event,
            Ok(_) => {}
            Err(error) => panic!("no expected event within {PATIENCE:?}: {error}"),
        }
    }
}

/// Reads `client`'s lines until one is `wanted`; fails at end of file or after the read
/// timeout (the deadline).
fn read_until_line(client: &mut Raw, wanted: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = client.line().unwrap_or_else(|| panic!("end of file before {wanted:?}; got {lines:#?}"));
        let found = line == wanted;
        lines.push(line);
        if found {
            return lines;
        }
    }
}

/// Three `chat serve --redis` nodes; node 3 is killed with SIGKILL (no goodbye), and the other
/// nodes announce its user offline once its heartbeat expires (6 s).
fn a_killed_node_s_users_are_announced_offline(runtime: &str) {
    let Some(redis) = chat_bus::testing::RedisServer::start() else { return };
    let url = redis.url().to_string();
    let mut nodes = Vec::new();
    let mut clients = Vec::new();
    for n in 1..=3 {
        let name = format!("n{n}");
        let (serve, port) =
            Serve::on_free_port(&["--runtime", runtime, "--redis", &url, "--node-name", &name]);
        nodes.push(serve);
        clients.push(connected_as(port, &format!("user{n}")));
    }
    // Everyone is known everywhere before the kill (asked again until then, within PATIENCE).
    let deadline = Instant::now() + PATIENCE;
    for client in &mut clients {
        loop {
            client.send("/who");
            let answer = read_until_line_starting(client, "*** ");
            if answer == "*** 3 here: user1, user2, user3" {
                break;
            }
            assert!(Instant::now() < deadline, "the nodes never agreed on /who: {answer}");
            thread::sleep(Duration::from_millis(50));
        }
    }
    let mut killed = nodes.pop().expect("node 3");
    killed.child.0.kill().expect("SIGKILL node 3");
    killed.child.0.wait().expect("node 3 ends");
    for client in &mut clients[..2] {
        read_until_line(client, "*** user3 is offline (their server stopped responding)");
        client.send("/who");
        assert_eq!(read_until_line_starting(client, "*** 2 here"), "*** 2 here: user1, user2");
    }
}

/// A client of the server on `port`, past its welcome, called `user`.
fn connected_as(port: u16, user: &str) -> Raw {
    let mut client = Raw::connect(localhost(port));
    client.expect_line();
    client.send(&format!("/nick {user}"));
    read_until_line(&mut client, &format!("*** You are now known as {user}"));
    client
}

/// Reads until a line starting with `prefix` (and holding ` here`, for `/who`); returns it.
fn read_until_line_starting(client: &mut Raw, prefix: &str) -> String {
    loop {
        let line = client.line().expect("a line, not end of file");
        if line.starts_with(prefix) && line.contains(" here") {
            return line;
        }
    }
}

#[test]
fn a_killed_node_s_users_are_announced_offline_on_smol() {
    a_killed_node_s_users_are_announced_offline("smol");
}

#[test]
fn a_killed_node_s_users_are_announced_offline_on_std() {
    a_killed_node_s_users_are_announced_offline("std");
}

/// Two `chat serve --redis` nodes; node 2 is killed with SIGKILL and started again at once
/// under the same name, before its heartbeat expires: node 1 still announces its previous
/// user offline (the new incarnation kept them aside for the others).
fn a_node_restarted_at_once_has_its_previous_users_announced_offline(runtime: &str) {
    let Some(redis) = chat_bus::testing::RedisServer::start() else { return };
    let url = redis.url().to_string();
    let args =
        |name: &'static str| ["--runtime", runtime, "--redis", &url, "--node-name", name].map(str::to_owned);
    let start = |name: &'static str| {
        let args = args(name);
        Serve::on_free_port(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (first, port1) = start("n1");
    let (mut second, port2) = start("n2");
    let mut clients = Vec::new();
    for (n, port) in [(1, port1), (2, port2)] {
        clients.push(connected_as(port, &format!("user{n}")));
    }
    let deadline = Instant::now() + PATIENCE;
    loop {
        clients[0].send("/who");
        let answer = read_until_line_starting(&mut clients[0], "*** ");
        if answer == "*** 2 here: user1, user2" {
            break;
        }
        assert!(Instant::now() < deadline, "the nodes never agreed on /who: {answer}");
        thread::sleep(Duration::from_millis(50));
    }
    second.child.0.kill().expect("SIGKILL node 2");
    second.child.0.wait().expect("node 2 ends");
    let (_again, _) = start("n2");
    read_until_line(&mut clients[0], "*** user2 is offline (their server stopped responding)");
    drop(first);
}

#[test]
fn a_node_restarted_at_once_has_its_previous_users_announced_offline_on_smol() {
    a_node_restarted_at_once_has_its_previous_users_announced_offline("smol");
}

#[test]
fn a_node_restarted_at_once_has_its_previous_users_announced_offline_on_std() {
    a_node_restarted_at_once_has_its_previous_users_announced_offline("std");
}
