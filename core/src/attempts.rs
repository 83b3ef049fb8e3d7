//! Failed password attempts, limited per address and per account, on the caller's clock.
//!
//! Each address and each account has a budget of failures that refills at a steady rate (a
//! generic cell rate algorithm: one instant per key, no floats, no timers). Before asking for a
//! password to be verified the core calls [`AttemptLimiter::attempt`], which refuses if either
//! budget is spent and otherwise charges the attempt to both as a failure, so that verifications
//! still in flight count too (a client cannot pipeline a hundred guesses before the first answer).
//! A wrong password then needs nothing more; a right one calls [`AttemptLimiter::succeeded`],
//! which gives the address back that one charge and forgets the account's failures.
//!
//! IPv6 addresses are counted by their /64 network, since one host usually holds a whole /64.
//! Memory is bounded: at most [`AttemptLimits::max_tracked`] keys of each kind are kept; keys
//! whose budget is whole again are forgotten first, then the ones with the fewest failures.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// How many failures are allowed, and how fast they are forgiven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Failures an address may make in a row before it must wait.
    pub address_burst: u32,
    /// One failure of an address is forgiven per this much time.
    pub address_refill: Duration,
    /// Failures against one account in a row (from anywhere) before it must wait.
    pub account_burst: u32,
    /// One failure against an account is forgiven per this much time.
    pub account_refill: Duration,
    /// Most addresses, and most accounts, tracked at once.
    pub max_tracked: usize,
}

impl Default for AttemptLimits {
    /// 10 failures per address then one per 30 s; 5 per account then one per minute (at most
    /// 65 guesses at one password in the first hour, from however many addresses); 10,000
    /// addresses and accounts tracked.
    fn default() -> Self {
        Self {
            address_burst: 10,
            address_refill: Duration::from_secs(30),
            account_burst: 5,
            account_refill: Duration::from_secs(60),
            max_tracked: 10_000,
        }
    }
}

/// Why an attempt may not be made now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    /// Which budget is spent.
    pub by: LimitedBy,
    /// How long until one more attempt is allowed.
    pub retry_after: Duration,
}

/// Which budget of failures is spent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitedBy {
    /// The address (or its IPv6 /64) failed too often.
    Address,
    /// The account was guessed at too often.
    Account,
}

/// The failed-attempt budgets of addresses and accounts.
#[derive(Debug)]
pub struct AttemptLimiter {
    limits: AttemptLimits,
    addresses: Budgets<IpAddr>,
    accounts: Budgets<String>,
}

impl AttemptLimiter {
    /// No failures yet.
    pub fn new(limits: AttemptLimits) -> Self {
        Self { limits, addresses: Budgets::default(), accounts: Budgets::default() }
    }

    /// Whether `address` may try a password for `account` (a key) at `now`; if so, the attempt
    /// is charged to both as a failure until [`AttemptLimiter::succeeded`] says otherwise. The
    /// address's limit is reported first.
    pub fn attempt(&mut self, now: Instant, address: IpAddr, account: &str) -> Result<(), Limited> {
        let limits = self.limits;
        let address = counted(address);
        let by_address = self.addresses.wait(&address, now, limits.address_burst, limits.address_refill);
        let by_account = self.accounts.wait(account, now, limits.account_burst, limits.account_refill);
        match (by_address, by_account) {
            (Some(retry_after), _) => Err(Limited { by: LimitedBy::Address, retry_after }),
            (None, Some(retry_after)) => Err(Limited { by: LimitedBy::Account, retry_after }),
            (None, None) => {
                self.addresses.charge(address, now, limits.address_refill, limits.max_tracked);
                self.accounts.charge(account.to_owned(), now, limits.account_refill, limits.max_tracked);
                Ok(())
            }
        }
    }

    /// The password `address` gave for `account` at `now` was right: the address gets its charge
    /// back and the account's failures are forgotten.
    pub fn succeeded(&mut self, now: Instant, address: IpAddr, account: &str) {
        self.addresses.refund(&counted(address), now, self.limits.address_refill);
        self.accounts.due.remove(account);
    }

    /// The attempt `address` made for `account` at `now` could not be checked at all (the
    /// password workers were busy): both get that one charge back.
    pub fn unchecked(&mut self, now: Instant, address: IpAddr, account: &str) {
        self.addresses.refund(&counted(address), now, self.limits.address_refill);
        self.accounts.refund(account, now, self.limits.account_refill);
    }

