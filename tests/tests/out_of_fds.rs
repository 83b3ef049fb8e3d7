//! Running out of file descriptors (EMFILE) while a client is waiting to be accepted must not
//! stop the server: once descriptors are free again, the waiting client gets in, and the room
//! carried on meanwhile.
//!
//! This test exhausts the descriptors of the whole test process, so it is the only test in its
//! binary and runs the two runtimes one after the other rather than in parallel.

use std::fs::File;

use chat_tests::{Client, Deadline, Runtime, TestServer};

/// `EMFILE`: too many open files.
const EMFILE: i32 = 24;
/// The soft open-files limit while descriptors are exhausted: the harness raises it to the
/// hard limit, which can be a million, and running out should not take a million files.
const LOW_LIMIT: u64 = 1024;

#[test]
fn accept_survives_running_out_of_file_descriptors_on_both_runtimes() {
    for runtime in Runtime::ALL {
        accept_survives_running_out_of_file_descriptors(runtime);
    }
}

fn accept_survives_running_out_of_file_descriptors(runtime: Runtime) {
    let server = TestServer::start(runtime, chat_tests::config());
    let mut a = server.join("a");
    let mut b = server.join("b");
    a.expect_line(&format!("*** {} entered the room", b.default_name()));

    let mut filler = exhaust_file_descriptors();
    // Two clients connect, each with the one descriptor freed for its socket. A thread blocked
    // in `accept` already holds a descriptor for its next connection (Linux reserves it before
    // waiting), so the first may get in; accepting the second finds none left.
    let mut waiting: Vec<Client> = (0..2)
        .map(|i| {
            loop {
                filler.pop().expect("the filler holds descriptors");
                match Client::try_connect(server.addr(), &format!("waiting{i}"), Default::default()) {
                    Ok(client) => break client,
                    Err(error) if error.raw_os_error() == Some(EMFILE) => continue,
                    Err(error) => panic!("connecting with one descriptor free: {error}"),
                }
            }
        })
        .collect();
    // The room goes on while the server cannot accept (a join may be announced meanwhile).
    a.send_line("anyone there?");
    let said = format!("<{}> anyone there?", a.default_name());
    b.read_until(&said, Deadline::standard(), |line| line == said);
    b.send_line("yes");
    let said = format!("<{}> yes", b.default_name());
    a.read_until(&said, Deadline::standard(), |line| line == said);

    drop(filler);
    // A client that waited is let in, or (if the server could not set it up while out of
    // descriptors) closed; it is never left hanging.
    for client in &mut waiting {
        if let Ok(line) = client.try_next_line(Deadline::standard()) {
            let prefix = format!("*** Welcome to the chat room, {}: ", client.default_name());
            assert!(
                line.starts_with(&prefix),
                "client {}: expected the welcome, got {line:?}",
                client.label()
            );
        }
    }
    // And the server accepts as before.
    let mut late = server.join("late");
    late.send_line("made it");
    let said = format!("<{}> made it", late.default_name());
    a.read_until(&said, Deadline::standard(), |line| line == said);
}

/// Opens `/dev/null` until the process has no descriptor left (the soft limit lowered to
/// [`LOW_LIMIT`] first), and returns the files.
fn exhaust_file_descriptors() -> Vec<File> {
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).expect("read the open-files limit");
    if soft > LOW_LIMIT {
        rlimit::setrlimit(rlimit::Resource::NOFILE, LOW_LIMIT, hard).expect("lower the open-files limit");
    }
    let mut files = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(file) => files.push(file),
            Err(error) if error.raw_os_error() == Some(EMFILE) => return files,
            Err(error) => panic!("opening /dev/null failed other than with EMFILE: {error}"),
        }
        assert!(files.len() <= 1 << 20, "no descriptor limit was reached after {} files", files.len());
    }
}
