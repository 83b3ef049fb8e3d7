//! Payloads that change shared state rather than say something: a room's topic (on the room's
//! stream) and the server-wide moderation state (on the [`SERVER_STREAM`]), with their
//! encoding as entry fields.
//!
//! Every change is *state-setting*: it says what the state is after it (a ban with its absolute
//! wall-clock expiry, a topic's text), never a difference, so applying an entry twice leaves
//! the same state as applying it once, and a node that reads the stream from its start ends in
//! the state every other node is in.

use std::borrow::Cow;

use super::payload::PayloadError;
use super::seq::StreamSeq;
use crate::{AddressRange, Ban, BanTarget, Motd, Mute, UnixMillis};

/// The key of the server-wide stream every node reads from its start: bans, server mutes and
/// the message of the day. Not a room's key (a room's key starts with `#`), so no room can
/// take it; the bridge does not trim it (its changes are few, and each is needed).
pub const SERVER_STREAM: &str = "!server";

/// A change to a room's topic, said in the room's stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicChange {
    /// The topic is now this text.
    Set(String),
    /// The room has no topic now.
    Cleared,
    /// Only the room's operators may change the topic now (`true`), or anyone (`false`).
    Locked(bool),
    /// The topic and its lock as a node knew them having delivered the room's entries up to
    /// `after`: appended when a node new to the room shows up, so it learns them. Applied only
    /// where no topic change came after `after`; told to no one.
    State {
        /// The topic, if any.
        text: Option<String>,
        /// Whether it is locked.
        locked: bool,
        /// The last entry the node had delivered when it said so.
        after: StreamSeq,
    },
}

/// A change of the server-wide moderation state, said in the [`SERVER_STREAM`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerChange {
    /// A ban is in force (replacing any earlier ban of its target).
    Ban(Ban),
    /// The ban of this target is lifted.
    BanLifted(BanTarget),
    /// An account is muted (replacing any earlier mute of it).
    Mute(Mute),
    /// The mute of this account (by key) is lifted.
    MuteLifted(String),
    /// The message of the day is this one.
    Motd(Motd),
    /// There is no message of the day.
    MotdCleared,
}

/// The fields of an entry, as [`BusPayload::fields`](super::BusPayload::fields) gives them.
pub(super) type Fields<'a> = Vec<(&'static str, Cow<'a, str>)>;

fn millis(at: UnixMillis) -> Cow<'static, str> {
    Cow::Owned(at.0.to_string())
}

fn flag(on: bool) -> Cow<'static, str> {
    Cow::Borrowed(if on { "1" } else { "0" })
}

impl TopicChange {
    /// Its fields after `v` and `kind`.
    pub(super) fn fields<'a>(&'a self, by: &'a str, fields: &mut Fields<'a>) {
        fields.push(("by", Cow::Borrowed(by)));
        match self {
            TopicChange::Set(text) => fields.extend([("action", "set".into()), ("text", text.into())]),
            TopicChange::Cleared => fields.push(("action", "clear".into())),
            TopicChange::Locked(locked) => {
                fields.push(("action", if *locked { "lock" } else { "unlock" }.into()))
            }
            TopicChange::State { text, locked, after } => {
                fields.extend([("action", "state".into()), ("locked", flag(*locked))]);
                fields.push(("after", Cow::Owned(after.0.to_string())));
                if let Some(text) = text {
                    fields.push(("text", text.into()));
                }
            }
        }
    }

    /// Reads one back; `get` finds a field.
    pub(super) fn read(
        get: &dyn Fn(&'static str) -> Result<String, PayloadError>,
    ) -> Result<Self, PayloadError> {
        let action = get("action")?;
        Ok(match action.as_str() {
            "set" => TopicChange::Set(get("text")?),
            "clear" => TopicChange::Cleared,
            "lock" => TopicChange::Locked(true),
            "unlock" => TopicChange::Locked(false),
            "state" => TopicChange::State {
                text: get("text").ok(),
                locked: get("locked")? == "1",
                after: StreamSeq(number(get, "after")?),
            },
            _ => return Err(PayloadError::Unknown { field: "action", value: action }),
        })
    }
}