    /// Forgets every key whose budget is whole again at `now`.
    pub fn prune(&mut self, now: Instant) {
        self.addresses.prune(now);
        self.accounts.prune(now);
    }

    /// How many addresses and accounts are tracked.
    pub fn tracked(&self) -> (usize, usize) {
        (self.addresses.due.len(), self.accounts.due.len())
    }
}

/// The key an address is counted under: itself, or its /64 network for IPv6.
fn counted(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        v4 => v4,
    }
}

/// Per key, the instant at which its budget is whole again (its "theoretical arrival time"):
/// each failure pushes it `refill` further past `max(it, now)`.
#[derive(Debug)]
struct Budgets<K> {
    due: HashMap<K, Instant>,
}

impl<K> Default for Budgets<K> {
    fn default() -> Self {
        Self { due: HashMap::new() }
    }
}

impl<K: Hash + Eq + Clone> Budgets<K> {
    /// How long `key` must wait at `now` before one more attempt, if at all.
    fn wait<Q>(&self, key: &Q, now: Instant, burst: u32, refill: Duration) -> Option<Duration>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let due = *self.due.get(key)?;
        // Allowed while at most `burst - 1` failures are outstanding.
        let allowed_until = now + refill.saturating_mul(burst.saturating_sub(1));
        (due > allowed_until).then(|| due - allowed_until)
    }

    fn charge(&mut self, key: K, now: Instant, refill: Duration, max_tracked: usize) {
        if !self.due.contains_key(&key) && self.due.len() >= max_tracked.max(1) {
            self.make_room(now, max_tracked.max(1));
        }
        let due = self.due.entry(key).or_insert(now);
        *due = (*due).max(now) + refill;
    }

    /// Takes back one charge of `refill` from `key`.
    fn refund<Q>(&mut self, key: &Q, now: Instant, refill: Duration)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(due) = self.due.get_mut(key) {
            match due.checked_sub(refill) {
                Some(earlier) if earlier > now => *due = earlier,
                _ => {
                    self.due.remove(key);
                }
            }
        }
    }

    fn prune(&mut self, now: Instant) {
        self.due.retain(|_, due| *due > now);
    }

    /// Forgets the whole budgets, then if still `max_tracked` are left, the key nearest to whole.
    fn make_room(&mut self, now: Instant, max_tracked: usize) {
        self.prune(now);
        if self.due.len() >= max_tracked {
            let nearest = self.due.iter().min_by_key(|(_, due)| **due).map(|(key, _)| key.clone());
            if let Some(key) = nearest {
                self.due.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE: &str = "alice";

    fn limits() -> AttemptLimits {
        AttemptLimits {
            address_burst: 3,
            address_refill: Duration::from_secs(10),
            account_burst: 2,
            account_refill: Duration::from_secs(60),
            max_tracked: 100,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_account_waits_after_its_burst_then_one_per_refill() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        let (a, b) = (ip("192.0.2.1"), ip("192.0.2.2"));
        assert_eq!(limiter.attempt(t0, a, ALICE), Ok(()));
        assert_eq!(limiter.attempt(t0, b, ALICE), Ok(()), "one failure of two, from anywhere");
        let limited = Limited { by: LimitedBy::Account, retry_after: Duration::from_secs(60) };
        assert_eq!(limiter.attempt(t0, ip("192.0.2.3"), ALICE), Err(limited));
        assert_eq!(limiter.attempt(t0, a, "bob"), Ok(()), "other accounts are not limited");
        let t1 = t0 + Duration::from_secs(59);
        assert_eq!(limiter.attempt(t1, a, ALICE).unwrap_err().retry_after, Duration::from_secs(1));
        let t2 = t0 + Duration::from_secs(60);
        assert_eq!(limiter.attempt(t2, b, ALICE), Ok(()));
        assert_eq!(limiter.attempt(t2, b, ALICE).unwrap_err().retry_after, Duration::from_secs(60));
    }

    #[test]
    fn a_refused_attempt_costs_nothing() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        let a = ip("192.0.2.1");
        limiter.attempt(t0, a, ALICE).unwrap();
        limiter.attempt(t0, a, ALICE).unwrap();
        for _ in 0..100 {
            assert!(limiter.attempt(t0, a, ALICE).is_err());
        }
        assert_eq!(limiter.attempt(t0 + Duration::from_secs(60), a, ALICE), Ok(()));
    }

    #[test]
    fn an_address_waits_after_its_burst_across_accounts() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        let a = ip("198.51.100.7");
        for account in ["u1", "u2", "u3"] {
            assert_eq!(limiter.attempt(t0, a, account), Ok(()));
        }
        let limited = Limited { by: LimitedBy::Address, retry_after: Duration::from_secs(10) };
        assert_eq!(limiter.attempt(t0, a, "u4"), Err(limited));
        assert_eq!(limiter.attempt(t0, ip("198.51.100.8"), "u4"), Ok(()));
        assert_eq!(limiter.attempt(t0 + Duration::from_secs(10), a, "u5"), Ok(()));
    }

    #[test]
    fn an_ipv6_address_counts_by_its_slash_64() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        for (i, account) in ["u1", "u2", "u3"].into_iter().enumerate() {
            limiter.attempt(t0, ip(&format!("2001:db8:0:1::{}", i + 1)), account).unwrap();
        }
        let same_64 = limiter.attempt(t0, ip("2001:db8:0:1:ffff::9"), "u4");
        assert_eq!(same_64.unwrap_err().by, LimitedBy::Address);
        assert_eq!(limiter.attempt(t0, ip("2001:db8:0:2::1"), "u4"), Ok(()));
        for (address, account) in [("::ffff:192.0.2.9", "v1"), ("192.0.2.9", "v2"), ("192.0.2.9", "v3")] {
            limiter.attempt(t0, ip(address), account).unwrap();
        }
        assert!(limiter.attempt(t0, ip("192.0.2.9"), "v4").is_err(), "IPv4 in IPv6 is the IPv4 address");
    }

    #[test]
    fn success_refunds_the_address_and_forgets_the_account() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        let a = ip("192.0.2.1");
        limiter.attempt(t0, a, ALICE).unwrap();
        limiter.attempt(t0, a, ALICE).unwrap();
        limiter.succeeded(t0, a, ALICE);
        assert_eq!(limiter.attempt(t0, ip("192.0.2.2"), ALICE), Ok(()), "the account starts afresh");
        // The address made two charges and got one back: two more fit in its burst of three.
        limiter.attempt(t0, a, "bob").unwrap();
        limiter.attempt(t0, a, "carol").unwrap();
        assert_eq!(limiter.attempt(t0, a, "dave").unwrap_err().by, LimitedBy::Address);
    }

    #[test]
    fn an_attempt_that_could_not_be_checked_costs_nothing() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        let a = ip("192.0.2.1");
        for _ in 0..100 {
            assert_eq!(limiter.attempt(t0, a, ALICE), Ok(()));
            limiter.unchecked(t0, a, ALICE);
        }
        assert_eq!(limiter.tracked(), (0, 0));
    }

    #[test]
    fn many_right_passwords_from_one_address_never_run_out() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        let a = ip("192.0.2.1");
        for n in 0..100 {
            let account = format!("user{n}");
            assert_eq!(limiter.attempt(t0, a, &account), Ok(()), "{account}");
            limiter.succeeded(t0, a, &account);
        }
        assert_eq!(limiter.tracked(), (0, 0));
    }

    #[test]
    fn pipelined_attempts_are_counted_before_their_answers() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(limits());
        let a = ip("192.0.2.1");
        let allowed = (0..50).filter(|_| limiter.attempt(t0, a, ALICE).is_ok()).count();
        assert_eq!(allowed, 2, "no verification has answered yet, and still only the burst goes");
    }

    #[test]
    fn whole_budgets_are_forgotten_and_memory_is_bounded() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(AttemptLimits { max_tracked: 4, ..limits() });
        for i in 0..50u8 {
            let at = t0 + Duration::from_millis(u64::from(i));
            let _ = limiter.attempt(at, ip(&format!("10.0.0.{i}")), &format!("u{i}"));
        }
        assert_eq!(limiter.tracked(), (4, 4));
        limiter.prune(t0 + Duration::from_secs(3600));
        assert_eq!(limiter.tracked(), (0, 0));
    }

    #[test]
    fn at_the_cap_the_key_nearest_to_whole_goes_first() {
        let t0 = Instant::now();
        let mut limiter = AttemptLimiter::new(AttemptLimits { max_tracked: 2, ..limits() });
        let (a, b, c) = (ip("10.0.0.1"), ip("10.0.0.2"), ip("10.0.0.3"));
        for account in ["x1", "x2", "x3"] {
            limiter.attempt(t0, a, account).unwrap();
        }
        limiter.attempt(t0, b, "y1").unwrap();
        limiter.attempt(t0, c, "y2").unwrap();
        assert_eq!(limiter.attempt(t0, a, "z").unwrap_err().by, LimitedBy::Address, "the worst is kept");
    }
}
