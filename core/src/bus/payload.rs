//! What one stream entry says, and its encoding as the entry's fields: versioned and cheap.
//!
//! An entry is a handful of short fields: `v` (the payload version, [`PAYLOAD_VERSION`]),
//! `kind`, then the kind's own fields (`from`, `to`, `text`, `user`, `action`, `target`, `by`,
//! `expires`, `addr`, `account`; the `topic` and `state` kinds' are in `changes.rs`). The
//! bridge adds its own envelope fields beside them (the node's name and its publishing
//! sequence, to append each entry once even when a send is retried). Fields a reader does not
//! know are ignored, so a version may add fields; a reader refuses a version it does not know.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use super::changes::{ServerChange, TopicChange, expiry};
use crate::UnixMillis;

/// The payload version this build writes and reads.
pub const PAYLOAD_VERSION: u32 = 1;

/// A moderation action, applied on every node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModerationAction {
    /// The target may no longer join.
    Ban,
    /// A ban is lifted.
    Unban,
    /// The target's lines reach no one.
    Mute,
    /// A mute is lifted.
    Unmute,
    /// The target is put out of the room.
    Kick,
    /// The target becomes an operator of the room.
    Op,
    /// The target is no longer an operator of the room.
    Deop,
}

impl ModerationAction {
    const ALL: [ModerationAction; 7] =
        [Self::Ban, Self::Unban, Self::Mute, Self::Unmute, Self::Kick, Self::Op, Self::Deop];

    /// Its name in an entry.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ban => "ban",
            Self::Unban => "unban",
            Self::Mute => "mute",
            Self::Unmute => "unmute",
            Self::Kick => "kick",
            Self::Op => "op",
            Self::Deop => "deop",
        }
    }
}

/// What one entry of a room's stream says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusPayload {
    /// A user said something in the room.
    Line {
        /// Who said it (display name).
        from: String,
        /// What they said (already sanitised by the node that took it).
        text: String,
    },
    /// A user did something in the room (`/me`).
    Action {
        /// Who did it (display name).
        from: String,
        /// What they did (already sanitised by the node that took it).
        text: String,
    },
    /// A server notice to the room.
    Notice {
        /// The notice's text.
        text: String,
    },
    /// A user of the appending node joined the room.
    Joined {
        /// The user's name.
        user: String,
    },
    /// A user of the appending node left the room.
    Left {
        /// The user's name.
        user: String,
        /// Why, as the offline notice shows it (`quit: bye`, `connection lost`); `moved` when
        /// they went to another room.
        reason: String,
    },
    /// A user of the appending node in the room changed name.
    Renamed {
        /// The name they had.
        old: String,
        /// The name they have now.
        new: String,
    },
    /// The users of the appending node in the room, said when another node starts sharing the
    /// room, so that it learns who was already here.
    Present {
        /// Their names.
        users: Vec<String>,
    },
    /// A moderator acted on someone.
    Moderation {
        /// What was done.
        action: ModerationAction,
        /// To whom (a name or an address range, as the command gave it).
        target: String,
        /// The moderator's name.
        by: String,
        /// The reason given (may be empty).
        reason: String,
        /// When a ban or mute ends (wall-clock), `None` for never (field `expires`, absent
        /// then and for other actions).
        expires: Option<UnixMillis>,
        /// For a ban: the address the moderator is connected from (field `addr`), so that the
        /// node that resolves the name refuses a ban that would shut the moderator out too.
        /// Entries are read by nodes only: no user ever sees it.
        by_address: Option<IpAddr>,
        /// For a ban: the account the moderator is identified as, if any (field `account`).
        by_account: Option<String>,
    },
    /// The room's topic changed.
    Topic {
        /// Who changed it (display name).
        by: String,
        /// How.
        change: TopicChange,
    },
    /// The server-wide moderation state changed (only in the [`SERVER_STREAM`](super::SERVER_STREAM));
    /// boxed, as a ban is bigger than any other payload.
    Server(Box<ServerChange>),
    /// A private message (`/msg`) to a user of the node whose inbox this is.
    Private {
        /// Who sent it (display name).
        from: String,
        /// To whom (the name as typed).
        to: String,
        /// What it says (already sanitised by the node that took it).
        text: String,
    },
    /// A command of a user of the node whose inbox this is was refused by the node that
    /// carried it out (a `/ban` that would shut its operator out too): told to them as an
    /// error line (`! TEXT`).
    Refused {
        /// To whom (their name).
        to: String,
        /// Why, without the `! `.
        text: String,
    },
}

