//! Accounts: `/register`, `/identify` (and `/nick NAME PASSWORD`), `/password`, `/unregister`,
//! the names they reserve, and who is a server operator.
//!
//! Passwords are hashed and verified off the event loop: a command asks the services with a
//! [`PasswordRequest`] under a fresh ticket (`accounts.rs` keeps what it was for), and
//! [`Server::password_answer`] acts on the answer. A client is identified only when the answer
//! to its own ticket says its password matched the account's hash as it still is (or the hash
//! of its new account came back). Failed attempts are limited per address and per account
//! before anything is asked ([`Config::attempts`](crate::Config::attempts)).
//!
//! A registered name is held by its owner only: `/nick NAME` to it is refused unless the client
//! identified as it, and a guest holding it when the owner identifies is renamed.

use std::net::IpAddr;

use bytes::Bytes;

use super::Server;
use super::arrivals::span;
use crate::accounts::{Pending, Secret, Work};
use crate::protocol::nick::{Nick, key_of};
use crate::protocol::wire;
use crate::protocol::{Password, sanitize};
use crate::{
    Account, ClientId, LimitedBy, PasswordOutcome, PasswordRequest, Record, Request, Ticket, UnixMillis,
};

/// Fewest characters of a new password.
pub(crate) const MIN_PASSWORD: usize = 8;

/// What an account command needs to know of its client.
struct Asker {
    peer: IpAddr,
    name: String,
    key: String,
    account: Option<String>,
}

impl Server {
    /// The key of the account client `id` identified as, or `None` for a guest (or an unknown
    /// client).
    pub fn account_of(&self, id: ClientId) -> Option<&str> {
        self.registry.get(id)?.account.as_deref()
    }

    /// Whether client `id` identified as an account named in [`Config::operators`](crate::Config::operators).
    pub fn is_server_operator(&self, id: ClientId) -> bool {
        self.account_of(id).is_some_and(|account| self.operator_keys.contains(account))
    }

    /// The name client `id` goes by, if it is connected.
    pub fn name_of(&self, id: ClientId) -> Option<&str> {
        self.registry.get(id).filter(|c| c.is_present()).map(|c| c.nick.as_str())
    }

    /// Whether `name` (or a name too close to it) is registered.
    pub fn is_registered(&self, name: &str) -> bool {
        self.accounts.get(&key_of(name)).is_some()
    }

    /// The refusal for client `id` taking the name with key `key`, if it is registered to an
    /// account `id` has not identified as.
    pub(super) fn reserved(&self, id: ClientId, key: &str) -> Option<Bytes> {
        let account = self.accounts.get(key)?;
        if self.account_of(id) == Some(key) {
            return None;
        }
        Some(wire::error(format_args!(
            "The name {} is registered. If it is yours: /nick {} PASSWORD",
            account.name, account.name
        )))
    }

    /// Whether a new guest name with key `key` would be taken (held, or registered).
    pub(super) fn name_taken(&self, key: &str) -> bool {
        self.registry.holder(key).is_some() || self.accounts.get(key).is_some()
    }

    /// The client's address, names and account, if it may ask for password work now.
    fn asker(&mut self, id: ClientId) -> Option<Asker> {
        let client = self.registry.get(id)?;
        let asker = Asker {
            peer: client.peer.ip(),
            name: client.nick.as_str().to_owned(),
            key: client.nick.key().to_owned(),
            account: client.account.as_deref().map(str::to_owned),
        };
        if self.accounts.is_waiting(id) || self.waits_for_shared_account(id) {
            self.send(
                id,
                wire::error("Your last password command is still being checked; wait for its answer."),
            );
            return None;
        }
        Some(asker)
    }

    /// `/register PASSWORD`: the current name becomes an account once its hash is made.
    pub(super) fn register(&mut self, id: ClientId, password: Password<'_>) {
        let Some(asker) = self.asker(id) else { return };
        let refusal = if asker.account.as_deref() == Some(asker.key.as_str()) {
            Some(format!("You registered {} already.", asker.name))
        } else if asker.key.starts_with(&key_of("guest-")) {
            Some("Guest names cannot be registered: pick a name with /nick NAME first.".to_owned())
        } else if short(password) {
            Some(format!("A password needs at least {MIN_PASSWORD} characters."))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            return self.send(id, wire::error(refusal));
        }
        let work = Work::Register { key: asker.key, name: asker.name };
        let ticket = self.accounts.ask(Pending { client: id, work });
        self.ask(Request::Password(PasswordRequest::Hash { ticket, password: password.as_str().to_owned() }));
    }

