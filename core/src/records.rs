//! What the core asks to persist, and what it is built from at start-up: pure data.
//!
//! The core never touches a database. It emits a [`Record`] for every change that must survive a
//! restart (a line said in a room, a topic, an account, an operator, a ban, a mute, the MOTD, or
//! the removal of one of them); a writer thread in the runtime carries them out in order. At
//! start-up the runtime loads a [`Stored`] snapshot and the core is built from it.
//!
//! Names are stored by their uniqueness key ([`Nick::key`](crate::protocol::Nick::key) for accounts, the
//! room name's key for rooms) with the display form beside it where one is shown. Times are
//! wall-clock [`UnixMillis`], since they must mean the same after a restart.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use bytes::Bytes;

/// A wall-clock time: milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// The time `since_epoch` after the Unix epoch, to the millisecond (saturating).
    pub fn from_duration(since_epoch: Duration) -> Self {
        Self(u64::try_from(since_epoch.as_millis()).unwrap_or(u64::MAX))
    }

    /// The time since the Unix epoch.
    pub fn as_duration(self) -> Duration {
        Duration::from_millis(self.0)
    }

    /// `self` plus `later`, saturating.
    pub fn saturating_add(self, later: Duration) -> Self {
        Self(self.0.saturating_add(Self::from_duration(later).0))
    }
}

/// A room as records name it: its uniqueness key and its name as shown (with its `#`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomRef {
    /// The key that decides uniqueness (case and look-alikes folded).
    pub key: String,
    /// The name as shown, e.g. `#Rust`.
    pub name: String,
}

/// One line said in a room, as kept for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredLine {
    /// The room's sequence number of the line (1 for its first).
    pub seq: u64,
    /// When it was said.
    pub at: UnixMillis,
    /// The line exactly as it was sent live, ending in `\n`.
    pub frame: Bytes,
}

/// A room's topic and who set it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    /// The topic text.
    pub text: String,
    /// The display name of whoever set it.
    pub set_by: String,
    /// When it was set.
    pub at: UnixMillis,
}

/// A registered account.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    /// The name's uniqueness key: nobody else may use a name with this key.
    pub key: String,
    /// The name as registered.
    pub name: String,
    /// The password's argon2id hash as a PHC string (`$argon2id$v=19$...`); never a password.
    pub password_hash: String,
    /// When the account was registered.
    pub created: UnixMillis,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("key", &self.key)
            .field("name", &self.name)
            .field("password_hash", &"***")
            .field("created", &self.created)
            .finish()
    }
}

/// An operator grant: an account that moderates a room, or the whole server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    /// The account's key.
    pub account: String,
    /// The room's key, or `None` for a server operator.
    pub room: Option<String>,
    /// The display name of whoever granted it.
    pub set_by: String,
    /// When it was granted.
    pub at: UnixMillis,
}

/// What a ban applies to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BanTarget {
    /// A registered account, by key.
    Account(String),
    /// Every address in a range (a single address is a /32 or /128 range).
    Addresses(AddressRange),
}

/// A ban: who, why, by whom, and until when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ban {
    /// What is banned.
    pub target: BanTarget,
    /// The reason given (may be empty).
    pub reason: String,
    /// The display name of the operator who set it.
    pub set_by: String,
    /// When it was set.
    pub at: UnixMillis,
    /// When it ends, or `None` for never.
    pub expires: Option<UnixMillis>,
}

/// A mute: the account's lines reach no one until it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mute {
    /// The account's key.
    pub account: String,
    /// The display name of the operator who set it.
    pub set_by: String,
    /// When it was set.
    pub at: UnixMillis,
    /// When it ends, or `None` for never.
    pub expires: Option<UnixMillis>,
}

/// The message of the day, shown after the welcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Motd {
    /// The text.
    pub text: String,
    /// The display name of the operator who set it.
    pub set_by: String,
    /// When it was set.
    pub at: UnixMillis,
}

