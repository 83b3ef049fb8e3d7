//! Who may connect: limits per address, after ergo's defaults, so that one host cannot fill
//! the room.
//!
//! An address is an IPv4 address or an IPv6 /64 network (one IPv6 host usually holds a whole
//! /64); IPv4-mapped IPv6 addresses count as IPv4. Two limits apply to each: how many of its
//! connections may be in the room at once, and how many new connections it may open per window
//! (a token bucket, so a burst is allowed, then a steady trickle). Loopback is exempt unless
//! configured otherwise.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::Config;

/// An address as the limits count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Host {
    /// One IPv4 address.
    V4(u32),
    /// The first 64 bits of an IPv6 address.
    V6(u64),
}

impl Host {
    fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Host::V4(v4.to_bits()),
            IpAddr::V6(v6) => Host::V6((v6.to_bits() >> 64) as u64),
        }
    }
}

/// Why a connection was refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Refusal {
    /// The address already has `max` connections in the room.
    TooMany {
        /// The limit.
        max: usize,
    },
    /// The address opened `max` connections within the window: it may try again in `retry`.
    TooOften {
        /// The limit.
        max: u32,
        /// The window it applies to.
        window: Duration,
        /// When one more connection will be allowed.
        retry: Duration,
    },
}

/// What one address has: connections in the room, and its connection-rate bucket.
#[derive(Debug)]
struct Entry {
    connected: usize,
    tokens: f64,
    updated: Instant,
}

/// The per-address limits and what each address has used.
#[derive(Debug)]
pub(crate) struct PerAddress {
    max_per_ip: usize,
    max_connects: u32,
    window: Duration,
    limit_loopback: bool,
    hosts: HashMap<Host, Entry>,
    /// Forgotten entries are swept out when the map has doubled since the last sweep.
    swept_at: usize,
}

/// The map is never swept while it is smaller than this.
const SWEEP_FROM: usize = 1024;

impl PerAddress {
    /// The limits of `config`.
    pub(crate) fn new(config: &Config) -> Self {
        Self {
            max_per_ip: config.max_per_ip,
            max_connects: config.max_connects_per_ip,
            window: config.connect_window,
            limit_loopback: config.limit_loopback,
            hosts: HashMap::new(),
            swept_at: 0,
        }
    }

    /// Decides on a new connection from `ip` at `now`. Admitted, it returns the host to
    /// [`release`](Self::release) when the connection leaves (`None` if it is not counted).
    pub(crate) fn admit(&mut self, ip: IpAddr, now: Instant) -> Result<Option<Host>, Refusal> {
        let off = self.max_per_ip == 0 && self.max_connects == 0;
        if off || (ip.to_canonical().is_loopback() && !self.limit_loopback) {
            return Ok(None);
        }
        self.sweep(now);
        let host = Host::of(ip);
        let (max_connects, window) = (self.max_connects, self.window);
        let entry = self.hosts.entry(host).or_insert(Entry {
            connected: 0,
            tokens: f64::from(max_connects),
            updated: now,
        });
        if max_connects > 0 {
            let rate = f64::from(max_connects) / window.as_secs_f64();
            refill(entry, now, rate, max_connects);
            if entry.tokens < 1.0 {
                let retry = Duration::from_secs_f64((1.0 - entry.tokens) / rate);
                return Err(Refusal::TooOften { max: max_connects, window, retry });
            }
            entry.tokens -= 1.0;
        }
        if self.max_per_ip > 0 && entry.connected >= self.max_per_ip {
            return Err(Refusal::TooMany { max: self.max_per_ip });
        }
        entry.connected += 1;
        Ok(Some(host))
    }

    /// A connection admitted from `was` (holding `held`, from [`admit`](Self::admit)) turns
    /// out to come from `ip` (the real client behind a proxy): it keeps its place if that is
    /// the same address, and is admitted anew otherwise.
    pub(crate) fn readmit(
        &mut self,
        was: IpAddr,
        held: Option<Host>,
        ip: IpAddr,
        now: Instant,
    ) -> Result<Option<Host>, Refusal> {
        if Host::of(was) == Host::of(ip) {
            return Ok(held);
        }
        if let Some(host) = held {
            self.release(host);
        }
        self.admit(ip, now)
    }

    /// A connection admitted with [`admit`](Self::admit) left.
    pub(crate) fn release(&mut self, host: Host) {
        if let Some(entry) = self.hosts.get_mut(&host) {
            entry.connected = entry.connected.saturating_sub(1);
        }
    }

