//! Accounts across nodes: the account commands waiting for the bus's answer. Each account is
//! one shared record on the bus (created only if no node has one with its key, read afresh on
//! `/identify`); each node's own copy (its database) follows what the bus says.

use std::collections::HashMap;

use crate::accounts::Secret;
use crate::protocol::Nick;
use crate::{Account, ClientId};

/// An `/identify` waiting for the shared record of its account.
#[derive(Debug)]
pub(crate) struct Fetching {
    /// Who asked.
    pub(crate) client: ClientId,
    /// The name typed (`/identify NAME PASSWORD`), if one was.
    pub(crate) typed: Option<String>,
    /// The password typed, until the record comes.
    pub(crate) password: Secret,
}

/// The account commands waiting for the bus.
#[derive(Debug, Default)]
pub(crate) struct SharedAccounts {
    /// New accounts, by key, waiting to be created on the bus: who registered, what.
    creating: HashMap<String, (ClientId, Account)>,
    /// Identifications waiting for their account's record, by key.
    fetching: HashMap<String, Vec<Fetching>>,
    /// Renames (their lease granted) waiting for the record of the name's account, by key.
    renaming: HashMap<String, (ClientId, Nick)>,
    /// Identifications whose password was proved, waiting for the account name's lease: the
    /// account's key, by client.
    identifying: HashMap<ClientId, String>,
}

impl SharedAccounts {
    /// Whether `key` is being created.
    pub(crate) fn is_creating(&self, key: &str) -> bool {
        self.creating.contains_key(key)
    }

    /// `client` registers `account`, once the bus says no node has it.
    pub(crate) fn create(&mut self, client: ClientId, account: Account) {
        self.creating.insert(account.key.clone(), (client, account));
    }

    /// The bus answered the creation of `key`.
    pub(crate) fn created(&mut self, key: &str) -> Option<(ClientId, Account)> {
        self.creating.remove(key)
    }

    /// An identification waits for `key`'s record; returns whether it is the first (so the
    /// record is to be asked for).
    pub(crate) fn fetch(&mut self, key: &str, fetching: Fetching) -> bool {
        let waiting = self.fetching.entry(key.to_owned()).or_default();
        waiting.push(fetching);
        waiting.len() == 1
    }

    /// The record of `key` came: who waited for it.
    pub(crate) fn fetched(&mut self, key: &str) -> Vec<Fetching> {
        self.fetching.remove(key).unwrap_or_default()
    }

    /// `client` renames to `nick` once its account's record (if any) is read; returns whether
    /// the record is to be asked for (nobody asked for it yet).
    pub(crate) fn rename(&mut self, client: ClientId, nick: Nick) -> bool {
        let key = nick.key().to_owned();
        let first = !self.fetching.contains_key(&key) && !self.renaming.contains_key(&key);
        self.renaming.insert(key, (client, nick));
        first
    }

    /// Who renames to the name with key `key` once its account's record is read, if anyone.
    pub(crate) fn renaming_by(&self, key: &str) -> Option<ClientId> {
        self.renaming.get(key).map(|(id, _)| *id)
    }

    /// The record of `key` came: the rename that waited for it.
    pub(crate) fn renamed(&mut self, key: &str) -> Option<(ClientId, Nick)> {
        self.renaming.remove(key)
    }

    /// `client` proved account `key` and is identified once its name is leased to it.
    pub(crate) fn identify_once_named(&mut self, client: ClientId, key: &str) {
        self.identifying.insert(client, key.to_owned());
    }

    /// `client`'s rename came through or was refused: the account it was to be identified as
    /// then, if any.
    pub(crate) fn named(&mut self, client: ClientId) -> Option<String> {
        self.identifying.remove(&client)
    }

    /// Whether `client` waits for the bus about an account.
    pub(crate) fn is_waiting(&self, client: ClientId) -> bool {
        self.renaming.values().any(|(id, _)| *id == client)
            || self.creating.values().any(|(id, _)| *id == client)
            || self.fetching.values().flatten().any(|fetching| fetching.client == client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnixMillis;

    #[test]
    fn identifications_share_one_fetch_and_creations_are_answered_once() {
        let mut shared = SharedAccounts::default();
        let one = |client| Fetching { client: ClientId(client), typed: None, password: Secret::new("pw") };
        assert!(shared.fetch("ann", one(1)));
        assert!(!shared.fetch("ann", one(2)), "asked once");
        assert!(shared.is_waiting(ClientId(2)));
        assert_eq!(shared.fetched("ann").len(), 2);
        assert!(shared.fetched("ann").is_empty());
        let account = Account {
            key: "ann".into(),
            name: "Ann".into(),
            password_hash: "h".into(),
            created: UnixMillis(1),
        };
        shared.create(ClientId(3), account.clone());
        assert!(shared.is_creating("ann"));
        assert_eq!(shared.created("ann"), Some((ClientId(3), account)));
        assert_eq!(shared.created("ann"), None);
    }
}