    /// `/identify [NAME] PASSWORD` and `/nick NAME PASSWORD`.
    pub(super) fn identify(&mut self, id: ClientId, name: Option<&str>, password: Password<'_>) {
        self.identify_with(id, name, password, true);
    }

    /// `/identify`: with `fetch` and a bus, the account's shared record is read first (see
    /// `cluster_accounts.rs`), then this runs again without.
    pub(super) fn identify_with(
        &mut self,
        id: ClientId,
        name: Option<&str>,
        password: Password<'_>,
        fetch: bool,
    ) {
        let Some(asker) = self.asker(id) else { return };
        let key = match name {
            None => asker.key.clone(),
            Some(typed) => match Nick::parse(typed, usize::MAX) {
                Ok(nick) => nick.key().to_owned(),
                Err(error) => return self.send(id, wire::error(sanitize(&error.to_string()))),
            },
        };
        if fetch && self.fetch_account_first(id, &key, name, password) {
            return;
        }
        let Some(account) = self.accounts.get(&key) else {
            let line = match name {
                None => wire::error(format_args!(
                    "Your name {} is not registered: /register PASSWORD reserves it.",
                    asker.name
                )),
                Some(typed) => wire::error(format_args!(
                    "{} is not registered: /nick {} takes it, then /register PASSWORD reserves it.",
                    sanitize(typed),
                    sanitize(typed)
                )),
            };
            return self.send(id, line);
        };
        let (shown, hash) = (account.name.clone(), account.password_hash.clone());
        if asker.account.as_deref() == Some(key.as_str()) {
            if asker.key == key {
                return self.send(id, wire::error(format_args!("You are identified as {shown} already.")));
            }
            // Identified already: taking the account's name back needs no password.
            return self.claim(id, &key);
        }
        if !self.charge_attempt(id, asker.peer, &key, &shown) {
            return;
        }
        let ticket =
            self.accounts.ask(Pending { client: id, work: Work::Identify { key, hash: hash.clone() } });
        self.verify(ticket, password, hash);
    }

    /// `/password OLD NEW`: OLD is verified, then NEW hashed.
    pub(super) fn change_password(&mut self, id: ClientId, old: Password<'_>, new: Password<'_>) {
        let Some((asker, account)) = self.identified_asker(id, "/password") else { return };
        if short(new) {
            let line = wire::error(format_args!("A password needs at least {MIN_PASSWORD} characters."));
            return self.send(id, line);
        }
        if !self.charge_attempt(id, asker.peer, &account.key, &account.name) {
            return;
        }
        let work = Work::CheckOld {
            key: account.key,
            hash: account.password_hash.clone(),
            new: Secret::new(new.as_str()),
        };
        let ticket = self.accounts.ask(Pending { client: id, work });
        self.verify(ticket, old, account.password_hash);
    }

    /// `/unregister PASSWORD`.
    pub(super) fn unregister(&mut self, id: ClientId, password: Password<'_>) {
        let Some((asker, account)) = self.identified_asker(id, "/unregister") else { return };
        if !self.charge_attempt(id, asker.peer, &account.key, &account.name) {
            return;
        }
        let work = Work::Unregister { key: account.key, hash: account.password_hash.clone() };
        let ticket = self.accounts.ask(Pending { client: id, work });
        self.verify(ticket, password, account.password_hash);
    }

    /// The asker and its account, if it identified as one; otherwise tells it to.
    fn identified_asker(&mut self, id: ClientId, command: &str) -> Option<(Asker, Account)> {
        let asker = self.asker(id)?;
        let account = asker.account.as_deref().and_then(|key| self.accounts.get(key)).cloned();
        match account {
            Some(account) => Some((asker, account)),
            None => {
                let line = wire::error(format_args!(
                    "{command} is for a registered name: /identify [NAME] PASSWORD first."
                ));
                self.send(id, line);
                None
            }
        }
    }

