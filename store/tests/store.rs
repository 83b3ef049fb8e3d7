//! The store as the server uses it: write records, close, reopen, find them again.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use chat_core::{
    Account, AddressRange, Ban, BanTarget, Motd, Mute, Operator, Record, RoomRef, Stored, StoredLine,
    StoredRoom, Topic, UnixMillis,
};
use chat_store::{DB_FILE, SCHEMA_VERSION, Store, StoreError, StoreOptions};
use rusqlite::Connection;

/// An hour ago, so nothing written by the tests is expired or too old by default.
fn recent() -> UnixMillis {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    UnixMillis::from_duration(now - Duration::from_secs(3_600))
}

fn room(key: &str) -> RoomRef {
    RoomRef { key: key.to_lowercase(), name: key.to_owned() }
}

fn said(seq: u64, at: UnixMillis) -> StoredLine {
    StoredLine { seq, at, frame: Bytes::from(format!("<alice> line {seq}\n")) }
}

fn line(key: &str, seq: u64) -> Record {
    Record::Line { room: room(key), line: said(seq, recent()) }
}

fn options(history: usize) -> StoreOptions {
    StoreOptions { history, ..StoreOptions::default() }
}

/// Opens `dir`, writes `records`, closes; returns what the writer counted.
fn write(dir: &Path, history: usize, records: impl IntoIterator<Item = Record>) -> chat_store::StoreStats {
    let (store, _) = Store::open(dir, options(history)).expect("open");
    for record in records {
        store.persist(record);
    }
    store.close()
}

fn reopen(dir: &Path, history: usize) -> Stored {
    let (store, stored) = Store::open(dir, options(history)).expect("reopen");
    store.close();
    stored
}

fn seqs(room: &StoredRoom) -> Vec<u64> {
    room.lines.iter().map(|line| line.seq).collect()
}

fn every_kind_of_record(at: UnixMillis) -> (Vec<Record>, Stored) {
    let lobby = room("#lobby");
    let rust = room("#Rust");
    let topic = Topic { text: "all things rust".into(), set_by: "alice".into(), at };
    let account = Account {
        key: "alice".into(),
        name: "Alice".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created: at,
    };
    let server_op = Operator { account: "alice".into(), room: None, set_by: "--op".into(), at };
    let room_op = Operator { account: "bob".into(), room: Some("#rust".into()), set_by: "alice".into(), at };
    let later = Some(UnixMillis(at.0 + 86_400_000 * 365));
    let account_ban = Ban {
        target: BanTarget::Account("mallory".into()),
        reason: "spam".into(),
        set_by: "alice".into(),
        at,
        expires: later,
    };
    let range: AddressRange = "2001:db8::/32".parse().unwrap();
    let address_ban = Ban {
        target: BanTarget::Addresses(range),
        reason: String::new(),
        set_by: "alice".into(),
        at,
        expires: None,
    };
    let mute = Mute { account: "trent".into(), set_by: "alice".into(), at, expires: later };
    let motd = Motd { text: "be nice".into(), set_by: "alice".into(), at };
    let records = vec![
        Record::Line { room: lobby.clone(), line: said(1, at) },
        Record::Line { room: lobby.clone(), line: said(2, at) },
        Record::Line { room: rust.clone(), line: said(1, at) },
        Record::Topic { room: rust.clone(), topic: topic.clone() },
        Record::Account(account.clone()),
        Record::Operator(server_op.clone()),
        Record::Operator(room_op.clone()),
        Record::Ban(account_ban.clone()),
        Record::Ban(address_ban.clone()),
        Record::Mute(mute.clone()),
        Record::Motd(motd.clone()),
    ];
    let stored = Stored {
        rooms: vec![
            StoredRoom { room: lobby, next_seq: 3, topic: None, lines: vec![said(1, at), said(2, at)] },
            StoredRoom { room: rust, next_seq: 2, topic: Some(topic), lines: vec![said(1, at)] },
        ],
        accounts: vec![account],
        operators: vec![server_op, room_op],
        bans: vec![account_ban, address_ban],
        mutes: vec![mute],
        motd: Some(motd),
    };
    (records, stored)
}

