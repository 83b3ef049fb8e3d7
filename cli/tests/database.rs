//! The database of the real `chat serve` (`--data-dir`): history kept across a restart and a
//! `kill -9` (what is lost measured), a database that cannot be used is one clear error at
//! start, and a write that fails once running is logged and retried while the room goes on.
//!
//! Every wait has a deadline; every child process is killed when its guard drops.

#![cfg(unix)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

use chat_core::Stored;
use chat_store::{Store, StoreOptions};

mod serve_support;

use serve_support::{Raw, localhost, next_line, spawn_piped, to_end};

/// A `chat serve` process and its output, line by line; killed when dropped.
struct Serve {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
}

impl Serve {
    /// Starts `chat serve` on a free port of 127.0.0.1 with `args`.
    fn start(runtime: &str, args: &[&str]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_chat"));
        command
            .args(["serve", "--host", "127.0.0.1", "--port", "0", "--runtime", runtime])
            .args(args)
            .env_remove("CHAT_DATA_DIR");
        let (child, stdout, stderr) = spawn_piped(&mut command);
        Self { child, stdout, stderr }
    }

    /// Waits for the start-up line and returns the port it names.
    fn port(&self) -> u16 {
        let line = next_line(&self.stdout, "the start-up line");
        let port = line.strip_prefix("Chat server started on port ").unwrap_or_else(|| {
            let errors: Vec<String> = self.stderr.try_iter().collect();
            panic!("start-up line: {line:?}, stderr {errors:?}")
        });
        port.parse().unwrap_or_else(|_| panic!("port in {line:?}"))
    }

    /// Waits for the process to end and returns its status and everything it wrote to stderr.
    fn finish(mut self) -> (ExitStatus, Vec<String>) {
        let stderr = to_end(&self.stderr, "stderr");
        let status = self.child.wait().expect("wait for chat serve");
        (status, stderr)
    }