/// Why an entry's fields are not a payload this build can read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PayloadError {
    /// A field the kind needs is absent.
    #[error("the entry has no {0:?} field")]
    Missing(&'static str),
    /// A field is not UTF-8 text.
    #[error("the entry's {0:?} field is not UTF-8 text")]
    NotText(&'static str),
    /// The entry was written by a newer (or unknown) payload version.
    #[error("the entry is payload version {0:?}; this chat reads version {PAYLOAD_VERSION}")]
    Version(String),
    /// The entry's kind (or moderation action) is unknown.
    #[error("the entry's {field} {value:?} is unknown")]
    Unknown {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
}

impl BusPayload {
    /// The entry's fields, `v` and `kind` first.
    pub fn fields(&self) -> Vec<(&'static str, Cow<'_, str>)> {
        fn borrowed<'a>(fields: &[(&'static str, &'a str)]) -> Vec<(&'static str, Cow<'a, str>)> {
            fields.iter().map(|&(name, value)| (name, Cow::Borrowed(value))).collect()
        }
        let mut fields = borrowed(&[("v", "1"), ("kind", self.kind())]);
        match self {
            BusPayload::Line { from, text } | BusPayload::Action { from, text } => {
                fields.extend(borrowed(&[("from", from), ("text", text)]))
            }
            BusPayload::Notice { text } => fields.extend(borrowed(&[("text", text)])),
            BusPayload::Joined { user } => fields.extend(borrowed(&[("user", user)])),
            BusPayload::Renamed { old, new } => fields.extend(borrowed(&[("user", old), ("new", new)])),
            BusPayload::Left { user, reason } => fields.extend(borrowed(&[("user", user), ("text", reason)])),
            // Names hold no space: one field, space-separated (a reader keeps one value per field).
            BusPayload::Present { users } => fields.push(("users", Cow::Owned(users.join(" ")))),
            BusPayload::Moderation { action, target, by, reason, expires, by_address, by_account } => {
                fields.extend(borrowed(&[
                    ("action", action.as_str()),
                    ("target", target),
                    ("by", by),
                    ("text", reason),
                ]));
                if let Some(end) = expires {
                    fields.push(("expires", Cow::Owned(end.0.to_string())));
                }
                if let Some(address) = by_address {
                    fields.push(("addr", Cow::Owned(address.to_string())));
                }
                if let Some(account) = by_account {
                    fields.push(("account", Cow::Borrowed(account)));
                }
            }
            BusPayload::Topic { by, change } => change.fields(by, &mut fields),
            BusPayload::Server(change) => change.fields(&mut fields),
            BusPayload::Private { from, to, text } => {
                fields.extend(borrowed(&[("from", from), ("to", to), ("text", text)]))
            }
            BusPayload::Refused { to, text } => fields.extend(borrowed(&[("to", to), ("text", text)])),
        }
        fields
    }

    /// Reads a payload back from an entry's fields (in any order; unknown ones are ignored).
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<Self, PayloadError> {
        let fields: Vec<(&str, &[u8])> = fields.into_iter().collect();
        let get = |name: &'static str| -> Result<String, PayloadError> {
            let (_, value) =
                fields.iter().find(|(field, _)| *field == name).ok_or(PayloadError::Missing(name))?;
            String::from_utf8(value.to_vec()).map_err(|_| PayloadError::NotText(name))
        };
        let version = get("v")?;
        if version != PAYLOAD_VERSION.to_string() {
            return Err(PayloadError::Version(version));
        }
        let kind = get("kind")?;
        Ok(match kind.as_str() {
            "line" => BusPayload::Line { from: get("from")?, text: get("text")? },
            "me" => BusPayload::Action { from: get("from")?, text: get("text")? },
            "notice" => BusPayload::Notice { text: get("text")? },
            "join" => BusPayload::Joined { user: get("user")? },
            "leave" => BusPayload::Left { user: get("user")?, reason: get("text").unwrap_or_default() },
            "nick" => BusPayload::Renamed { old: get("user")?, new: get("new")? },
            "here" => {
                BusPayload::Present { users: get("users")?.split_whitespace().map(str::to_owned).collect() }
            }
            "mod" => {
                let action = get("action")?;
                let action = ModerationAction::ALL
                    .into_iter()
                    .find(|known| known.as_str() == action)
                    .ok_or(PayloadError::Unknown { field: "action", value: action })?;
                BusPayload::Moderation {
                    action,
                    target: get("target")?,
                    by: get("by")?,
                    reason: get("text")?,
                    expires: expiry(&get)?,
                    by_address: match get("addr") {
                        Ok(address) => Some(
                            address
                                .parse()
                                .map_err(|_| PayloadError::Unknown { field: "addr", value: address })?,
                        ),
                        Err(PayloadError::Missing(_)) => None,
                        Err(error) => return Err(error),
                    },
                    by_account: get("account").ok(),
                }
            }
            "topic" => BusPayload::Topic { by: get("by")?, change: TopicChange::read(&get)? },
            "state" => BusPayload::Server(Box::new(ServerChange::read(&get)?)),
            "msg" => BusPayload::Private { from: get("from")?, to: get("to")?, text: get("text")? },
            "refused" => BusPayload::Refused { to: get("to")?, text: get("text")? },
            _ => return Err(PayloadError::Unknown { field: "kind", value: kind }),
        })
    }

    /// The bytes of its text fields, for bounding queues.
    pub fn size(&self) -> usize {
        self.fields().iter().map(|(name, value)| name.len() + value.len()).sum()
    }

    fn kind(&self) -> &'static str {
        match self {
            BusPayload::Line { .. } => "line",
            BusPayload::Action { .. } => "me",
            BusPayload::Notice { .. } => "notice",
            BusPayload::Joined { .. } => "join",
            BusPayload::Left { .. } => "leave",
            BusPayload::Renamed { .. } => "nick",
            BusPayload::Present { .. } => "here",
            BusPayload::Moderation { .. } => "mod",
            BusPayload::Topic { .. } => "topic",
            BusPayload::Server(_) => "state",
            BusPayload::Private { .. } => "msg",
            BusPayload::Refused { .. } => "refused",
        }
    }
}

