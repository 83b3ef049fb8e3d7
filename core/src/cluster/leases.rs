//! Names across nodes: a name other than a guest's is held through a lease on the bus, asked
//! for on `/nick` and released when its holder lets it go.

use std::collections::HashMap;

use crate::ClientId;
use crate::protocol::Nick;

/// The leases this node holds or waits for.
#[derive(Debug, Default)]
pub(crate) struct Leases {
    /// Who holds each leased name (by uniqueness key).
    held: HashMap<String, ClientId>,
    /// The names asked for and not yet answered, by key: who asked, for which name.
    asked: HashMap<String, (ClientId, Nick)>,
}

impl Leases {
    /// `id` asks for `nick`.
    pub(crate) fn ask(&mut self, id: ClientId, nick: Nick) {
        self.asked.insert(nick.key().to_owned(), (id, nick));
    }

    /// Who waits for the lease on `key`, if anyone does.
    pub(crate) fn asked_by(&self, key: &str) -> Option<ClientId> {
        self.asked.get(key).map(|(id, _)| *id)
    }

    /// Whether `id` waits for a lease.
    pub(crate) fn is_waiting(&self, id: ClientId) -> bool {
        self.asked.values().any(|(asker, _)| *asker == id)
    }

    /// The answer for `key` came: who asked, for what.
    pub(crate) fn answered(&mut self, key: &str) -> Option<(ClientId, Nick)> {
        self.asked.remove(key)
    }

    /// `id` now holds the lease on `key`.
    pub(crate) fn hold(&mut self, key: &str, id: ClientId) {
        self.held.insert(key.to_owned(), id);
    }

    /// Whether `id` holds the lease on `key`.
    pub(crate) fn holds(&self, key: &str, id: ClientId) -> bool {
        self.held.get(key) == Some(&id)
    }

    /// `id` lets `key` go; returns whether it held it (so the lease is to be released).
    pub(crate) fn let_go(&mut self, key: &str, id: ClientId) -> bool {
        if self.holds(key, id) {
            self.held.remove(key);
            return true;
        }
        false
    }

    /// `id` left: every lease it held (also one granted for a name it had not taken yet), to
    /// be released.
    pub(crate) fn let_go_all(&mut self, id: ClientId) -> Vec<String> {
        let keys: Vec<String> =
            self.held.iter().filter(|(_, holder)| **holder == id).map(|(key, _)| key.clone()).collect();
        for key in &keys {
            self.held.remove(key);
        }
        keys
    }

    /// The lease on `key` was lost: who held it.
    pub(crate) fn lost(&mut self, key: &str) -> Option<ClientId> {
        self.held.remove(key)
    }
}
