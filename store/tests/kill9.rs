//! `kill -9` durability: what a store killed mid-stream loses of the lines it was handed.
//!
//! This binary runs twice. As the test, it starts itself again as a child (`CHAT_STORE_KILL9_DIR`
//! set) that opens a store and hands it one line every [`PACE`], printing each sequence number on
//! stdout once `persist` has returned: that line is acknowledged as sent. The test reads those
//! numbers, kills the child with SIGKILL after [`KILL_AFTER`] of them, reopens the database and
//! counts the acknowledged lines that are missing. Three rounds; each must lose at most
//! [`BOUND`] lines. (A harness-less test, so the child is a plain function of the same binary.)

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use chat_core::{Record, RoomRef, StoredLine, UnixMillis};
use chat_store::{Store, StoreOptions};

/// Tells the child where the database is.
const CHILD_ENV: &str = "CHAT_STORE_KILL9_DIR";
/// The child's pace: 500 lines a second.
const PACE: Duration = Duration::from_millis(2);
/// Acknowledged lines before the kill.
const KILL_AFTER: u64 = 500;
/// The child stops by itself after this many lines (if never killed).
const CHILD_MAX: u64 = 30_000;
/// Most lines one kill may lose: 150 lines, 300 ms at the child's pace (a batch is written
/// every 50 ms; the rest is room for the write itself on a busy machine).
const BOUND: u64 = 150;
const ROUNDS: usize = 3;

fn main() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        child(Path::new(&dir));
        return;
    }
    let mut worst = 0;
    for round in 1..=ROUNDS {
        let (acknowledged, missing) = round_trip();
        println!(
            "kill -9 round {round}: {missing} of {acknowledged} acknowledged lines missing (bound {BOUND})"
        );
        worst = worst.max(missing);
    }
    assert!(worst <= BOUND, "a kill -9 lost {worst} lines, more than {BOUND}");
    println!("kill9: 1 passed, 0 failed");
}

fn options() -> StoreOptions {
    StoreOptions { history: CHILD_MAX as usize, ..StoreOptions::default() }
}

/// Hands lines to a store at a steady pace, acknowledging each on stdout.
fn child(dir: &Path) {
    let (store, _) = Store::open(dir, options()).expect("the child opens the store");
    let room = RoomRef { key: "#lobby".into(), name: "#lobby".into() };
    let mut out = std::io::stdout().lock();
    for seq in 1..=CHILD_MAX {
        let frame = Bytes::from(format!("<writer> line {seq}\n"));
        store.persist(Record::Line {
            room: room.clone(),
            line: StoredLine { seq, at: UnixMillis(seq), frame },
        });
        if writeln!(out, "{seq}").and_then(|()| out.flush()).is_err() {
            break;
        }
        std::thread::sleep(PACE);
    }
    store.close();
}

/// One child, killed; returns (acknowledged, missing).
fn round_trip() -> (u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env(CHILD_ENV, dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the writer child");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut acknowledged = 0;
    for line in lines.by_ref() {
        acknowledged = line.unwrap().parse().unwrap();
        if acknowledged >= KILL_AFTER {
            break;
        }
    }
    child.kill().expect("SIGKILL the child");
    child.wait().unwrap();
    // What it printed before it died was acknowledged too.
    for line in lines.map_while(Result::ok) {
        acknowledged = line.parse().unwrap_or(acknowledged);
    }
    assert!(acknowledged >= KILL_AFTER, "the child stopped early, after {acknowledged} lines");

    let (store, stored) = Store::open(dir.path(), options()).expect("the database opens after kill -9");
    store.close();
    let kept: Vec<u64> =
        stored.rooms.first().map(|room| room.lines.iter().map(|l| l.seq).collect()).unwrap_or_default();
    assert!(kept.iter().copied().eq(1..=kept.len() as u64), "what was kept has no hole");
    if let Some(room) = stored.rooms.first() {
        assert_eq!(room.next_seq, kept.len() as u64 + 1, "numbering goes on after the last kept line");
    }
    (acknowledged, acknowledged.saturating_sub(kept.len() as u64))
}
