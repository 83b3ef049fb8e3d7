//! The bans in force: by account and by address range, each until its expiry (or forever).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use crate::{Ban, BanTarget, UnixMillis};

/// Every ban in force, by target, and which bans were set by naming someone (so that
/// `/unban NAME` lifts them all).
#[derive(Debug, Default)]
pub(crate) struct Bans {
    bans: BTreeMap<BanTarget, Ban>,
    /// The targets banned by `/ban NAME`, by the name's key. Not stored: after a restart, an
    /// address ban is lifted by its address (shown in `/banned`).
    by_name: HashMap<String, Vec<BanTarget>>,
}

impl Bans {
    /// Sets (or replaces) `ban`.
    pub(crate) fn insert(&mut self, ban: Ban) {
        self.bans.insert(ban.target.clone(), ban);
    }

    /// The ban of `target`, in force or not yet expired away.
    pub(crate) fn get(&self, target: &BanTarget) -> Option<&Ban> {
        self.bans.get(target)
    }

    /// Remembers that `targets` were banned by naming `name_key`.
    pub(crate) fn link(&mut self, name_key: &str, targets: Vec<BanTarget>) {
        self.by_name.insert(name_key.to_owned(), targets);
    }

    /// Lifts the ban of `target`; returns it if there was one.
    pub(crate) fn remove(&mut self, target: &BanTarget) -> Option<Ban> {
        self.bans.remove(target)
    }

    /// The targets banned by naming `name_key` that are still banned, forgetting the link.
    pub(crate) fn take_linked(&mut self, name_key: &str) -> Vec<BanTarget> {
        let targets = self.by_name.remove(name_key).unwrap_or_default();
        targets.into_iter().filter(|target| self.bans.contains_key(target)).collect()
    }

    /// The ban in force at `now` on `address` (the narrowest range holding it), if any.
    pub(crate) fn of_address(&self, address: IpAddr, now: UnixMillis) -> Option<&Ban> {
        self.in_force(now)
            .filter(|ban| matches!(&ban.target, BanTarget::Addresses(range) if range.contains(address)))
            .max_by_key(|ban| match &ban.target {
                BanTarget::Addresses(range) => range.prefix(),
                BanTarget::Account(_) => 0,
            })
    }

    /// The ban in force at `now` on the account `key`, if any.
    pub(crate) fn of_account(&self, key: &str, now: UnixMillis) -> Option<&Ban> {
        self.bans.get(&BanTarget::Account(key.to_owned())).filter(|ban| !expired(ban, now))
    }

    /// The bans in force at `now`, in target order (accounts, then ranges).
    pub(crate) fn in_force(&self, now: UnixMillis) -> impl Iterator<Item = &Ban> {
        self.bans.values().filter(move |ban| !expired(ban, now))
    }

    /// How many bans are kept (some may have expired and wait for [`Bans::expire`]).
    pub(crate) fn len(&self) -> usize {
        self.bans.len()
    }

    /// When the next ban expires.
    pub(crate) fn next_expiry(&self) -> Option<UnixMillis> {
        self.bans.values().filter_map(|ban| ban.expires).min()
    }

    /// Removes and returns the bans expired at `now`.
    pub(crate) fn expire(&mut self, now: UnixMillis) -> Vec<Ban> {
        let due: Vec<BanTarget> =
            self.bans.values().filter(|ban| expired(ban, now)).map(|ban| ban.target.clone()).collect();
        due.iter().filter_map(|target| self.bans.remove(target)).collect()
    }
}

/// Whether `ban` is over at `now`.
fn expired(ban: &Ban, now: UnixMillis) -> bool {
    ban.expires.is_some_and(|end| end <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ban(target: &str, expires: Option<u64>) -> Ban {
        let target = match target.parse() {
            Ok(range) => BanTarget::Addresses(range),
            Err(_) => BanTarget::Account(target.to_owned()),
        };
        Ban {
            target,
            reason: String::new(),
            set_by: "op".into(),
            at: UnixMillis(0),
            expires: expires.map(UnixMillis),
        }
    }

    #[test]
    fn the_narrowest_range_in_force_applies() {
        let mut bans = Bans::default();
        bans.insert(ban("10.0.0.0/8", None));
        bans.insert(ban("10.1.0.0/16", Some(100)));
        let inside: IpAddr = "10.1.2.3".parse().unwrap();
        assert_eq!(bans.of_address(inside, UnixMillis(50)).unwrap().target, ban("10.1.0.0/16", None).target);
        assert_eq!(bans.of_address(inside, UnixMillis(100)).unwrap().target, ban("10.0.0.0/8", None).target);
        assert!(bans.of_address("11.0.0.1".parse().unwrap(), UnixMillis(0)).is_none());
        assert_eq!(bans.next_expiry(), Some(UnixMillis(100)));
        assert_eq!(bans.expire(UnixMillis(99)), []);
        assert_eq!(bans.expire(UnixMillis(100)).len(), 1);
        assert_eq!(bans.next_expiry(), None);
        assert_eq!(bans.len(), 1);
    }

    #[test]
    fn accounts_and_names_lift_together() {
        let mut bans = Bans::default();
        bans.insert(ban("bob", Some(10)));
        bans.insert(ban("10.0.0.2", None));
        bans.link("bob", vec![ban("bob", None).target, ban("10.0.0.2", None).target]);
        assert!(bans.of_account("bob", UnixMillis(9)).is_some());
        assert!(bans.of_account("bob", UnixMillis(10)).is_none(), "expired");
        assert!(bans.remove(&ban("10.0.0.2", None).target).is_some());
        assert_eq!(bans.take_linked("bob"), [ban("bob", None).target]);
        assert_eq!(bans.take_linked("bob"), []);
    }
}
