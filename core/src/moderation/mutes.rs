//! Who is muted: identified people by account (kept across restarts), guests by connection.

use std::collections::{BTreeMap, HashMap};

use crate::{ClientId, Mute, UnixMillis};

/// Whom a mute is on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Muted {
    /// An account, by key: stored, and in force on every connection identified as it.
    Account(String),
    /// A guest's connection, for as long as it lasts.
    Guest(ClientId),
}

/// Every mute in force, with when it ends (`None`: never).
#[derive(Debug, Default)]
pub(crate) struct Mutes {
    accounts: BTreeMap<String, Mute>,
    guests: HashMap<ClientId, Option<UnixMillis>>,
}

impl Mutes {
    /// Mutes an account (replacing an earlier mute of it).
    pub(crate) fn insert_account(&mut self, mute: Mute) {
        self.accounts.insert(mute.account.clone(), mute);
    }

    /// The mute of the account `key`, in force or not yet expired away.
    pub(crate) fn account(&self, key: &str) -> Option<&Mute> {
        self.accounts.get(key)
    }

    /// Mutes a guest's connection until `expires`.
    pub(crate) fn insert_guest(&mut self, id: ClientId, expires: Option<UnixMillis>) {
        self.guests.insert(id, expires);
    }

    /// Lifts the mute on `who`; whether there was one.
    pub(crate) fn remove(&mut self, who: &Muted) -> bool {
        match who {
            Muted::Account(key) => self.accounts.remove(key).is_some(),
            Muted::Guest(id) => self.guests.remove(id).is_some(),
        }
    }

    /// Whether no one is muted (the common case, checked first for every line said).
    pub(crate) fn is_empty(&self) -> bool {
        self.accounts.is_empty() && self.guests.is_empty()
    }

    /// Whether the account `key` is muted at `now`, and until when (`Some(None)`: for good).
    pub(crate) fn account_until(&self, key: &str, now: UnixMillis) -> Option<Option<UnixMillis>> {
        in_force(self.accounts.get(key)?.expires, now)
    }

    /// Whether the guest connection `id` is muted at `now`, and until when.
    pub(crate) fn guest_until(&self, id: ClientId, now: UnixMillis) -> Option<Option<UnixMillis>> {
        in_force(*self.guests.get(&id)?, now)
    }

    /// Forgets a guest's connection (it is gone).
    pub(crate) fn forget(&mut self, id: ClientId) {
        self.guests.remove(&id);
    }

    /// When the next mute ends.
    pub(crate) fn next_expiry(&self) -> Option<UnixMillis> {
        let accounts = self.accounts.values().filter_map(|mute| mute.expires);
        accounts.chain(self.guests.values().flatten().copied()).min()
    }

    /// Removes and returns the mutes over at `now`.
    pub(crate) fn expire(&mut self, now: UnixMillis) -> Vec<Muted> {
        let over = |expires: Option<UnixMillis>| expires.is_some_and(|end| end <= now);
        let mut due: Vec<Muted> = self
            .accounts
            .values()
            .filter(|mute| over(mute.expires))
            .map(|mute| Muted::Account(mute.account.clone()))
            .collect();
        due.extend(self.guests.iter().filter(|&(_, &end)| over(end)).map(|(&id, _)| Muted::Guest(id)));
        due.sort();
        for who in &due {
            self.remove(who);
        }
        due
    }
}

/// `Some(expires)` if a mute ending at `expires` is in force at `now`.
fn in_force(expires: Option<UnixMillis>, now: UnixMillis) -> Option<Option<UnixMillis>> {
    expires.is_none_or(|end| end > now).then_some(expires)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutes_end_at_their_expiry() {
        let mut mutes = Mutes::default();
        let mute = Mute {
            account: "bob".into(),
            set_by: "op".into(),
            at: UnixMillis(0),
            expires: Some(UnixMillis(50)),
        };
        mutes.insert_account(mute);
        mutes.insert_guest(ClientId(7), None);
        let bob = Muted::Account("bob".into());
        assert!(!mutes.is_empty());
        assert_eq!(mutes.account_until("bob", UnixMillis(49)), Some(Some(UnixMillis(50))));
        assert_eq!(mutes.account_until("bob", UnixMillis(50)), None);
        assert_eq!(mutes.guest_until(ClientId(7), UnixMillis(1_000)), Some(None));
        assert_eq!(mutes.next_expiry(), Some(UnixMillis(50)));
        assert_eq!(mutes.expire(UnixMillis(50)), [bob]);
        assert_eq!(mutes.next_expiry(), None);
        mutes.forget(ClientId(7));
        assert_eq!(mutes.guest_until(ClientId(7), UnixMillis(0)), None);
        assert!(mutes.is_empty());
    }
}
