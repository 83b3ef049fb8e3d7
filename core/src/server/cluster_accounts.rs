//! Accounts across nodes: with a bus, an account is one shared record every node reads.
//!
//! - `/register`: once the password's hash is made, the account is created on the bus only if
//!   no node has one with its key ([`BusCommand::CreateAccount`]); then it is kept here too.
//!   Another node's account of that name: refused plainly.
//! - `/identify`: the account's shared record is read first ([`BusCommand::FetchAccount`]) and
//!   this node's copy (its database) follows it, so an account registered on another node, or
//!   whose password changed there, is identified against what every node shares.
//! - `/password` and `/unregister` change the shared record too.
//!
//! With the bus down, `/identify` goes by this node's copy (answers would wait for the bus);
//! `/register` waits for the bus, as appends do.

use super::Server;
use crate::accounts::Secret;
use crate::cluster::Fetching;
use crate::protocol::{Nick, Password, wire};
use crate::{Account, BusCommand, ClientId, Record, Request};

impl Server {
    /// Whether `id` waits for the bus about an account.
    pub(super) fn waits_for_shared_account(&self, id: ClientId) -> bool {
        self.cluster.as_ref().is_some_and(|cluster| cluster.accounts.is_waiting(id))
    }

    /// Whether an account with key `key` is being created on the bus from this node.
    pub(super) fn creating_shared_account(&self, key: &str) -> bool {
        self.cluster.as_ref().is_some_and(|cluster| cluster.accounts.is_creating(key))
    }

    /// With a bus, `id`'s new `account` is created on the bus first: returns true if it is.
    pub(super) fn create_shared_account(&mut self, id: ClientId, account: &Account) -> bool {
        let Some(cluster) = self.cluster.as_mut() else { return false };
        cluster.accounts.create(id, account.clone());
        self.ask(Request::Bus(BusCommand::CreateAccount { account: account.clone() }));
        true
    }

    /// With a bus that is up, `/identify` of account `key` reads its shared record first:
    /// returns true if it does (the identification goes on when the record comes).
    pub(super) fn fetch_account_first(
        &mut self,
        id: ClientId,
        key: &str,
        typed: Option<&str>,
        password: Password<'_>,
    ) -> bool {
        let Some(cluster) = self.cluster.as_mut().filter(|cluster| !cluster.down) else { return false };
        let fetching = Fetching {
            client: id,
            typed: typed.map(str::to_owned),
            password: Secret::new(password.as_str()),
        };
        if cluster.accounts.fetch(key, fetching) {
            self.ask(Request::Bus(BusCommand::FetchAccount { key: key.to_owned() }));
        }
        true
    }

    /// A change to an account (`/password`, `/unregister`) goes to its shared record too.
    pub(super) fn share_account(&mut self, command: BusCommand) {
        if self.is_clustered() {
            self.ask(Request::Bus(command));
        }
    }

    /// The bus answered [`BusCommand::CreateAccount`] for `key`.
    pub(super) fn shared_account_created(&mut self, key: &str, created: bool) {
        let Some((id, account)) = self.cluster.as_mut().and_then(|cluster| cluster.accounts.created(key))
        else {
            return;
        };
        if created {
            return self.keep_registered(id, account);
        }
        tracing::info!(%id, account = %account.name, "registered on another node already");
        if self.registry.get(id).is_some_and(|client| client.is_active()) {
            self.send(id, wire::registered_elsewhere(&account.name));
        }
    }

    /// The bus answered [`BusCommand::FetchAccount`] for `key`: this node's copy follows it,
    /// and the identifications that waited for it go on.
    pub(super) fn shared_account_fetched(&mut self, key: &str, account: Option<Account>) {
        match account {
            Some(account) if account.key == key => {
                if self.accounts.get(key) != Some(&account) {
                    self.accounts.insert(account.clone());
                    self.persist(Record::Account(account));
                }
            }
            Some(account) => {
                tracing::warn!(%key, other = %account.key, "the bus answered for another account: ignored");
            }
            None => {
                if self.accounts.remove(key).is_some() {
                    tracing::info!(%key, "an account no node shares any more is forgotten here");
                    self.persist(Record::AccountDeleted { account: key.to_owned() });
                }
            }
        }
        self.identify_those_waiting(key);
    }

    /// `id`'s lease on `nick` is granted: with a bus, the name's account (registered on another
    /// node, perhaps) is read first, so a registered name is reserved on every node.
    pub(super) fn rename_once_account_read(&mut self, id: ClientId, nick: Nick) {
        let Some(cluster) = self.cluster.as_mut() else { return self.rename_leased(id, nick) };
        let key = nick.key().to_owned();
        if cluster.accounts.rename(id, nick) {
            self.ask(Request::Bus(BusCommand::FetchAccount { key }));
        }
    }

    /// `id`, holding `nick`'s lease, takes it unless an account it has not identified as
    /// reserves it.
    fn rename_leased(&mut self, id: ClientId, nick: Nick) {
        if !self.registry.get(id).is_some_and(|c| c.is_active()) {
            return;
        }
        if let Some(refusal) = self.reserved(id, nick.key()) {
            self.send(id, refusal);
            let release = self.cluster.as_mut().is_some_and(|cluster| cluster.leases.let_go(nick.key(), id));
            if release {
                self.ask(Request::Bus(BusCommand::Release { name: nick.key().to_owned() }));
            }
        } else {
            self.set_name(id, nick.clone());
            if self.cluster.as_mut().and_then(|cluster| cluster.accounts.named(id)).is_some() {
                tracing::info!(%id, account = %nick, "identified");
                self.send(id, wire::identified(nick.as_str()));
            }
        }
        let _ = self.not_identified(id, &nick);
        self.announce(id);
    }

    /// `id` proved account `key` and asked for its name's lease: it is identified once it is
    /// renamed (not if the name is being asked for by another client).
    pub(super) fn identify_once_leased(&mut self, id: ClientId, nick: &Nick) {
        let Some(cluster) = self.cluster.as_mut() else { return };
        let key = nick.key();
        cluster.accounts.identify_once_named(id, key);
        if cluster.leases.asked_by(key) != Some(id) && cluster.accounts.renaming_by(key) != Some(id) {
            self.not_identified(id, nick);
        }
    }

    /// `id` was to be identified once named `nick` and is not (the name is held elsewhere, or
    /// the bus could not be asked): it is not identified, and told so. Returns whether it was.
    pub(super) fn not_identified(&mut self, id: ClientId, nick: &Nick) -> bool {
        let Some(key) = self.cluster.as_mut().and_then(|cluster| cluster.accounts.named(id)) else {
            return false;
        };
        let Some(client) = self.registry.get_mut(id) else { return false };
        if client.account.as_deref() == Some(key.as_str()) {
            client.account = None;
        }
        tracing::info!(%id, account = %nick, "not identified: its name is not leased to it");
        self.send(id, wire::not_identified_elsewhere(nick.as_str()));
        true
    }

    /// The identifications that waited for `key`'s shared record go on, with this node's copy.
    pub(super) fn identify_those_waiting(&mut self, key: &str) {
        if let Some((id, nick)) = self.cluster.as_mut().and_then(|cluster| cluster.accounts.renamed(key)) {
            self.rename_leased(id, nick);
        }
        let waiting = self.cluster.as_mut().map(|cluster| cluster.accounts.fetched(key)).unwrap_or_default();
        for Fetching { client, typed, password } in waiting {
            if self.registry.get(client).is_some_and(|c| c.is_active()) {
                let password = password.into_string();
                self.identify_with(client, typed.as_deref(), Password(&password), false);
            }
        }
    }
}
