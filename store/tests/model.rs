//! Property test: any sequence of records, written across a restart, loads back as a plain
//! in-memory model of the same records says it should.

use std::collections::BTreeMap;

use bytes::Bytes;
use chat_core::{
    Account, Ban, BanTarget, Motd, Mute, Operator, Record, RoomRef, Stored, StoredLine, StoredRoom, Topic,
    UnixMillis,
};
use chat_store::{Store, StoreOptions};
use proptest::prelude::*;

const HISTORY: usize = 4;
const ROOMS: [&str; 2] = ["#a", "#B"];
const ACCOUNTS: [&str; 3] = ["u1", "u2", "u3"];
const RANGES: [&str; 2] = ["10.0.0.0/8", "2001:db8::/32"];

/// A recent time, so that nothing is too old or expired.
fn at(n: u64) -> UnixMillis {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    UnixMillis(UnixMillis::from_duration(now).0 - 3_600_000 + n)
}

fn room(n: usize) -> RoomRef {
    RoomRef { key: ROOMS[n].to_lowercase(), name: ROOMS[n].to_owned() }
}

fn target(n: usize) -> BanTarget {
    match n {
        0..=2 => BanTarget::Account(ACCOUNTS[n].to_owned()),
        _ => BanTarget::Addresses(RANGES[n - 3].parse().unwrap()),
    }
}

/// One step; a line's sequence number is filled in by [`Model::number`].
#[derive(Clone, Debug)]
enum Op {
    Line(usize),
    Record(Record),
}

fn op() -> impl Strategy<Value = Op> {
    let room_n = 0..ROOMS.len();
    let account = (0..ACCOUNTS.len()).prop_map(|n| ACCOUNTS[n].to_owned());
    let maybe_room = prop::option::of((0..ROOMS.len()).prop_map(|n| room(n).key));
    let expires = prop::option::of(Just(at(86_400_000)));
    let text = "[a-z ]{0,8}";
    prop_oneof![
        6 => room_n.clone().prop_map(Op::Line),
        1 => (room_n.clone(), 1..12u64).prop_map(|(n, seq)| Op::Record(Record::LineDeleted { room: room(n).key, seq })),
        1 => room_n.clone().prop_map(|n| Op::Record(Record::HistoryCleared { room: room(n).key })),
        1 => (room_n.clone(), text, 0..9u64).prop_map(|(n, text, t)| Op::Record(Record::Topic {
            room: room(n),
            topic: Topic { text, set_by: "op".into(), at: at(t) },
        })),
        1 => room_n.prop_map(|n| Op::Record(Record::TopicCleared { room: room(n).key })),
        2 => (account.clone(), "[a-z0-9$]{1,12}").prop_map(|(key, hash)| Op::Record(Record::Account(Account {
            name: key.to_uppercase(),
            key,
            password_hash: hash,
            created: at(1),
        }))),
        1 => account.clone().prop_map(|account| Op::Record(Record::AccountDeleted { account })),
        1 => (account.clone(), maybe_room.clone()).prop_map(|(account, room)| Op::Record(Record::Operator(Operator {
            account,
            room,
            set_by: "op".into(),
            at: at(2),
        }))),
        1 => (account.clone(), maybe_room).prop_map(|(account, room)| Op::Record(Record::OperatorRemoved { account, room })),
        1 => (0..5usize, text, expires.clone()).prop_map(|(n, reason, expires)| Op::Record(Record::Ban(Ban {
            target: target(n),
            reason,
            set_by: "op".into(),
            at: at(3),
            expires,
        }))),
        1 => (0..5usize).prop_map(|n| Op::Record(Record::BanLifted { target: target(n) })),
        1 => (account.clone(), expires).prop_map(|(account, expires)| Op::Record(Record::Mute(Mute {
            account,
            set_by: "op".into(),
            at: at(4),
            expires,
        }))),
        1 => account.prop_map(|account| Op::Record(Record::MuteLifted { account })),
        1 => text.prop_map(|text| Op::Record(Record::Motd(Motd { text, set_by: "op".into(), at: at(5) }))),
        1 => Just(Op::Record(Record::MotdCleared)),
    ]
}

