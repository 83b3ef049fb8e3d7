//! A server with a database, restarted, on both runtimes: rooms' history and topics come back
//! (replayed to whoever comes in, as before the restart) and each room numbers its lines on
//! from where it stopped. The rest of the suite runs without a database.

use chat_core::Config;
use chat_tests::database::stored_room;
use chat_tests::{Client, Deadline, Runtime, TestDatabase, TestServer, both_runtimes};

both_runtimes!(
    history_and_topics_survive_a_restart,
    a_room_emptied_before_the_restart_comes_back_too,
    an_account_survives_a_restart,
);

fn seqs(database: &TestDatabase, room: &str) -> Vec<u64> {
    stored_room(&database.stored(100), room).lines.iter().map(|line| line.seq).collect()
}

/// Waits until everything `client` sent before has been handled (and so asked to persist).
fn settle(client: &mut Client, here: usize, names: &str) {
    client.send_line("/who");
    client.expect_line(&format!("*** {here} here: {names}"));
}

fn named(server: &TestServer, label: &str) -> Client {
    let mut client = server.join(label);
    client.send_line(&format!("/nick {label}"));
    client.expect_line(&format!("*** You are now known as {label}"));
    client
}

fn history_and_topics_survive_a_restart(runtime: Runtime) {
    let database = TestDatabase::new();
    let config = chat_tests::config();

    let server = TestServer::start_with_database(runtime, config.clone(), &database);
    let mut alice = named(&server, "alice");
    for n in 1..=3 {
        alice.send_line(&format!("line {n}"));
    }
    alice.send_line("/join #Rust");
    alice.expect_line("*** You are in #Rust: nobody else is here yet.");
    alice.expect_line("*** You created #Rust: you are its operator.");
    alice.send_line("/topic Rust talk");
    alice.expect_line("*** alice set the topic of #Rust: Rust talk");
    alice.send_line("/me is here");
    settle(&mut alice, 1, "alice");
    drop(alice);
    server.stop_and_wait(Deadline::standard());
    assert_eq!(seqs(&database, "#lobby"), [1, 2, 3]);

    let server = TestServer::start_with_database(runtime, config.clone(), &database);
    let (replayed, mut bob) = named_after_replay(&server, "bob");
    assert_eq!(replayed, ["<alice> line 1", "<alice> line 2", "<alice> line 3"]);
    bob.send_line("/join #rust");
    bob.expect_line("*** You are in #Rust: nobody else is here yet.");
    bob.expect_line("*** Topic of #Rust: Rust talk");
    assert_eq!(bob.expect_history(), ["* alice is here"]);
    bob.expect_line("*** #Rust was empty: you are its operator.");
    bob.send_line("after the restart");
    settle(&mut bob, 1, "bob");
    drop(bob);
    server.stop_and_wait(Deadline::standard());

    assert_eq!(seqs(&database, "#lobby"), [1, 2, 3]);
    assert_eq!(seqs(&database, "#rust"), [1, 2], "numbered on after the restart");
    let stored = database.stored(100);
    let rust = stored_room(&stored, "#rust");
    assert_eq!(rust.topic.as_ref().map(|topic| topic.text.as_str()), Some("Rust talk"));
    assert_eq!(rust.next_seq, 3);
}

/// Connects `label`, reads its welcome and the lobby's replay, and takes the name `label`.
fn named_after_replay(server: &TestServer, label: &str) -> (Vec<String>, Client) {
    let mut client = server.connect(label);
    client.expect_welcome();
    let replayed = client.expect_history();
    client.send_line(&format!("/nick {label}"));
    client.expect_line(&format!("*** You are now known as {label}"));
    (replayed, client)
}

/// A room everyone left keeps its history while the server runs (with a database, as the
/// database does), and after a restart too.
fn a_room_emptied_before_the_restart_comes_back_too(runtime: Runtime) {
    let database = TestDatabase::new();
    let config = Config { history: 2, ..chat_tests::config() };

    let server = TestServer::start_with_database(runtime, config.clone(), &database);
    let mut carol = named(&server, "carol");
    carol.send_line("/join #quiet");
    carol.expect_line("*** You are in #quiet: nobody else is here yet.");
    carol.expect_line("*** You created #quiet: you are its operator.");
    for n in 1..=3 {
        carol.send_line(&format!("quiet {n}"));
    }
    carol.send_line("/part");
    carol.expect_line("*** You are in #lobby: nobody else is here yet.");
    carol.send_line("/join #quiet");
    carol.expect_line("*** You are in #quiet: nobody else is here yet.");
    assert_eq!(carol.expect_history(), ["<carol> quiet 2", "<carol> quiet 3"]);
    carol.expect_line("*** #quiet was empty: you are its operator.");
    carol.send_line("/part");
    carol.expect_line("*** You are in #lobby: nobody else is here yet.");
    drop(carol);
    server.stop_and_wait(Deadline::standard());

    let server = TestServer::start_with_database(runtime, config, &database);
    let mut dave = named(&server, "dave");
    dave.send_line("/join #quiet");
    dave.expect_line("*** You are in #quiet: nobody else is here yet.");
    assert_eq!(dave.expect_history(), ["<carol> quiet 2", "<carol> quiet 3"]);
    dave.expect_line("*** #quiet was empty: you are its operator.");
    dave.send_line("quiet 4");
    settle(&mut dave, 1, "dave");
    drop(dave);
    server.stop_and_wait(Deadline::standard());
    assert_eq!(seqs(&database, "#quiet"), [3, 4]);
}

/// A name registered before the restart is still its owner's after it.
fn an_account_survives_a_restart(runtime: Runtime) {
    let database = TestDatabase::new();
    let config = chat_tests::config();

    let server = TestServer::start_with_database(runtime, config.clone(), &database);
    let mut erin = named(&server, "erin");
    erin.send_line("/register s3cret-words");
    erin.expect_line("*** You registered erin: the name is yours, and you are identified.");
    drop(erin);
    server.stop_and_wait(Deadline::standard());
    assert_eq!(database.stored(100).accounts.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), ["erin"]);

    let server = TestServer::start_with_database(runtime, config, &database);
    let mut mallory = server.join("mallory");
    mallory.send_line("/nick erin");
    mallory.expect_line("! The name erin is registered. If it is yours: /nick erin PASSWORD");
    let mut back = server.join("erin back");
    back.send_line("/nick erin s3cret-words");
    back.expect_line("*** You are now known as erin");
    back.expect_line("*** You are identified as erin.");
}
