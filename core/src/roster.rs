//! The names of everyone in the room, kept sorted as people come and go, so that `/who` reads
//! the first few without looking at everyone.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use crate::ClientId;

/// Names in alphabetical order ignoring case ([`caseless_cmp`]). Insert and remove are
/// logarithmic in the room's size; reading the first `n` names costs `n` steps.
#[derive(Debug, Default)]
pub(crate) struct Roster {
    names: BTreeSet<Entry>,
}

/// One name and its holder; the id only breaks ties (names are unique anyway).
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    name: Box<str>,
    id: ClientId,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        caseless_cmp(&self.name, &other.name).then_with(|| self.id.0.cmp(&other.id.0))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Roster {
    /// Adds `name`, held by `id`.
    pub(crate) fn insert(&mut self, name: &str, id: ClientId) {
        self.names.insert(Entry { name: name.into(), id });
    }

    /// Removes `name`, held by `id`.
    pub(crate) fn remove(&mut self, name: &str, id: ClientId) {
        self.names.remove(&Entry { name: name.into(), id });
    }

    /// How many names there are.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The names and their holders, in alphabetical order ignoring case.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, ClientId)> {
        self.names.iter().map(|entry| (&*entry.name, entry.id))
    }
}

/// Orders names ignoring case, without allocating; names equal but for case are ordered by
/// their bytes.
pub(crate) fn caseless_cmp(a: &str, b: &str) -> Ordering {
    a.chars().flat_map(char::to_lowercase).cmp(b.chars().flat_map(char::to_lowercase)).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_out_sorted_ignoring_case() {
        let mut roster = Roster::default();
        for (i, name) in ["bob", "Alice", "carol", "alice2", "Bea"].into_iter().enumerate() {
            roster.insert(name, ClientId(i as u64));
        }
        roster.remove("carol", ClientId(2));
        assert_eq!(
            roster.entries().map(|(name, _)| name).collect::<Vec<_>>(),
            ["Alice", "alice2", "Bea", "bob"]
        );
        assert_eq!(roster.len(), 4);
    }
}