/// What the store should hold, kept the plain way.
#[derive(Default)]
struct Model {
    rooms: BTreeMap<String, StoredRoom>,
    accounts: BTreeMap<String, Account>,
    operators: BTreeMap<(String, String), Operator>,
    bans: BTreeMap<(&'static str, String), Ban>,
    mutes: BTreeMap<String, Mute>,
    motd: Option<Motd>,
}

fn ban_key(target: &BanTarget) -> (&'static str, String) {
    match target {
        BanTarget::Account(key) => ("account", key.clone()),
        BanTarget::Addresses(range) => ("addresses", range.to_string()),
    }
}

impl Model {
    fn room(&mut self, room: &RoomRef) -> &mut StoredRoom {
        let entry = self.rooms.entry(room.key.clone()).or_insert_with(|| StoredRoom {
            room: room.clone(),
            next_seq: 1,
            topic: None,
            lines: Vec::new(),
        });
        entry.room.name.clone_from(&room.name);
        entry
    }

    /// The record for `op`, numbering lines.
    fn number(&mut self, op: Op) -> Record {
        match op {
            Op::Line(n) => {
                let room = room(n);
                let seq = self.rooms.get(&room.key).map_or(1, |room| room.next_seq);
                let frame = Bytes::from(format!("line {seq}\n"));
                Record::Line { room, line: StoredLine { seq, at: at(seq), frame } }
            }
            Op::Record(record) => record,
        }
    }

    fn apply(&mut self, record: &Record) {
        match record.clone() {
            Record::Line { room, line } => {
                let stored = self.room(&room);
                stored.next_seq = stored.next_seq.max(line.seq + 1);
                stored.lines.push(line);
                // The lines among the room's last HISTORY sequence numbers.
                let oldest = stored.next_seq.saturating_sub(HISTORY as u64);
                stored.lines.retain(|line| line.seq >= oldest);
            }
            Record::LineDeleted { room, seq } => {
                if let Some(room) = self.rooms.get_mut(&room) {
                    room.lines.retain(|line| line.seq != seq);
                }
            }
            Record::HistoryCleared { room } => {
                if let Some(room) = self.rooms.get_mut(&room) {
                    room.lines.clear();
                }
            }
            Record::Topic { room, topic } => self.room(&room).topic = Some(topic),
            Record::TopicCleared { room } => {
                if let Some(room) = self.rooms.get_mut(&room) {
                    room.topic = None;
                }
            }
            Record::Account(account) => {
                self.accounts.insert(account.key.clone(), account);
            }
            Record::AccountDeleted { account } => {
                self.accounts.remove(&account);
                self.operators.retain(|(key, _), _| *key != account);
            }
            Record::Operator(op) => {
                self.operators.insert((op.account.clone(), op.room.clone().unwrap_or_default()), op);
            }
            Record::OperatorRemoved { account, room } => {
                self.operators.remove(&(account, room.unwrap_or_default()));
            }
            Record::Ban(ban) => {
                self.bans.insert(ban_key(&ban.target), ban);
            }
            Record::BanLifted { target } => {
                self.bans.remove(&ban_key(&target));
            }
            Record::Mute(mute) => {
                self.mutes.insert(mute.account.clone(), mute);
            }
            Record::MuteLifted { account } => {
                self.mutes.remove(&account);
            }
            Record::Motd(motd) => self.motd = Some(motd),
            Record::MotdCleared => self.motd = None,
        }
    }

    fn stored(&self) -> Stored {
        Stored {
            rooms: self.rooms.values().cloned().collect(),
            accounts: self.accounts.values().cloned().collect(),
            operators: self.operators.values().cloned().collect(),
            bans: self.bans.values().cloned().collect(),
            mutes: self.mutes.values().cloned().collect(),
            motd: self.motd.clone(),
        }
    }
}

fn session(dir: &std::path::Path, records: &[Record]) -> Stored {
    let (store, stored) =
        Store::open(dir, StoreOptions { history: HISTORY, ..StoreOptions::default() }).unwrap();
    for record in records {
        store.persist(record.clone());
    }
    let stats = store.close();
    assert_eq!(stats.written, records.len() as u64);
    stored
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn what_is_loaded_is_what_the_records_say(ops in prop::collection::vec(op(), 0..60), split in any::<prop::sample::Index>()) {
        let mut model = Model::default();
        let records: Vec<Record> = ops.into_iter().map(|op| {
            let record = model.number(op);
            model.apply(&record);
            record
        }).collect();
        let (first, second) = records.split_at(split.index(records.len() + 1));
        let dir = tempfile::tempdir().unwrap();
        session(dir.path(), first);
        session(dir.path(), second);
        prop_assert_eq!(session(dir.path(), &[]), model.stored());
    }
}