/// One change the core asks the store to make, in the order emitted.
///
/// A record with the same key as an earlier one replaces it (an account's new password hash, a
/// ban's new expiry); each kind has a matching removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A line said in `room`. Its sequence number is above every earlier one of the room.
    Line {
        /// The room it was said in.
        room: RoomRef,
        /// The line.
        line: StoredLine,
    },
    /// A line removed from a room's history (by a moderator).
    LineDeleted {
        /// The room's key.
        room: String,
        /// The line's sequence number.
        seq: u64,
    },
    /// A room's history is cleared; its sequence numbers keep counting.
    HistoryCleared {
        /// The room's key.
        room: String,
    },
    /// A room's topic is set.
    Topic {
        /// The room.
        room: RoomRef,
        /// The new topic.
        topic: Topic,
    },
    /// A room's topic is cleared.
    TopicCleared {
        /// The room's key.
        room: String,
    },
    /// An account is registered or changed (new password hash).
    Account(Account),
    /// An account is removed, with its operator grants.
    AccountDeleted {
        /// The account's key.
        account: String,
    },
    /// An operator is granted.
    Operator(Operator),
    /// An operator grant is removed.
    OperatorRemoved {
        /// The account's key.
        account: String,
        /// The room's key, or `None` for the server-wide grant.
        room: Option<String>,
    },
    /// A ban is set or changed.
    Ban(Ban),
    /// A ban is lifted.
    BanLifted {
        /// What was banned.
        target: BanTarget,
    },
    /// A mute is set or changed.
    Mute(Mute),
    /// A mute is lifted.
    MuteLifted {
        /// The account's key.
        account: String,
    },
    /// The MOTD is set.
    Motd(Motd),
    /// The MOTD is cleared.
    MotdCleared,
}

impl Record {
    /// Whether this is a room's line: the only kind a store may drop under pressure (losing one
    /// costs a line of history; losing any other would forget an account, a ban or a removal).
    pub fn is_line(&self) -> bool {
        matches!(self, Record::Line { .. })
    }
}

/// A room as stored: its names, where its numbering is, its topic and its last lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRoom {
    /// The room.
    pub room: RoomRef,
    /// The sequence number its next line gets: above every line it ever had.
    pub next_seq: u64,
    /// Its topic, if one is set.
    pub topic: Option<Topic>,
    /// Its last lines, oldest first, at most the history length asked for.
    pub lines: Vec<StoredLine>,
}

/// Everything stored, as loaded at start-up: what the core is built from.
///
/// Each list is sorted by key. Bans and mutes that had expired when the snapshot was loaded are
/// left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Every room that ever had a line or a topic.
    pub rooms: Vec<StoredRoom>,
    /// Every account.
    pub accounts: Vec<Account>,
    /// Every operator grant.
    pub operators: Vec<Operator>,
    /// Every ban in force.
    pub bans: Vec<Ban>,
    /// Every mute in force.
    pub mutes: Vec<Mute>,
    /// The MOTD, if one is set.
    pub motd: Option<Motd>,
}

/// A range of IP addresses: an address and how many leading bits of it count (`10.0.0.0/8`).
///
/// The address is kept with the bits past the prefix cleared, so one range has one form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressRange {
    network: IpAddr,
    prefix: u8,
}

/// Why a text is not an address range.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressRangeError {
    /// The part before `/` is not an IP address.
    #[error("{0:?} is not an IP address: write one like 203.0.113.7 or 2001:db8::1")]
    Address(String),
    /// The prefix length is not a number within the address's size.
    #[error("{0:?} is not a prefix length: write /0 to /32 for IPv4, /0 to /128 for IPv6")]
    Prefix(String),
}

impl AddressRange {
    /// The range of addresses sharing the first `prefix` bits of `address`; `None` if `prefix`
    /// is longer than the address (32 bits for IPv4, 128 for IPv6). An IPv4 address written as
    /// IPv6 (`::ffff:203.0.113.7`) is taken as the IPv4 address.
    pub fn new(address: IpAddr, prefix: u8) -> Option<Self> {
        let address = address.to_canonical();
        let bits = bits_of(address);
        (prefix <= bits).then(|| Self { network: masked(address, prefix), prefix })
    }

    /// The range holding just `address` (canonical, as in [`AddressRange::new`]).
    pub fn single(address: IpAddr) -> Self {
        let address = address.to_canonical();
        Self { network: address, prefix: bits_of(address) }
    }