    /// How many addresses are remembered (for tests: it must not grow without bound).
    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.hosts.len()
    }

    /// Forgets addresses with no connection and a full bucket, once the map has doubled since
    /// the last sweep: amortised constant time per connection, and memory bounded by the
    /// addresses seen within one window.
    fn sweep(&mut self, now: Instant) {
        if self.hosts.len() < SWEEP_FROM.max(self.swept_at * 2) {
            return;
        }
        let max = self.max_connects;
        let rate = f64::from(max) / self.window.as_secs_f64().max(f64::MIN_POSITIVE);
        self.hosts.retain(|_, entry| {
            refill(entry, now, rate, max);
            entry.connected > 0 || entry.tokens < f64::from(max)
        });
        self.hosts.shrink_to_fit();
        self.swept_at = self.hosts.len();
    }
}

/// Adds what the bucket earned since it was last updated, up to `max`.
fn refill(entry: &mut Entry, now: Instant, rate: f64, max: u32) {
    let elapsed = now.saturating_duration_since(entry.updated).as_secs_f64();
    entry.updated = entry.updated.max(now);
    entry.tokens = (entry.tokens + elapsed * rate).min(f64::from(max));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_per_ip: usize, max_connects_per_ip: u32, limit_loopback: bool) -> PerAddress {
        PerAddress::new(&Config {
            max_per_ip,
            max_connects_per_ip,
            connect_window: Duration::from_secs(60),
            limit_loopback,
            ..Config::default()
        })
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn concurrent_connections_are_capped_per_address_and_freed_on_release() {
        let now = Instant::now();
        let mut limits = limits(2, 0, false);
        let a = limits.admit(ip("192.0.2.1"), now).unwrap().unwrap();
        limits.admit(ip("192.0.2.1"), now).unwrap();
        assert_eq!(limits.admit(ip("192.0.2.1"), now), Err(Refusal::TooMany { max: 2 }));
        assert!(limits.admit(ip("192.0.2.2"), now).is_ok(), "another address is not affected");
        limits.release(a);
        assert!(limits.admit(ip("192.0.2.1"), now).is_ok());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let now = Instant::now();
        let mut limits = limits(1, 0, false);
        limits.admit(ip("2001:db8:1:2::1"), now).unwrap();
        assert!(limits.admit(ip("2001:db8:1:2:ffff::9"), now).is_err(), "same /64");
        assert!(limits.admit(ip("2001:db8:1:3::1"), now).is_ok(), "another /64");
        limits.admit(ip("192.0.2.7"), now).unwrap();
        assert!(limits.admit(ip("::ffff:192.0.2.7"), now).is_err(), "mapped is the same address");
    }

    #[test]
    fn loopback_is_exempt_unless_limited() {
        let now = Instant::now();
        let mut free = limits(1, 1, false);
        for _ in 0..100 {
            assert_eq!(free.admit(ip("127.0.0.1"), now), Ok(None));
            assert_eq!(free.admit(ip("::1"), now), Ok(None));
        }
        let mut limited = limits(1, 0, true);
        limited.admit(ip("127.0.0.2"), now).unwrap();
        assert!(limited.admit(ip("127.0.0.2"), now).is_err());
    }

    #[test]
    fn the_connection_rate_allows_a_burst_then_one_per_share_of_the_window() {
        let now = Instant::now();
        let mut limits = limits(0, 3, false);
        for _ in 0..3 {
            limits.admit(ip("192.0.2.1"), now).unwrap();
        }
        match limits.admit(ip("192.0.2.1"), now) {
            Err(Refusal::TooOften { max: 3, retry, .. }) => assert_eq!(retry, Duration::from_secs(20)),
            other => panic!("{other:?}"),
        }
        assert!(limits.admit(ip("192.0.2.1"), now + Duration::from_secs(19)).is_err());
        assert!(limits.admit(ip("192.0.2.1"), now + Duration::from_secs(40)).is_ok());
    }

    #[test]
    fn idle_addresses_are_forgotten() {
        let now = Instant::now();
        let mut limits = limits(16, 32, false);
        let mut connect_from = |n: u32, at: Instant| {
            let host = limits.admit(IpAddr::from(n.to_be_bytes()), at).unwrap().unwrap();
            limits.release(host);
        };
        for n in 0..5_000u32 {
            connect_from(0x0a00_0000 + n, now);
        }
        let later = now + Duration::from_secs(61);
        for n in 0..4_000u32 {
            connect_from(0x0b00_0000 + n, later);
        }
        assert!(limits.remembered() <= 4_000, "{} addresses remembered", limits.remembered());
    }
}