    /// Charges one password attempt to the address and the account; if either has no budget
    /// left, tells the client how long to wait and returns false.
    fn charge_attempt(&mut self, id: ClientId, peer: IpAddr, key: &str, shown: &str) -> bool {
        match self.accounts.attempts.attempt(self.now, peer, key) {
            Ok(()) => true,
            Err(limited) => {
                let by = match limited.by {
                    LimitedBy::Address => "from your address".to_owned(),
                    LimitedBy::Account => format!("for {shown}"),
                };
                tracing::info!(%id, %peer, account = %shown, ?limited, "password attempts limited");
                self.send(
                    id,
                    wire::error(format_args!(
                        "Too many wrong passwords {by}; try again in {}.",
                        span(limited.retry_after)
                    )),
                );
                false
            }
        }
    }

    fn verify(&mut self, ticket: Ticket, password: Password<'_>, hash: String) {
        let password = password.as_str().to_owned();
        self.ask(Request::Password(PasswordRequest::Verify { ticket, password, hash: Some(hash) }));
    }

    /// The services answered the password request `ticket`.
    pub(super) fn password_answer(&mut self, ticket: Ticket, outcome: PasswordOutcome) {
        let Some(Pending { client: id, work }) = self.accounts.answered(ticket) else {
            return tracing::debug!(?ticket, "a password answer nobody waits for");
        };
        let Some(peer) = self.registry.get(id).filter(|c| c.is_active()).map(|c| c.peer.ip()) else { return };
        match (work, outcome) {
            (work, PasswordOutcome::Unavailable) => {
                // Nothing was checked: the attempt costs nothing.
                if let Some(key) = work.checked_account() {
                    self.accounts.attempts.unchecked(self.now, peer, key);
                }
                self.send(
                    id,
                    wire::error(
                        "Passwords cannot be checked right now (the server is busy); try again in a moment.",
                    ),
                );
            }
            (Work::Register { key, name }, PasswordOutcome::Hashed(hash)) => {
                self.registered(id, key, name, hash)
            }
            (Work::Identify { key, hash }, PasswordOutcome::Verified(right)) => {
                if self.still(id, &key, &hash, right, peer) {
                    self.claim(id, &key);
                }
            }
            (Work::CheckOld { key, hash, new }, PasswordOutcome::Verified(right)) => {
                if self.still(id, &key, &hash, right, peer) {
                    let ticket = self.accounts.ask(Pending { client: id, work: Work::Rehash { key, hash } });
                    let password = new.into_string();
                    self.ask(Request::Password(PasswordRequest::Hash { ticket, password }));
                }
            }
            (Work::Rehash { key, hash }, PasswordOutcome::Hashed(new_hash)) => {
                self.rehashed(id, &key, &hash, new_hash);
            }
            (Work::Unregister { key, hash }, PasswordOutcome::Verified(right)) => {
                if self.still(id, &key, &hash, right, peer) {
                    self.unregistered(id, &key);
                }
            }
            (work, outcome) => {
                tracing::warn!(?ticket, ?work, ?outcome, "a password answer of the wrong kind");
                self.send(id, wire::error("Passwords cannot be checked right now; try again in a moment."));
            }
        }
    }

    /// Whether a verified password (`right`) for account `key`, checked against `hash`, still
    /// counts: the account is there with the same hash. Tells the client if not.
    fn still(&mut self, id: ClientId, key: &str, hash: &str, right: bool, peer: IpAddr) -> bool {
        let Some(account) = self.accounts.get(key) else {
            self.send(id, wire::error("That account was given up meanwhile."));
            return false;
        };
        let name = account.name.clone();
        if !right {
            tracing::info!(%id, %peer, account = %name, "wrong password");
            self.send(id, wire::error(format_args!("Wrong password for {name}.")));
            return false;
        }
        if account.password_hash != hash {
            self.send(id, wire::error(format_args!("The password of {name} changed meanwhile; try again.")));
            return false;
        }
        self.accounts.attempts.succeeded(self.now, peer, key);
        true
    }

