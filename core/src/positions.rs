//! [`Positions`]: where each element of a dense array is, found by a key the element holds.
//!
//! A hash table of 4-byte positions into the array, hashed by the key but not keeping a copy
//! of it: equal keys are recognised by looking at the element. For the registry's lookups by
//! id and by name, that is 5 bytes a slot (the position and hashbrown's control byte) where a
//! map from key to position took 17 (an id) or 33 plus the name's copy on the heap (a name):
//! at 19,000 idle connections, with every table grown to 32,768 slots, about 80 bytes a
//! connection less (issue 10).

use std::hash::{BuildHasher, Hash, RandomState};

use hashbrown::HashTable;

/// Positions of elements in a slice, by a key of each element (at most one element per key).
#[derive(Debug, Default)]
pub(crate) struct Positions {
    table: HashTable<u32>,
    hasher: RandomState,
}

impl Positions {
    /// Where the element with `key` is in `items`, if it is recorded.
    pub(crate) fn find<T, K>(&self, items: &[T], key: &K, key_of: impl Fn(&T) -> &K) -> Option<usize>
    where
        K: Hash + Eq + ?Sized,
    {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |&at| key_of(&items[at as usize]) == key).map(|&at| at as usize)
    }

    /// Records that the element at `at` in `items` is found by its key. Its key must not be
    /// recorded already.
    pub(crate) fn insert<T, K>(&mut self, items: &[T], at: usize, key_of: impl Fn(&T) -> &K)
    where
        K: Hash + ?Sized,
    {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(key_of(&items[at]));
        self.table
            .insert_unique(hash, position(at), |&other| hasher.hash_one(key_of(&items[other as usize])));
    }

    /// Forgets the record of the element at `at`, whose key is `key`.
    pub(crate) fn remove<K: Hash + ?Sized>(&mut self, key: &K, at: usize) {
        let hash = self.hasher.hash_one(key);
        if let Ok(entry) = self.table.find_entry(hash, |&other| other == position(at)) {
            entry.remove();
        }
    }

    /// The element with `key` moved from `from` to `to` in the slice.
    pub(crate) fn moved<K: Hash + ?Sized>(&mut self, key: &K, from: usize, to: usize) {
        let hash = self.hasher.hash_one(key);
        if let Some(at) = self.table.find_mut(hash, |&other| other == position(from)) {
            *at = position(to);
        }
    }

    /// How many elements are recorded.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    /// How many it can record before it grows.
    pub(crate) fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Gives back room beyond `room` records (and those recorded).
    pub(crate) fn shrink_to<T, K>(&mut self, items: &[T], room: usize, key_of: impl Fn(&T) -> &K)
    where
        K: Hash + ?Sized,
    {
        let hasher = &self.hasher;
        self.table.shrink_to(room, |&at| hasher.hash_one(key_of(&items[at as usize])));
    }
}

/// A position as stored: a registry never holds 2^32 connections (open files bound it far
/// below).
fn position(at: usize) -> u32 {
    debug_assert!(u32::try_from(at).is_ok(), "position {at} out of range");
    at as u32
}

#[cfg(test)]
mod tests {
    use super::Positions;

    fn name(item: &String) -> &str {
        item
    }

    #[test]
    fn finds_moves_and_forgets_by_the_elements_own_key() {
        let mut items: Vec<String> = (0..1000).map(|n| format!("name{n}")).collect();
        let mut positions = Positions::default();
        for at in 0..items.len() {
            positions.insert(&items, at, name);
        }
        assert_eq!(positions.find(&items, "name500", name), Some(500));
        assert_eq!(positions.find(&items, "name1000", name), None);
        // Remove name3 the way a registry does: swap the last element into its place.
        positions.remove("name3", 3);
        let last = items.len() - 1;
        items.swap_remove(3);
        positions.moved(items[3].as_str(), last, 3);
        assert_eq!(positions.find(&items, "name3", name), None);
        assert_eq!(positions.find(&items, "name999", name), Some(3));
        assert_eq!(positions.len(), 999);
        while items.len() > 10 {
            let at = items.len() - 1;
            positions.remove(items[at].as_str(), at);
            items.pop();
        }
        positions.shrink_to(&items, 20, name);
        assert!(positions.capacity() < 100, "gave back its room: {}", positions.capacity());
        for (at, item) in items.iter().enumerate() {
            assert_eq!(positions.find(&items, item.as_str(), name), Some(at), "{item}");
        }
    }
}