impl fmt::Display for ModerationAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(fields: &[(&str, &str)]) -> Result<BusPayload, PayloadError> {
        BusPayload::from_fields(fields.iter().map(|(name, value)| (*name, value.as_bytes())))
    }

    fn round_trip(payload: &BusPayload) -> Result<BusPayload, PayloadError> {
        let fields = payload.fields();
        BusPayload::from_fields(fields.iter().map(|(name, value)| (*name, value.as_bytes())))
    }

    fn payloads() -> impl Strategy<Value = BusPayload> {
        let action = proptest::sample::select(ModerationAction::ALL.to_vec());
        prop_oneof![
            (".*", ".*").prop_map(|(from, text)| BusPayload::Line { from, text }),
            (".*", ".*").prop_map(|(from, text)| BusPayload::Action { from, text }),
            ".*".prop_map(|text| BusPayload::Notice { text }),
            ".*".prop_map(|user| BusPayload::Joined { user }),
            (".*", ".*").prop_map(|(user, reason)| BusPayload::Left { user, reason }),
            (".*", ".*").prop_map(|(old, new)| BusPayload::Renamed { old, new }),
            proptest::collection::vec("[a-z0-9-]{1,8}", 0..5).prop_map(|users| BusPayload::Present { users }),
            (
                action,
                (".*", ".*", ".*"),
                proptest::option::of(any::<u64>()),
                proptest::option::of(any::<IpAddr>()),
                proptest::option::of(".*")
            )
                .prop_map(|(action, (target, by, reason), expires, by_address, by_account)| {
                    BusPayload::Moderation {
                        action,
                        target,
                        by,
                        reason,
                        expires: expires.map(UnixMillis),
                        by_address,
                        by_account,
                    }
                }),
            (".*", ".*", ".*").prop_map(|(from, to, text)| BusPayload::Private { from, to, text }),
            (".*", ".*").prop_map(|(to, text)| BusPayload::Refused { to, text }),
        ]
    }

    proptest! {
        #[test]
        fn every_payload_round_trips(payload in payloads()) {
            prop_assert_eq!(round_trip(&payload), Ok(payload));
        }
    }

    #[test]
    fn a_line_is_four_short_fields() {
        let line = BusPayload::Line { from: "bob".into(), text: "hi".into() };
        let fields: Vec<(&str, String)> =
            line.fields().into_iter().map(|(name, value)| (name, value.into_owned())).collect();
        let expected = [("v", "1"), ("kind", "line"), ("from", "bob"), ("text", "hi")];
        assert_eq!(fields, expected.map(|(name, value)| (name, value.to_owned())));
        assert_eq!(line.size(), 1 + 1 + 4 + 4 + 4 + 3 + 4 + 2);
    }

    #[test]
    fn field_order_and_unknown_fields_do_not_matter() {
        let decoded =
            decode(&[("text", "hi"), ("node", "n1"), ("kind", "line"), ("v", "1"), ("from", "bob")]);
        assert_eq!(decoded, Ok(BusPayload::Line { from: "bob".into(), text: "hi".into() }));
    }

    #[test]
    fn unreadable_entries_say_why() {
        assert_eq!(decode(&[("kind", "line")]), Err(PayloadError::Missing("v")));
        assert_eq!(decode(&[("v", "2"), ("kind", "line")]), Err(PayloadError::Version("2".into())));
        assert_eq!(
            decode(&[("v", "1"), ("kind", "line"), ("from", "bob")]),
            Err(PayloadError::Missing("text"))
        );
        assert_eq!(
            decode(&[("v", "1"), ("kind", "poll")]),
            Err(PayloadError::Unknown { field: "kind", value: "poll".into() })
        );
        assert_eq!(
            decode(&[
                ("v", "1"),
                ("kind", "mod"),
                ("action", "smite"),
                ("target", "x"),
                ("by", "op"),
                ("text", "")
            ]),
            Err(PayloadError::Unknown { field: "action", value: "smite".into() })
        );
        let not_text = BusPayload::from_fields([("v", &b"1"[..]), ("kind", b"notice"), ("text", b"\xff")]);
        assert_eq!(not_text, Err(PayloadError::NotText("text")));
        assert_eq!(
            PayloadError::Version("2".into()).to_string(),
            "the entry is payload version \"2\"; this chat reads version 1"
        );
    }
}
