//! What the core asks the database to keep ([`Request::Persist`]): one function per kind of
//! change, each a no-op unless [`Config::persist`](crate::Config::persist) says a database is
//! there.

use std::time::Duration;

use bytes::Bytes;

use super::Server;
use crate::protocol::RoomName;
use crate::{Record, Request, RoomRef, StoredLine, Topic, UnixMillis};

/// A room as records name it.
fn room_ref(name: &RoomName) -> RoomRef {
    RoomRef { key: name.key().to_owned(), name: name.as_str().to_owned() }
}

impl Server {
    /// Asks the database to keep `record`, in order with every other output; nothing when
    /// there is no database.
    pub(super) fn persist(&mut self, record: Record) {
        if self.config.persist {
            self.ask(Request::Persist(record));
        }
    }

    /// Line `seq`, `frame`, said in room `room` at wall-clock time `at`.
    pub(super) fn persist_line(&mut self, room: &RoomName, seq: u64, at: Duration, frame: Bytes) {
        if self.config.persist {
            let line = StoredLine { seq, at: UnixMillis::from_duration(at), frame };
            self.persist(Record::Line { room: room_ref(room), line });
        }
    }

    /// Room `room`'s topic set to `topic` by `set_by` (or cleared, with `None`) now.
    pub(super) fn persist_topic(&mut self, room: &RoomName, topic: Option<&str>, set_by: &str) {
        if !self.config.persist {
            return;
        }
        let record = match topic {
            Some(text) => {
                let at = UnixMillis::from_duration(self.clock.at(self.now));
                let topic = Topic { text: text.to_owned(), set_by: set_by.to_owned(), at };
                Record::Topic { room: room_ref(room), topic }
            }
            None => Record::TopicCleared { room: room.key().to_owned() },
        };
        self.persist(record);
    }
}
