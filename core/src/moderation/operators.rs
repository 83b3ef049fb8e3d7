//! Operator grants by account: server operators (from the configuration, or stored), and room
//! operators granted with `/op` (or by creating the room) to someone identified.
//!
//! A guest made operator holds it by connection only: that is kept in the room itself
//! ([`Room::operators`](crate::rooms::Room)), and ends when it leaves the room.

use std::collections::{BTreeMap, BTreeSet};

use crate::Operator;
use crate::protocol::nick::key_of;

/// The operator grants of accounts.
#[derive(Debug, Default)]
pub(crate) struct Operators {
    /// Accounts that are server operators, by key.
    server: BTreeSet<String>,
    /// Room operators by room key, then by account key.
    rooms: BTreeMap<String, BTreeMap<String, Operator>>,
}

impl Operators {
    /// Server operators from the configuration: account names, as `chat serve --op` gives them.
    pub(crate) fn new(names: &[String]) -> Self {
        Self { server: names.iter().map(|name| key_of(name)).collect(), rooms: BTreeMap::new() }
    }

    /// Whether the account `key` is a server operator.
    pub(crate) fn is_server(&self, key: &str) -> bool {
        self.server.contains(key)
    }

    /// Whether the account `key` is an operator of the room `room` (by key).
    pub(crate) fn is_room(&self, room: &str, key: &str) -> bool {
        self.rooms.get(room).is_some_and(|grants| grants.contains_key(key))
    }

    /// Records a grant (a stored one, or a new one); whether it is new.
    pub(crate) fn grant(&mut self, grant: Operator) -> bool {
        match &grant.room {
            None => self.server.insert(grant.account),
            Some(room) => {
                let grants = self.rooms.entry(room.clone()).or_default();
                grants.insert(grant.account.clone(), grant).is_none()
            }
        }
    }

    /// Removes the room grant of `key` in `room`; whether there was one.
    pub(crate) fn revoke(&mut self, room: &str, key: &str) -> bool {
        let Some(grants) = self.rooms.get_mut(room) else { return false };
        let removed = grants.remove(key).is_some();
        if grants.is_empty() {
            self.rooms.remove(room);
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnixMillis;

    fn grant(account: &str, room: Option<&str>) -> Operator {
        Operator {
            account: account.into(),
            room: room.map(str::to_owned),
            set_by: "x".into(),
            at: UnixMillis(0),
        }
    }

    #[test]
    fn grants_by_room_and_server() {
        let mut ops = Operators::new(&["Alice".to_owned()]);
        assert!(ops.is_server("alice"), "configured names are keyed");
        assert!(!ops.is_server("bob"));
        assert!(ops.grant(grant("bob", Some("#rust"))));
        assert!(!ops.grant(grant("bob", Some("#rust"))), "not new");
        assert!(ops.is_room("#rust", "bob"));
        assert!(!ops.is_room("#lobby", "bob"));
        assert!(ops.grant(grant("carol", None)));
        assert!(ops.is_server("carol"));
        assert!(ops.revoke("#rust", "bob"));
        assert!(!ops.revoke("#rust", "bob"));
        assert!(!ops.is_room("#rust", "bob"));
    }
}
