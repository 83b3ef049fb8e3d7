//! Room operator grants by account: made with `/op` (or by creating the room) to someone
//! identified, and stored. Server operators come from the configuration (`chat serve --op`,
//! [`Server::is_server_operator`](crate::Server::is_server_operator)), not from here.
//!
//! A guest made operator holds it by connection only: that is kept in the room itself
//! ([`Room::operators`](crate::rooms::Room)), and ends when it leaves the room.

use std::collections::BTreeMap;

use crate::Operator;

/// The room operator grants of accounts.
#[derive(Debug, Default)]
pub(crate) struct Operators {
    /// Room operators by room key, then by account key.
    rooms: BTreeMap<String, BTreeMap<String, Operator>>,
}

impl Operators {
    /// Whether the account `key` is an operator of the room `room` (by key).
    pub(crate) fn is_room(&self, room: &str, key: &str) -> bool {
        self.rooms.get(room).is_some_and(|grants| grants.contains_key(key))
    }

    /// Records a room grant (a stored one, or a new one); whether it is new. A server-wide
    /// grant (`room: None`) is not kept: server operators are configured.
    pub(crate) fn grant(&mut self, grant: Operator) -> bool {
        let Some(room) = grant.room.clone() else { return false };
        let grants = self.rooms.entry(room).or_default();
        grants.insert(grant.account.clone(), grant).is_none()
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
        let mut ops = Operators::default();
        assert!(ops.grant(grant("bob", Some("#rust"))));
        assert!(!ops.grant(grant("bob", Some("#rust"))), "not new");
        assert!(ops.is_room("#rust", "bob"));
        assert!(!ops.is_room("#lobby", "bob"));
        assert!(!ops.grant(grant("carol", None)), "server operators are configured");
        assert!(ops.revoke("#rust", "bob"));
        assert!(!ops.revoke("#rust", "bob"));
        assert!(!ops.is_room("#rust", "bob"));
    }
}
