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
pub(super) fn expiry(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BusPayload;

    fn round_trip(payload: &BusPayload) -> Result<BusPayload, PayloadError> {
        let fields = payload.fields();
        BusPayload::from_fields(fields.iter().map(|(name, value)| (*name, value.as_bytes())))
    }

    #[test]
    fn every_change_round_trips() {
        let range: AddressRange = "192.0.2.0/24".parse().unwrap();
        let ban = |target, expires| Ban {
            target,
            reason: "spam".into(),
            set_by: "boss".into(),
            at: UnixMillis(5),
            expires,
        };
        let mute = Mute { account: "dan".into(), set_by: "boss".into(), at: UnixMillis(5), expires: None };
        let changes = [
            ServerChange::Ban(ban(BanTarget::Addresses(range), Some(UnixMillis(9)))),
            ServerChange::Ban(ban(BanTarget::Account("dan".into()), None)),
            ServerChange::BanLifted(BanTarget::Addresses(range)),
            ServerChange::BanLifted(BanTarget::Account("dan".into())),
            ServerChange::Mute(Mute { expires: Some(UnixMillis(7)), ..mute.clone() }),
            ServerChange::Mute(mute),
            ServerChange::MuteLifted("dan".into()),
            ServerChange::Motd(Motd { text: "hello".into(), set_by: "boss".into(), at: UnixMillis(3) }),
            ServerChange::MotdCleared,
        ];
        for change in changes {
            let payload = BusPayload::Server(Box::new(change));
            assert_eq!(round_trip(&payload), Ok(payload.clone()));
        }
        let topics = [
            TopicChange::Set("Be kind".into()),
            TopicChange::Set(String::new()),
            TopicChange::Cleared,
            TopicChange::Locked(true),
            TopicChange::Locked(false),
            TopicChange::State { text: Some("t".into()), locked: true, after: StreamSeq(4) },
            TopicChange::State { text: None, locked: false, after: StreamSeq(0) },
        ];
        for change in topics {
            let payload = BusPayload::Topic { by: "ann".into(), change };
            assert_eq!(round_trip(&payload), Ok(payload.clone()));
        }
    }

    #[test]
    fn unreadable_changes_say_why() {
        let decode = |fields: &[(&str, &str)]| {
            BusPayload::from_fields(fields.iter().map(|(name, value)| (*name, value.as_bytes())))
        };
        let base = [("v", "1"), ("kind", "state")];
        assert_eq!(
            decode(&[base[0], base[1], ("action", "smite")]),
            Err(PayloadError::Unknown { field: "action", value: "smite".into() })
        );
        assert_eq!(
            decode(&[base[0], base[1], ("action", "unban"), ("range", "300.0.0.1")]),
            Err(PayloadError::Unknown { field: "range", value: "300.0.0.1".into() })
        );
        assert_eq!(
            decode(&[base[0], base[1], ("action", "motd"), ("text", "x"), ("by", "b"), ("at", "soon")]),
            Err(PayloadError::Unknown { field: "at", value: "soon".into() })
        );
        assert_eq!(
            decode(&[("v", "1"), ("kind", "topic"), ("by", "ann"), ("action", "state")]),
            Err(PayloadError::Missing("locked"))
        );
    }
}
