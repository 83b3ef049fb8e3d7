//! Accounts end to end, on both runtimes, with the real password workers (`chat-services`
//! running argon2id with cheap parameters): registering a name, the name refused to others,
//! a wrong password, the owner coming back on a new connection while the old one is still open
//! (the old one is renamed), changing the password and giving the name up; and with a
//! database, accounts kept across a restart.

use chat_auth::{AuthOptions, HashParams};
use chat_services::{ServiceOptions, ServiceThreads};
use chat_tests::{Client, Deadline, Runtime, TestDatabase, TestServer, both_runtimes};

both_runtimes!(register_reconnect_identify, change_the_password_and_unregister, accounts_survive_a_restart);

/// A server whose passwords are hashed by the real workers, cheaply (argon2id is slow in a
/// debug build with the default costs).
fn server(runtime: Runtime) -> TestServer {
    let options = ServiceOptions {
        auth: AuthOptions {
            params: HashParams { memory_kib: 64, iterations: 1, parallelism: 1 },
            ..AuthOptions::default()
        },
        ..ServiceOptions::default()
    };
    let (services, _stored) = ServiceThreads::start(options).expect("the password workers start");
    TestServer::start_with(runtime, chat_tests::config(), Box::new(services))
}

/// A client that took the name `name` and registered it with `password`.
fn registered(server: &TestServer, name: &str, password: &str) -> Client {
    let mut client = server.join(name);
    client.send_line(&format!("/nick {name}"));
    client.expect_line(&format!("*** You are now known as {name}"));
    client.send_line(&format!("/register {password}"));
    client.expect_line(&format!("*** You registered {name}: the name is yours, and you are identified."));
    client
}

/// Reads until `line`, passing over what others do meanwhile.
fn expect_soon(client: &mut Client, line: &str) {
    client.read_until(&format!("`{line}`"), chat_tests::Deadline::standard(), |got| got == line);
}

fn register_reconnect_identify(runtime: Runtime) {
    let server = server(runtime);
    let mut alice = registered(&server, "alice", "correct-horse");

    let mut mallory = server.join("mallory");
    mallory.send_line("/nick ALICE");
    mallory.expect_line("! The name ALICE is taken (too close to alice); pick another.");
    mallory.send_line("/nick alice battery-staple");
    mallory.expect_line("! Wrong password for alice.");

    // Alice comes back on a new connection while the old one is still open.
    let mut again = server.join("alice again");
    again.send_line("/identify alice correct-horse");
    expect_soon(&mut again, "*** You are now known as alice");
    again.expect_line("*** You are identified as alice.");
    expect_soon(
        &mut alice,
        "! alice is registered and its owner identified from another connection: you are renamed.",
    );
    let renamed = alice.next_line();
    assert!(renamed.starts_with("*** You are now known as guest-"), "{renamed}");
    drop(alice);

    // Once she has left, the name is still hers: nobody else may take it.
    again.send_line("/quit");
    again.recv_all_until_closed(chat_tests::Deadline::standard());
    mallory.send_line("/nick alice");
    expect_soon(&mut mallory, "! The name alice is registered. If it is yours: /nick alice PASSWORD");
    let mut back = server.join("alice back");
    back.send_line("/nick alice correct-horse");
    back.expect_line("*** You are now known as alice");
    back.expect_line("*** You are identified as alice.");
}

fn change_the_password_and_unregister(runtime: Runtime) {
    let server = server(runtime);
    let mut bob = registered(&server, "bob", "first-password");
    bob.send_line("/password wrong-password second-password");
    bob.expect_line("! Wrong password for bob.");
    bob.send_line("/password first-password second-password");
    bob.expect_line("*** Your password is changed.");

    let mut other = server.join("other");
    other.send_line("/identify bob first-password");
    other.expect_line("! Wrong password for bob.");
    other.send_line("/identify bob second-password");
    expect_soon(&mut other, "*** You are now known as bob");
    other.expect_line("*** You are identified as bob.");
    other.send_line("/unregister second-password");
    other.expect_line("*** bob is no longer registered: it is an ordinary name again.");
    expect_soon(&mut bob, "*** The account bob was given up from another connection; you are a guest again.");
    other.send_line("/nick robert");
    other.expect_line("*** You are now known as robert");
    bob.send_line("/nick bob");
    expect_soon(&mut bob, "*** You are now known as bob");
}

fn accounts_survive_a_restart(runtime: Runtime) {
    let database = TestDatabase::new();
    let server = TestServer::start_with_database(runtime, chat_tests::config(), &database);
    let mut alice = registered(&server, "alice", "first-password");
    alice.send_line("/password first-password second-password");
    alice.expect_line("*** Your password is changed.");
    let mut carol = registered(&server, "carol", "carols-password");
    carol.send_line("/unregister carols-password");
    expect_soon(&mut carol, "*** carol is no longer registered: it is an ordinary name again.");
    drop((alice, carol));
    server.stop_and_wait(Deadline::standard());

    let server = TestServer::start_with_database(runtime, chat_tests::config(), &database);
    let mut mallory = server.join("mallory");
    mallory.send_line("/nick alice");
    mallory.expect_line("! The name alice is registered. If it is yours: /nick alice PASSWORD");
    mallory.send_line("/nick carol");
    mallory.expect_line("*** You are now known as carol");
    let mut alice = server.join("alice");
    alice.send_line("/identify alice first-password");
    alice.expect_line("! Wrong password for alice.");
    alice.send_line("/identify alice second-password");
    alice.expect_line("*** You are now known as alice");
    alice.expect_line("*** You are identified as alice.");
}