#[test]
fn a_new_directory_opens_empty_at_the_current_schema() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    assert_eq!(reopen(&data, 100), Stored::default());
    let conn = Connection::open(data.join(DB_FILE)).unwrap();
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String = conn.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "only its owner may read password hashes");
    }
}

#[test]
fn every_record_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (records, expected) = every_kind_of_record(recent());
    let count = records.len() as u64;
    let stats = write(dir.path(), 100, records);
    assert_eq!((stats.written, stats.dropped_lines, stats.dropped_records), (count, 0, 0));
    assert_eq!(reopen(dir.path(), 100), expected);
}

#[test]
fn every_removal_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let at = recent();
    let (records, _) = every_kind_of_record(at);
    write(dir.path(), 100, records);
    let range: AddressRange = "2001:db8::/32".parse().unwrap();
    write(
        dir.path(),
        100,
        [
            Record::LineDeleted { room: "#lobby".into(), seq: 1 },
            Record::HistoryCleared { room: "#rust".into() },
            Record::TopicCleared { room: "#rust".into() },
            Record::OperatorRemoved { account: "bob".into(), room: Some("#rust".into()) },
            Record::AccountDeleted { account: "alice".into() },
            Record::BanLifted { target: BanTarget::Account("mallory".into()) },
            Record::BanLifted { target: BanTarget::Addresses(range) },
            Record::MuteLifted { account: "trent".into() },
            Record::MotdCleared,
        ],
    );
    let stored = reopen(dir.path(), 100);
    let rooms: Vec<_> =
        stored.rooms.iter().map(|room| (room.room.key.as_str(), room.next_seq, seqs(room))).collect();
    assert_eq!(rooms, [("#lobby", 3, vec![2]), ("#rust", 2, vec![])], "numbering goes on");
    assert_eq!(stored.rooms[1].topic, None);
    assert_eq!(
        (stored.accounts, stored.operators, stored.bans, stored.mutes, stored.motd),
        (vec![], vec![], vec![], vec![], None),
        "the account's server operator grant goes with it"
    );
}

#[test]
fn a_later_record_replaces_an_earlier_one_with_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let at = recent();
    let account = |hash: &str| {
        Record::Account(Account {
            key: "bob".into(),
            name: "Bob".into(),
            password_hash: hash.into(),
            created: at,
        })
    };
    let motd = |text: &str| Record::Motd(Motd { text: text.into(), set_by: "op".into(), at });
    write(
        dir.path(),
        10,
        [account("$argon2id$old"), motd("first"), account("$argon2id$new"), motd("second")],
    );
    let stored = reopen(dir.path(), 10);
    assert_eq!(stored.accounts.len(), 1);
    assert_eq!(stored.accounts[0].password_hash, "$argon2id$new");
    assert_eq!(stored.motd.unwrap().text, "second");
}

#[test]
fn history_and_numbering_survive_restarts_within_the_count() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 100, (1..=150).map(|seq| line("#lobby", seq)));
    let stored = reopen(dir.path(), 100);
    assert_eq!(seqs(&stored.rooms[0]), (51..=150).collect::<Vec<_>>());
    assert_eq!(stored.rooms[0].next_seq, 151);
    assert_eq!(stored.rooms[0].lines[0].frame, Bytes::from("<alice> line 51\n"));

    // The next run goes on from 151; a shorter --history trims at start-up.
    write(dir.path(), 100, (151..=160).map(|seq| line("#lobby", seq)));
    let stored = reopen(dir.path(), 5);
    assert_eq!(seqs(&stored.rooms[0]), [156, 157, 158, 159, 160]);
    assert_eq!(stored.rooms[0].next_seq, 161);
    let stored = reopen(dir.path(), 100);
    assert_eq!(seqs(&stored.rooms[0]), [156, 157, 158, 159, 160], "what was trimmed is gone");
}

#[test]
fn history_zero_keeps_no_line_but_keeps_numbering() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 0, (1..=20).map(|seq| line("#quiet", seq)));
    let stored = reopen(dir.path(), 100);
    assert_eq!((seqs(&stored.rooms[0]), stored.rooms[0].next_seq), (vec![], 21));
}