    /// SIGTERM: a graceful shutdown.
    fn terminate(&self) {
        let pid = rustix::process::Pid::from_child(&self.child);
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("send SIGTERM");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A raw client on 127.0.0.1:`port`, its welcome read.
fn welcomed(port: u16) -> Raw {
    let mut raw = Raw::connect(localhost(port));
    let welcome = raw.expect_line();
    assert!(welcome.starts_with("*** Welcome"), "{welcome:?}");
    raw
}

/// What the database in `dir` holds (its server stopped or killed).
fn stored(dir: &Path) -> Stored {
    let (store, stored) = Store::open(dir, StoreOptions { history: 100_000, ..StoreOptions::default() })
        .unwrap_or_else(|e| panic!("cannot read the database: {e}"));
    store.close();
    stored
}

/// The lobby's lines in `stored`, as text.
fn lobby_lines(stored: &Stored) -> Vec<(u64, String)> {
    stored
        .rooms
        .iter()
        .find(|room| room.room.key == "#lobby")
        .map(|room| {
            room.lines
                .iter()
                .map(|line| (line.seq, String::from_utf8_lossy(&line.frame).trim_end().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("chat-cli-db-").tempdir().expect("a temporary directory")
}

#[test]
fn history_survives_a_restart_and_numbering_goes_on() {
    for runtime in ["smol", "std"] {
        let dir = temp_dir();
        let data_dir = dir.path().to_str().expect("a UTF-8 path");
        let serve = Serve::start(runtime, &["--data-dir", data_dir]);
        let port = serve.port();
        let said = next_line(&serve.stdout, "the listening line");
        assert!(said.starts_with("Listening on "), "{said:?}");
        next_line(&serve.stdout, "the join line");
        let kept = next_line(&serve.stdout, "the database line");
        assert!(kept.starts_with(&format!("History kept in {data_dir}")), "{kept:?}");
        let mut alice = welcomed(port);
        alice.send("before the restart");
        alice.send("/history");
        alice.until("before the restart");
        serve.terminate();
        let (status, stderr) = serve.finish();
        assert!(status.success() && stderr.is_empty(), "{runtime}: {status}, {stderr:?}");

        let serve = Serve::start(runtime, &["--data-dir", data_dir]);
        let mut bob = welcomed(serve.port());
        let replay = bob.until("--- end of history ---");
        assert!(replay.iter().any(|line| line.ends_with("> before the restart")), "{runtime}: {replay:?}");
        bob.send("after the restart");
        bob.send("/history");
        bob.until("after the restart");
        serve.terminate();
        let (status, _) = serve.finish();
        assert!(status.success());
        let seqs: Vec<u64> = lobby_lines(&stored(dir.path())).into_iter().map(|(seq, _)| seq).collect();
        assert_eq!(seqs, [1, 2], "{runtime}");
    }
}

/// Lines handed to the server at a steady pace, the server killed with SIGKILL: what the
/// database kept is a gap-free prefix of what the room saw, and what it lost is at most a few
/// hundred milliseconds of lines (the measurement is printed; see docs/STORAGE.md).
#[test]
fn kill_9_loses_at_most_the_last_few_hundred_milliseconds() {
    /// A line every PACE: 250 lines a second.
    const PACE: Duration = Duration::from_millis(4);
    /// Lines seen by the room before the kill.
    const SEEN: usize = 300;
    /// Most lines a kill may lose: 500 ms of them at the pace.
    const MOST_LOST: usize = 125;
    for runtime in ["smol", "std"] {
        let dir = temp_dir();
        let data_dir = dir.path().to_str().expect("a UTF-8 path");
        let mut serve =
            Serve::start(runtime, &["--data-dir", data_dir, "--flood-rate", "0", "--history", "100000"]);
        let port = serve.port();
        let mut watcher = welcomed(port);
        let mut talker = welcomed(port);
        // The talker's arrival, so that what the watcher reads next are the lines.
        watcher.until("entered the room");
        let talking = thread::spawn(move || {
            // Until the server is gone (bounded all the same).
            for n in 1..=100_000 {
                if talker.writer.write_all(format!("n{n}\n").as_bytes()).is_err() {
                    break;
                }
                thread::sleep(PACE);
            }
        });
        // A line the watcher reads was handed to the database writer before it was sent.
        let mut seen_at = Vec::with_capacity(SEEN);
        while seen_at.len() < SEEN {
            let line = watcher.expect_line();
            let Some(n) = line.rsplit_once("> n").and_then(|(_, n)| n.parse::<usize>().ok()) else {
                continue;
            };
            assert_eq!(n, seen_at.len() + 1, "{runtime}: lines in order");
            seen_at.push(Instant::now());
        }
        serve.child.kill().expect("SIGKILL");
        let killed_at = Instant::now();
        serve.child.wait().expect("wait for the killed server");
        let _ = talking.join();

        let kept: Vec<(u64, String)> = lobby_lines(&stored(dir.path()));
        let numbers: Vec<usize> = kept
            .iter()
            .filter_map(|(_, text)| text.rsplit_once("> n").and_then(|(_, n)| n.parse().ok()))
            .collect();
        let prefix: Vec<usize> = (1..=numbers.len()).collect();
        assert_eq!(numbers, prefix, "{runtime}: the database keeps a gap-free prefix");
        let seqs: BTreeSet<u64> = kept.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs.len(), kept.len());
        let lost = SEEN.saturating_sub(numbers.len());
        let window = seen_at.get(numbers.len()).map_or(Duration::ZERO, |first_lost| killed_at - *first_lost);
        println!(
            "{runtime}: kill -9 after {SEEN} lines seen at one per {PACE:?}: {} kept, {lost} lost (the last {} ms)",
            numbers.len(),
            window.as_millis()
        );
        assert!(lost <= MOST_LOST, "{runtime}: {lost} lines lost, more than {MOST_LOST}");
    }
}

#[test]
fn a_database_in_use_by_another_server_is_one_clear_error() {
    let dir = temp_dir();
    let data_dir = dir.path().to_str().expect("a UTF-8 path");
    let first = Serve::start("smol", &["--data-dir", data_dir]);
    first.port();
    let second = Serve::start("std", &["--data-dir", data_dir]);
    let (status, stderr) = second.finish();
    assert!(!status.success());
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].starts_with("error: the database "), "{stderr:?}");
    assert!(stderr[0].contains("is in use by another process"), "{stderr:?}");
    assert!(stderr[0].contains("pass another --data-dir"), "{stderr:?}");
}

#[test]
fn a_damaged_or_unusable_database_is_one_clear_error() {
    let dir = temp_dir();
    std::fs::write(dir.path().join("chat.db"), vec![0x5a; 8192]).expect("write a damaged file");
    let serve = Serve::start("smol", &["--data-dir", dir.path().to_str().expect("a UTF-8 path")]);
    let (status, stderr) = serve.finish();
    assert!(!status.success());
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].contains("is not a chat database or is damaged"), "{stderr:?}");
    assert!(stderr[0].contains("move it aside"), "{stderr:?}");

    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").expect("write a file");
    let serve = Serve::start("smol", &["--data-dir", file.to_str().expect("a UTF-8 path")]);
    let (status, stderr) = serve.finish();
    assert!(!status.success());
    assert_eq!(stderr.len(), 1, "{stderr:?}");
    assert!(stderr[0].contains("cannot create or write the database in"), "{stderr:?}");
}

#[test]
fn with_data_dir_none_nothing_is_kept() {
    let dir = temp_dir();
    let serve = Serve::start("smol", &["--data-dir", "none"]);
    let port = serve.port();
    for expected in ["Listening on ", "Join with ", "History kept in memory only"] {
        let line = next_line(&serve.stdout, "a start-up line");
        assert!(line.starts_with(expected), "{line:?}");
    }
    let mut alice = welcomed(port);
    alice.send("gone at exit");
    alice.send("/history");
    alice.until("gone at exit");
    serve.terminate();
    let (status, _) = serve.finish();
    assert!(status.success());
    assert_eq!(std::fs::read_dir(dir.path()).expect("list the directory").count(), 0);
}

/// The database refuses writes (the file-size limit drops to zero under the running server):
/// the room goes on, the failure is logged, and once writes work again nothing is missing.
#[test]
fn a_failing_write_is_retried_and_the_room_goes_on() {
    use rustix::process::{Pid, Resource, Rlimit, prlimit};
    for runtime in ["smol", "std"] {
        let dir = temp_dir();
        let serve = Serve::start(runtime, &["--data-dir", dir.path().to_str().expect("a UTF-8 path")]);
        let port = serve.port();
        let pid = Pid::from_child(&serve.child);
        let mut alice = welcomed(port);
        let mut bob = welcomed(port);
        alice.until("entered the room");
        alice.send("written");
        bob.until("> written");

        let no_room = Rlimit { current: Some(0), maximum: None };
        prlimit(Some(pid), Resource::Fsize, no_room).expect("lower the server's file-size limit");
        for n in 1..=5 {
            alice.send(&format!("while failing {n}"));
            bob.until(&format!("> while failing {n}"));
        }
        let warning = loop {
            let line = next_line(&serve.stderr, "a warning that writes fail");
            if line.contains("cannot write the database: retrying") {
                break line;
            }
        };
        assert!(warning.contains("WARN"), "{warning:?}");
        prlimit(Some(pid), Resource::Fsize, Rlimit { current: None, maximum: None })
            .expect("restore the limit");
        alice.send("after");
        bob.until("> after");
        serve.terminate();
        let (status, _) = serve.finish();
        assert!(status.success(), "{runtime}: {status}");
        let kept: Vec<String> = lobby_lines(&stored(dir.path())).into_iter().map(|(_, text)| text).collect();
        let expected = [
            "written",
            "while failing 1",
            "while failing 2",
            "while failing 3",
            "while failing 4",
            "while failing 5",
            "after",
        ];
        assert_eq!(kept.len(), expected.len(), "{runtime}: {kept:?}");
        for (line, text) in kept.iter().zip(expected) {
            assert!(line.ends_with(&format!("> {text}")), "{runtime}: {kept:?}");
        }
    }
}