/// A field holding a whole number.
fn number(
    get: &dyn Fn(&'static str) -> Result<String, PayloadError>,
    name: &'static str,
) -> Result<u64, PayloadError> {
    let text = get(name)?;
    text.parse().map_err(|_| PayloadError::Unknown { field: name, value: text })
}

/// A field holding a wall-clock time, or nothing (`None`: never).
fn expiry(
    get: &dyn Fn(&'static str) -> Result<String, PayloadError>,
) -> Result<Option<UnixMillis>, PayloadError> {
    match get("expires") {
        Ok(_) => Ok(Some(UnixMillis(number(get, "expires")?))),
        Err(PayloadError::Missing(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

impl ServerChange {
    /// Its fields after `v` and `kind`.
    pub(super) fn fields<'a>(&'a self, fields: &mut Fields<'a>) {
        fn target<'a>(target: &'a BanTarget, fields: &mut Fields<'a>) {
            match target {
                BanTarget::Account(key) => fields.push(("account", key.into())),
                BanTarget::Addresses(range) => fields.push(("range", Cow::Owned(range.to_string()))),
            }
        }
        fn expires<'a>(at: Option<UnixMillis>, fields: &mut Fields<'a>) {
            if let Some(end) = at {
                fields.push(("expires", millis(end)));
            }
        }
        match self {
            ServerChange::Ban(ban) => {
                fields.push(("action", "ban".into()));
                target(&ban.target, fields);
                fields.extend([
                    ("by", (&ban.set_by).into()),
                    ("text", (&ban.reason).into()),
                    ("at", millis(ban.at)),
                ]);
                expires(ban.expires, fields);
            }
            ServerChange::BanLifted(lifted) => {
                fields.push(("action", "unban".into()));
                target(lifted, fields);
            }
            ServerChange::Mute(mute) => {
                fields.extend([("action", "mute".into()), ("account", (&mute.account).into())]);
                fields.extend([("by", (&mute.set_by).into()), ("at", millis(mute.at))]);
                expires(mute.expires, fields);
            }
            ServerChange::MuteLifted(account) => {
                fields.extend([("action", "unmute".into()), ("account", account.into())])
            }
            ServerChange::Motd(motd) => fields.extend([
                ("action", "motd".into()),
                ("text", (&motd.text).into()),
                ("by", (&motd.set_by).into()),
                ("at", millis(motd.at)),
            ]),
            ServerChange::MotdCleared => fields.push(("action", "nomotd".into())),
        }
    }

    /// Reads one back; `get` finds a field.
    pub(super) fn read(
        get: &dyn Fn(&'static str) -> Result<String, PayloadError>,
    ) -> Result<Self, PayloadError> {
        let target = || -> Result<BanTarget, PayloadError> {
            if let Ok(key) = get("account") {
                return Ok(BanTarget::Account(key));
            }
            let range = get("range")?;
            range
                .parse::<AddressRange>()
                .map(BanTarget::Addresses)
                .map_err(|_| PayloadError::Unknown { field: "range", value: range })
        };
        let at = || number(get, "at").map(UnixMillis);
        let action = get("action")?;
        Ok(match action.as_str() {
            "ban" => ServerChange::Ban(Ban {
                target: target()?,
                reason: get("text")?,
                set_by: get("by")?,
                at: at()?,
                expires: expiry(get)?,
            }),
            "unban" => ServerChange::BanLifted(target()?),
            "mute" => ServerChange::Mute(Mute {
                account: get("account")?,
                set_by: get("by")?,
                at: at()?,
                expires: expiry(get)?,
            }),
            "unmute" => ServerChange::MuteLifted(get("account")?),
            "motd" => ServerChange::Motd(Motd { text: get("text")?, set_by: get("by")?, at: at()? }),
            "nomotd" => ServerChange::MotdCleared,
            _ => return Err(PayloadError::Unknown { field: "action", value: action }),
        })
    }
}