    /// The first address of the range.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// How many leading bits count.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `address` is in the range. An IPv4 address written as IPv6
    /// (`::ffff:203.0.113.7`) counts as the IPv4 address.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        bits_of(address) == bits_of(self.network) && masked(address, self.prefix) == self.network
    }
}

fn bits_of(address: IpAddr) -> u8 {
    match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// `address` with every bit past the first `prefix` cleared.
fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & mask).into())
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & mask).into())
        }
    }
}

impl FromStr for AddressRange {
    type Err = AddressRangeError;

    /// `203.0.113.7` (one address), `10.0.0.0/8`, `2001:db8::/32`. Bits past the prefix are
    /// cleared: `10.1.2.3/8` is `10.0.0.0/8`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let address: IpAddr = address.parse().map_err(|_| AddressRangeError::Address(address.to_owned()))?;
        let address = address.to_canonical();
        match prefix {
            None => Ok(Self::single(address)),
            Some(prefix) => prefix
                .parse()
                .ok()
                .and_then(|bits| Self::new(address, bits))
                .ok_or_else(|| AddressRangeError::Prefix(prefix.to_owned())),
        }
    }
}

impl fmt::Display for AddressRange {
    /// `network/prefix`, always with the prefix: `203.0.113.7/32`, `10.0.0.0/8`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str) -> AddressRange {
        text.parse().unwrap()
    }

    #[test]
    fn ranges_parse_print_and_contain() {
        assert_eq!(range("10.1.2.3/8").to_string(), "10.0.0.0/8");
        assert_eq!(range("203.0.113.7").to_string(), "203.0.113.7/32");
        assert_eq!(range("2001:db8::1/32").to_string(), "2001:db8::/32");
        assert_eq!(range("::ffff:10.0.0.1").to_string(), "10.0.0.1/32");
        assert!(range("10.0.0.0/8").contains("10.255.0.1".parse().unwrap()));
        assert!(range("10.0.0.0/8").contains("::ffff:10.9.9.9".parse().unwrap()));
        assert!(!range("10.0.0.0/8").contains("11.0.0.1".parse().unwrap()));
        assert!(!range("10.0.0.0/8").contains("::a00:1".parse().unwrap()), "IPv6 is not IPv4");
        assert!(range("0.0.0.0/0").contains("192.0.2.1".parse().unwrap()));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(AddressRange::single(mapped), range("192.0.2.1"));
        assert_eq!(AddressRange::new(mapped, 24), Some(range("192.0.2.0/24")));
        assert_eq!(AddressRange::new(mapped, 33), None);
        assert!(range("2001:db8::/32").contains("2001:db8:ffff::9".parse().unwrap()));
        assert!(!range("2001:db8::/32").contains("2001:db9::".parse().unwrap()));
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        assert!(matches!("nope".parse::<AddressRange>(), Err(AddressRangeError::Address(_))));
        assert!(matches!("10.0.0.0/33".parse::<AddressRange>(), Err(AddressRangeError::Prefix(_))));
        assert!(matches!("::/129".parse::<AddressRange>(), Err(AddressRangeError::Prefix(_))));
        assert!(matches!("10.0.0.0/x".parse::<AddressRange>(), Err(AddressRangeError::Prefix(_))));
        assert!(matches!("10.0.0.0/".parse::<AddressRange>(), Err(AddressRangeError::Prefix(_))));
    }

    #[test]
    fn times_convert_to_the_millisecond() {
        let at = UnixMillis::from_duration(Duration::from_micros(1_795_874_610_123_456));
        assert_eq!(at, UnixMillis(1_795_874_610_123));
        assert_eq!(at.as_duration(), Duration::from_millis(1_795_874_610_123));
        assert_eq!(at.saturating_add(Duration::from_secs(1)), UnixMillis(1_795_874_611_123));
        assert_eq!(UnixMillis(u64::MAX).saturating_add(Duration::from_secs(1)), UnixMillis(u64::MAX));
    }

    #[test]
    fn an_account_never_prints_its_hash() {
        let account = Account {
            key: "alice".into(),
            name: "Alice".into(),
            password_hash: "$argon2id$v=19$secret".into(),
            created: UnixMillis(1),
        };
        assert!(!format!("{account:?}").contains("secret"));
    }
}