#[test]
fn lines_past_the_age_are_forgotten_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let day = 86_400_000;
    let now = recent().0 + 3_600_000;
    let aged = |seq: u64, days: u64| Record::Line {
        room: room("#lobby"),
        line: said(seq, UnixMillis(now - days * day)),
    };
    write(dir.path(), 100, [aged(1, 30), aged(2, 8), aged(3, 6), aged(4, 0)]);
    let options = StoreOptions { history_days: Some(7), ..options(100) };
    let (store, stored) = Store::open(dir.path(), options).unwrap();
    store.close();
    assert_eq!(seqs(&stored.rooms[0]), [3, 4]);
    assert_eq!(stored.rooms[0].next_seq, 5);
}

#[test]
fn expired_bans_and_mutes_are_not_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let at = recent();
    let ban = |who: &str, expires: Option<UnixMillis>| {
        Record::Ban(Ban {
            target: BanTarget::Account(who.into()),
            reason: String::new(),
            set_by: "op".into(),
            at,
            expires,
        })
    };
    let mute = |who: &str, expires: Option<UnixMillis>| {
        Record::Mute(Mute { account: who.into(), set_by: "op".into(), at, expires })
    };
    let ended = Some(UnixMillis(at.0 + 1));
    let ahead = Some(UnixMillis(at.0 + 7_200_000));
    write(
        dir.path(),
        10,
        [
            ban("gone", ended),
            ban("still", ahead),
            ban("ever", None),
            mute("gone", ended),
            mute("still", ahead),
        ],
    );
    let stored = reopen(dir.path(), 10);
    let banned: Vec<_> = stored.bans.iter().map(|ban| ban.target.clone()).collect();
    assert_eq!(banned, [BanTarget::Account("ever".into()), BanTarget::Account("still".into())]);
    let muted: Vec<_> = stored.mutes.iter().map(|mute| mute.account.as_str()).collect();
    assert_eq!(muted, ["still"]);
}

/// What a version 1 file (rooms and lines only) looks like, as released.
const V1_FILE: &str = "
CREATE TABLE rooms (key TEXT PRIMARY KEY, name TEXT NOT NULL, next_seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE lines (room TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL, frame BLOB NOT NULL,
                    PRIMARY KEY (room, seq)) WITHOUT ROWID;
CREATE INDEX lines_by_time ON lines (at);
PRAGMA user_version = 1;
";

#[test]
fn a_version_1_file_is_migrated_and_keeps_its_history() {
    let dir = tempfile::tempdir().unwrap();
    let at = recent();
    {
        let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
        conn.execute_batch(V1_FILE).unwrap();
        conn.execute("INSERT INTO rooms VALUES ('#lobby', '#lobby', 8)", []).unwrap();
        for seq in 5..8u64 {
            conn.execute(
                "INSERT INTO lines VALUES ('#lobby', ?1, ?2, ?3)",
                rusqlite::params![seq, at.0, format!("<alice> line {seq}\n").into_bytes()],
            )
            .unwrap();
        }
    }
    let (store, stored) = Store::open(dir.path(), options(100)).unwrap();
    assert_eq!(seqs(&stored.rooms[0]), [5, 6, 7]);
    assert_eq!((stored.rooms[0].next_seq, &stored.rooms[0].topic), (8, &None));
    let topic = Topic { text: "new in v2".into(), set_by: "alice".into(), at };
    store.persist(Record::Topic { room: room("#lobby"), topic: topic.clone() });
    store.persist(line("#lobby", 8));
    store.close();
    let stored = reopen(dir.path(), 100);
    assert_eq!(seqs(&stored.rooms[0]), [5, 6, 7, 8]);
    assert_eq!(stored.rooms[0].topic, Some(topic));
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_file_from_a_newer_chat_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    Connection::open(&path).unwrap().pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    let error = Store::open(dir.path(), options(10)).unwrap_err();
    assert!(matches!(error, StoreError::TooNew { found, .. } if found == SCHEMA_VERSION + 1), "{error:?}");
    assert!(error.to_string().contains("run a newer chat"), "{error}");
    let conn = Connection::open(&path).unwrap();
    let version: u32 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION + 1);
}

