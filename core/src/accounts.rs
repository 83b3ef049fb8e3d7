//! Registered accounts and the password work in flight for them: pure bookkeeping, no policy
//! about who is told what (that is `server/accounts.rs`).
//!
//! An account reserves one name (by its uniqueness key) and holds its password's argon2id hash.
//! Passwords themselves are never kept: a password typed with a command goes straight into a
//! [`PasswordRequest`](crate::PasswordRequest) for the services, except the new password of
//! `/password OLD NEW`, which waits here (as a [`Secret`]) until the old one is verified.
//!
//! **Invariant:** every password request the server asks for has a [`Ticket`] held here until
//! its answer comes, and an answer is acted on only for the ticket it names, for the client
//! and the account that asked: a ticket is used once, and forgotten when its client leaves.

use std::collections::HashMap;
use std::fmt;

use crate::{Account, AttemptLimiter, AttemptLimits, ClientId, Ticket};

/// A password held between two steps of `/password OLD NEW`. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(password: &str) -> Self {
        Self(password.to_owned())
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// What a password request in flight was for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Work {
    /// `/register`: hashing the password for the name with this key, as it was shown.
    Register {
        /// The name's key.
        key: String,
        /// The name as the client held it.
        name: String,
    },
    /// `/identify`, `/nick NAME PASSWORD`: verifying against `hash`.
    Identify {
        /// The account's key.
        key: String,
        /// The hash the password is checked against: if the account's hash changed meanwhile,
        /// the answer is about an old password and counts for nothing.
        hash: String,
    },
    /// `/password OLD NEW`, first step: verifying OLD against `hash`.
    CheckOld {
        /// The account's key.
        key: String,
        /// The hash OLD is checked against.
        hash: String,
        /// NEW, to hash once OLD is right.
        new: Secret,
    },
    /// `/password OLD NEW`, second step: hashing NEW to replace `hash`.
    Rehash {
        /// The account's key.
        key: String,
        /// The hash it replaces (if it changed meanwhile, this change is dropped).
        hash: String,
    },
    /// `/unregister PASSWORD`: verifying against `hash`.
    Unregister {
        /// The account's key.
        key: String,
        /// The hash it is checked against.
        hash: String,
    },
}

impl Work {
    /// The account a password was checked against (an attempt charged to it), if this is a
    /// verification.
    pub(crate) fn checked_account(&self) -> Option<&str> {
        match self {
            Work::Identify { key, .. } | Work::CheckOld { key, .. } | Work::Unregister { key, .. } => {
                Some(key)
            }
            Work::Register { .. } | Work::Rehash { .. } => None,
        }
    }
}

/// Who asked, and for what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    /// The client that asked.
    pub(crate) client: ClientId,
    /// What for.
    pub(crate) work: Work,
}

/// Every account, the password work in flight, and the failed-attempt budgets.
#[derive(Debug)]
pub(crate) struct Accounts {
    by_key: HashMap<String, Account>,
    pending: HashMap<Ticket, Pending>,
    next_ticket: u64,
    /// Failed password attempts, per address and per account.
    pub(crate) attempts: AttemptLimiter,
}

impl Accounts {
    /// No accounts yet.
    pub(crate) fn new(limits: AttemptLimits) -> Self {
        Self {
            by_key: HashMap::new(),
            pending: HashMap::new(),
            next_ticket: 1,
            attempts: AttemptLimiter::new(limits),
        }
    }

    /// The account whose name has uniqueness key `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Account> {
        self.by_key.get(key)
    }

    /// Adds or replaces an account (by its key).
    pub(crate) fn insert(&mut self, account: Account) {
        self.by_key.insert(account.key.clone(), account);
    }

    /// Removes the account with key `key`.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Account> {
        self.by_key.remove(key)
    }

    /// A fresh ticket for `pending`'s request.
    pub(crate) fn ask(&mut self, pending: Pending) -> Ticket {
        let ticket = Ticket(self.next_ticket);
        self.next_ticket += 1;
        self.pending.insert(ticket, pending);
        ticket
    }

    /// The request `ticket` answers, taken out (a ticket is answered once).
    pub(crate) fn answered(&mut self, ticket: Ticket) -> Option<Pending> {
        self.pending.remove(&ticket)
    }

    /// Whether `client` is waiting for a password answer.
    pub(crate) fn is_waiting(&self, client: ClientId) -> bool {
        self.pending.values().any(|pending| pending.client == client)
    }

    /// Forgets what `client` asked: it left, and its answers are for no one.
    pub(crate) fn forget_client(&mut self, client: ClientId) {
        if !self.pending.is_empty() {
            self.pending.retain(|_, pending| pending.client != client);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnixMillis;

    #[test]
    fn tickets_are_answered_once_and_forgotten_with_their_client() {
        let mut accounts = Accounts::new(AttemptLimits::default());
        let work = Work::Register { key: "alice".into(), name: "Alice".into() };
        let first = accounts.ask(Pending { client: ClientId(1), work: work.clone() });
        let second = accounts.ask(Pending { client: ClientId(2), work: work.clone() });
        assert_ne!(first, second);
        assert!(accounts.is_waiting(ClientId(1)));
        assert_eq!(accounts.answered(first).map(|p| p.client), Some(ClientId(1)));
        assert_eq!(accounts.answered(first), None, "a ticket is answered once");
        accounts.forget_client(ClientId(2));
        assert_eq!(accounts.answered(second), None);
        assert!(!accounts.is_waiting(ClientId(2)));
    }

    #[test]
    fn accounts_are_kept_by_key() {
        let mut accounts = Accounts::new(AttemptLimits::default());
        let account = Account {
            key: "alice".into(),
            name: "Alice".into(),
            password_hash: "$argon2id$x".into(),
            created: UnixMillis(1),
        };
        accounts.insert(account.clone());
        assert_eq!(accounts.get("alice"), Some(&account));
        assert_eq!(accounts.remove("alice"), Some(account));
        assert_eq!(accounts.get("alice"), None);
    }

    #[test]
    fn a_held_password_never_prints() {
        let work = Work::CheckOld { key: "a".into(), hash: "h".into(), new: Secret::new("hunter2") };
        assert!(!format!("{work:?}").contains("hunter2"));
    }
}
