//! The members a room has on other nodes, learnt from the room's stream.

use std::collections::{BTreeMap, BTreeSet};

/// Who is in a room on other nodes, by node. Learnt from `join`, `leave` and `here` entries;
/// a node that expires takes its members with it.
#[derive(Debug, Default)]
pub(crate) struct RemoteMembers {
    by_node: BTreeMap<String, BTreeSet<String>>,
    count: usize,
}

impl RemoteMembers {
    /// How many members other nodes have here.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// Whether `node` has members here.
    pub(crate) fn knows(&self, node: &str) -> bool {
        self.by_node.contains_key(node)
    }

    /// `user` of `node` is here; returns whether that is news.
    pub(crate) fn add(&mut self, node: &str, user: &str) -> bool {
        let added = self.by_node.entry(node.to_owned()).or_default().insert(user.to_owned());
        self.count += usize::from(added);
        added
    }

    /// `user` of `node` left; returns whether they were here.
    pub(crate) fn remove(&mut self, node: &str, user: &str) -> bool {
        let Some(users) = self.by_node.get_mut(node) else { return false };
        let removed = users.remove(user);
        if users.is_empty() {
            self.by_node.remove(node);
        }
        self.count -= usize::from(removed);
        removed
    }

    /// Takes out every member of `node`, returning their names.
    pub(crate) fn remove_node(&mut self, node: &str) -> Vec<String> {
        let users: Vec<String> =
            self.by_node.remove(node).map(|users| users.into_iter().collect()).unwrap_or_default();
        self.count -= users.len();
        users
    }

    /// Forgets everyone (this node stopped reading the room).
    pub(crate) fn clear(&mut self) {
        *self = Self::default();
    }

    /// Every remote member's name (in no useful order).
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.by_node.values().flatten().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_come_and_go_by_node() {
        let mut remote = RemoteMembers::default();
        assert!(remote.add("a", "ann"));
        assert!(!remote.add("a", "ann"));
        assert!(remote.add("b", "bob"));
        assert!(remote.add("b", "bea"));
        assert_eq!(remote.len(), 3);
        assert!(remote.knows("a"));
        assert!(remote.remove("a", "ann"));
        assert!(!remote.remove("a", "ann"));
        assert!(!remote.knows("a"), "a node with no one left is forgotten");
        assert_eq!(remote.remove_node("b"), ["bea", "bob"]);
        assert_eq!(remote.len(), 0);
        assert_eq!(remote.names().count(), 0);
    }
}