#[test]
fn a_database_locked_by_another_connection_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 10, [line("#lobby", 1)]);
    let other = Connection::open(dir.path().join(DB_FILE)).unwrap();
    other.execute_batch("BEGIN EXCLUSIVE;").unwrap();
    let error = Store::open(dir.path(), options(10)).unwrap_err();
    assert!(matches!(error, StoreError::Locked { .. }), "{error:?}");
    assert!(error.to_string().contains("another chat serve"), "{error}");
    other.execute_batch("COMMIT;").unwrap();
    drop(other);
    assert_eq!(seqs(&reopen(dir.path(), 10).rooms[0]), [1], "nothing lost");
}

#[test]
fn a_second_server_on_the_same_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    reopen(dir.path(), 10);
    // The file exists at the current schema: the first server migrates nothing, yet holds it.
    let (first, _) = Store::open(dir.path(), options(10)).unwrap();
    let error = Store::open(dir.path(), options(10)).unwrap_err();
    assert!(matches!(error, StoreError::Locked { .. }), "{error:?}");
    let reader = Connection::open(dir.path().join(DB_FILE)).unwrap();
    reader.busy_timeout(Duration::ZERO).unwrap();
    let read = reader.query_row("SELECT count(*) FROM lines", [], |row| row.get::<_, u64>(0));
    assert!(read.is_err(), "another connection cannot even read while a server holds the file");
    first.persist(line("#lobby", 1));
    first.close();
    assert_eq!(seqs(&reopen(dir.path(), 10).rooms[0]), [1]);
}

#[test]
fn a_directory_that_cannot_be_created_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let error = Store::open(&file.join("data"), options(10)).unwrap_err();
    assert!(matches!(error, StoreError::Unwritable { .. }), "{error:?}");
    assert!(error.to_string().contains("pass another --data-dir"), "{error}");
}

#[cfg(unix)]
#[test]
fn a_read_only_directory_is_one_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o500)).unwrap();
    let result = Store::open(&data, options(10));
    // Root writes anywhere: the directory is then writable and the store opens.
    let writable = std::fs::write(data.join("probe"), b"").is_ok();
    match result {
        Err(error) => assert!(!writable && matches!(error, StoreError::Unwritable { .. }), "{error:?}"),
        Ok((store, _)) => {
            assert!(writable, "opened a store in a directory it cannot write");
            store.close();
        }
    }
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
}

#[test]
fn a_file_that_is_not_a_database_is_one_clear_error_and_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    let garbage = b"this is not a SQLite database, and it never was one; keep it as it is".repeat(100);
    std::fs::write(&path, &garbage).unwrap();
    let error = Store::open(dir.path(), options(10)).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
    assert!(error.to_string().contains("move it aside"), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn a_truncated_database_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let frame = Bytes::from(vec![b'x'; 500]);
    let lines = (1..=400).map(|seq| Record::Line {
        room: room("#lobby"),
        line: StoredLine { seq, at: recent(), frame: frame.clone() },
    });
    write(dir.path(), 1_000, lines);
    let path = dir.path().join(DB_FILE);
    let size = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(size / 2).unwrap();
    let error = Store::open(dir.path(), options(1_000)).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
}

#[test]
fn a_value_of_the_wrong_kind_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 10, [line("#lobby", 1)]);
    let conn = Connection::open(dir.path().join(DB_FILE)).unwrap();
    conn.execute("UPDATE rooms SET next_seq = 'many'", []).unwrap();
    conn.execute("INSERT INTO bans VALUES ('addresses', 'not-an-address', '', 'op', 1, NULL)", []).unwrap();
    drop(conn);
    let error = Store::open(dir.path(), options(10)).unwrap_err();
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error:?}");
}

#[test]
fn many_rooms_and_lines_come_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let rooms = ["#a", "#b", "#c", "#d"];
    let records = (1..=300u64).flat_map(|seq| rooms.iter().map(move |key| line(key, seq)));
    let stats = write(dir.path(), 250, records);
    assert_eq!(stats.written, 1_200);
    let stored = reopen(dir.path(), 250);
    assert_eq!(stored.rooms.len(), 4);
    for room in &stored.rooms {
        assert_eq!(seqs(room), (51..=300).collect::<Vec<_>>(), "{}", room.room.key);
        assert_eq!(room.next_seq, 301);
    }
}