    /// A new account's hash came back: the client owns its name, if it still holds it.
    fn registered(&mut self, id: ClientId, key: String, name: String, hash: String) {
        let Some(client) = self.registry.get(id) else { return };
        if client.nick.key() != key {
            let line =
                wire::error(format_args!("You are no longer called {name}, so it was not registered."));
            return self.send(id, line);
        }
        if self.accounts.get(&key).is_some() || self.creating_shared_account(&key) {
            return self.send(id, wire::error(format_args!("{name} was registered meanwhile.")));
        }
        let name = client.nick.as_str().to_owned();
        let created = UnixMillis::from_duration(self.clock.at(self.now));
        let account = Account { key: key.clone(), name: name.clone(), password_hash: hash, created };
        if self.create_shared_account(id, &account) {
            return; // Kept once the bus says no other node has it.
        }
        self.keep_registered(id, account);
    }

    /// A new account is registered (with a bus: no other node had it): kept, and its client
    /// identified as it.
    pub(super) fn keep_registered(&mut self, id: ClientId, account: Account) {
        let (key, name) = (account.key.clone(), account.name.clone());
        self.accounts.insert(account.clone());
        self.persist(Record::Account(account));
        if let Some(client) = self.registry.get_mut(id) {
            client.account = Some(key.into());
        }
        tracing::info!(%id, account = %name, "registered");
        self.send(id, wire::registered(&name));
    }

    /// Client `id` proved account `key`: it is identified, and takes the account's name from
    /// whoever holds it.
    fn claim(&mut self, id: ClientId, key: &str) {
        let Some(account) = self.accounts.get(key) else { return };
        let Ok(nick) = Nick::parse(&account.name, usize::MAX) else {
            tracing::error!(account = %account.name, "a stored account name is not a valid name");
            return;
        };
        if let Some(client) = self.registry.get_mut(id) {
            client.account = Some(key.into());
        }
        if self.enforce_account_ban(id) {
            return;
        }
        if let Some(holder) = self.registry.holder(key).filter(|&holder| holder != id) {
            let registry = &self.registry;
            let accounts = &self.accounts;
            let guest = self
                .guests
                .next(registry.active(), |key| registry.holder(key).is_some() || accounts.get(key).is_some());
            self.send(
                holder,
                wire::error(format_args!(
                    "{nick} is registered and its owner identified from another connection: you are renamed."
                )),
            );
            self.set_name(holder, guest);
        }
        // With a bus, the name is leased first: renamed and identified once it is granted,
        // not identified if another node holds it.
        if self.registry.get(id).is_some_and(|c| c.nick.as_str() != nick.as_str()) {
            if self.lease_first(id, &nick) {
                return self.identify_once_leased(id, &nick);
            }
            self.set_name(id, nick.clone());
        }
        tracing::info!(%id, account = %nick, "identified");
        self.send(id, wire::identified(nick.as_str()));
    }

    /// NEW's hash came back: it replaces the account's, unless that changed meanwhile.
    fn rehashed(&mut self, id: ClientId, key: &str, was: &str, hash: String) {
        let Some(account) = self.accounts.get(key).filter(|account| account.password_hash == was) else {
            return self.send(id, wire::error("The account changed meanwhile: your password is unchanged."));
        };
        let account = Account { password_hash: hash, ..account.clone() };
        self.accounts.insert(account.clone());
        tracing::info!(%id, account = %account.name, "password changed");
        self.share_account(crate::BusCommand::StoreAccount { account: account.clone() });
        self.persist(Record::Account(account));
        self.send(id, wire::password_changed());
    }

    /// Client `id` gave account `key` up: every client identified as it is a guest again.
    fn unregistered(&mut self, id: ClientId, key: &str) {
        let Some(account) = self.accounts.remove(key) else { return };
        self.persist(Record::AccountDeleted { account: key.to_owned() });
        self.share_account(crate::BusCommand::DeleteAccount { key: key.to_owned() });
        tracing::info!(%id, account = %account.name, "unregistered");
        let owners: Vec<ClientId> = self
            .registry
            .clients()
            .iter()
            .filter(|c| c.account.as_deref() == Some(key))
            .map(|c| c.id)
            .collect();
        for owner in owners {
            if let Some(client) = self.registry.get_mut(owner) {
                client.account = None;
            }
            let line = if owner == id {
                wire::unregistered(&account.name)
            } else {
                wire::unregistered_elsewhere(&account.name)
            };
            self.send(owner, line);
        }
    }
}

/// Whether a new password is too short.
fn short(password: Password<'_>) -> bool {
    password.as_str().chars().count() < MIN_PASSWORD
}
