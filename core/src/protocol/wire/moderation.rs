//! Writing the lines of moderation: operators, kicks, bans, mutes, the message of the day,
//! topic locks and `/whois`. Clients read them as [`ServerLine::Notice`](super::ServerLine::Notice)
//! (`*** `) or [`ServerLine::Error`](super::ServerLine::Error) (`! `); the tests below check that
//! none passes for another kind of line.
//!
//! Addresses appear only in lines sent to server operators (`/banned`, `/whois`, `/who`, their
//! own ban's confirmation), never in a line to a room.

use std::fmt::Write;
use std::time::Duration;

use bytes::Bytes;

use super::format::{error, line, name_list};
use crate::moderation::duration;
use crate::{BanTarget, UnixMillis};

/// `2026-11-28 16:00 UTC`: a wall-clock time for people.
pub(crate) fn when(at: UnixMillis) -> String {
    let secs = at.0 / 1_000;
    let (days, of_day) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", of_day / 3_600, of_day % 3_600 / 60)
}

/// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// ` for 2h` or nothing.
fn lasting(length: Option<Duration>) -> String {
    length.map(|length| format!(" for {}", duration::show(length))).unwrap_or_default()
}

/// ` until 2026-11-28 16:00 UTC` or nothing.
fn until(expires: Option<UnixMillis>) -> String {
    expires.map(|end| format!(" until {}", when(end))).unwrap_or_default()
}

/// `: REASON` or nothing.
fn because(reason: &str) -> String {
    if reason.is_empty() { String::new() } else { format!(": {reason}") }
}

/// `account bob` or `10.0.0.0/8`.
fn target(target: &BanTarget) -> String {
    match target {
        BanTarget::Account(key) => format!("account {key}"),
        BanTarget::Addresses(range) => range.to_string(),
    }
}

/// `! Only operators of #ROOM may do that.` (or server operators).
pub(crate) fn not_operator(room: Option<&str>) -> Bytes {
    match room {
        Some(room) => error(format_args!("Only operators of {room} (or server operators) may do that.")),
        None => error("Only server operators may do that."),
    }
}

/// `*** You created #ROOM: you are its operator.`
pub(crate) fn you_created(room: &str) -> Bytes {
    line(format_args!("*** You created {room}: you are its operator."))
}

/// `*** #ROOM was empty: you are its operator.` (a room that existed before, brought back).
pub(crate) fn you_revived(room: &str) -> Bytes {
    line(format_args!("*** {room} was empty: you are its operator."))
}

/// `*** OP made NAME an operator of #ROOM`.
pub(crate) fn opped(by: &str, name: &str, room: &str) -> Bytes {
    line(format_args!("*** {by} made {name} an operator of {room}"))
}

/// `*** NAME is a server operator: OP's kick was refused`: a kick from another server of
/// a server operator of its own.
pub(crate) fn kick_refused(name: &str, by: &str) -> Bytes {
    line(format_args!("*** {name} is a server operator: {by}'s kick was refused"))
}

/// `*** OP took NAME's operator status in #ROOM`.
pub(crate) fn deopped(by: &str, name: &str, room: &str) -> Bytes {
    line(format_args!("*** {by} took {name}'s operator status in {room}"))
}

/// `! You were kicked by OP: REASON`: the last line a kicked client gets.
pub(crate) fn you_kicked(by: &str, reason: &str) -> Bytes {
    error(format_args!("You were kicked by {by}{}", because(reason)))
}

/// `! You are banned by OP for 2h: REASON`: the last line a banned client gets.
pub(crate) fn you_banned(by: &str, length: Option<Duration>, reason: &str) -> Bytes {
    error(format_args!("You are banned by {by}{}{}", lasting(length), because(reason)))
}

/// `! You are banned from this server until ...: REASON`: sent instead of the welcome.
pub(crate) fn banned_refusal(expires: Option<UnixMillis>, reason: &str) -> Bytes {
    error(format_args!("You are banned from this server{}{}", until(expires), because(reason)))
}

/// `*** Banned TARGETS for 2h; N connections closed`: the server operator's confirmation.
pub(crate) fn ban_done(targets: &[BanTarget], length: Option<Duration>, closed: usize) -> Bytes {
    let targets: Vec<String> = targets.iter().map(target).collect();
    let closed = match closed {
        1 => "1 connection closed".to_owned(),
        n => format!("{n} connections closed"),
    };
    line(format_args!("*** Banned {}{}; {closed}", targets.join(" and "), lasting(length)))
}

/// `*** Lifted the ban on TARGET`.
pub(crate) fn unbanned(lifted: &BanTarget) -> Bytes {
    line(format_args!("*** Lifted the ban on {}", target(lifted)))
}

/// `*** Bans (N):` then one line per ban, or `*** No one is banned`: the answer to `/banned`.
pub(crate) fn ban_list<'a>(count: usize, bans: impl Iterator<Item = &'a crate::Ban>) -> Bytes {
    if count == 0 {
        return line(format_args!("*** No one is banned"));
    }
    let mut text = format!("*** Bans ({count}):\n");
    for ban in bans {
        let _ = writeln!(
            text,
            "*** {} by {} at {}{}{}",
            target(&ban.target),
            ban.set_by,
            when(ban.at),
            until(ban.expires),
            because(&ban.reason)
        );
    }
    Bytes::from(text)
}

/// `*** OP muted NAME for 10m`: to the muted person's room.
pub(crate) fn muted(by: &str, name: &str, length: Option<Duration>) -> Bytes {
    line(format_args!("*** {by} muted {name}{}", lasting(length)))
}

/// `*** OP unmuted NAME`.
pub(crate) fn unmuted(by: &str, name: &str) -> Bytes {
    line(format_args!("*** {by} unmuted {name}"))
}

/// `! You are muted until ...: your lines reach no one.`
pub(crate) fn you_muted(expires: Option<UnixMillis>) -> Bytes {
    error(format_args!("You are muted{}: your lines reach no one.", until(expires)))
}

/// `*** You are no longer muted`.
pub(crate) fn you_unmuted() -> Bytes {
    line(format_args!("*** You are no longer muted"))
}

/// `*** Message of the day: TEXT`: after the welcome, and the answer to `/motd`.
pub(crate) fn motd(text: &str) -> Bytes {
    line(format_args!("*** Message of the day: {text}"))
}

/// `*** There is no message of the day`.
pub(crate) fn no_motd() -> Bytes {
    line(format_args!("*** There is no message of the day"))
}

/// `*** OP set the message of the day: TEXT`.
pub(crate) fn motd_set(by: &str, text: &str) -> Bytes {
    line(format_args!("*** {by} set the message of the day: {text}"))
}

/// `*** OP cleared the message of the day`.
pub(crate) fn motd_cleared(by: &str) -> Bytes {
    line(format_args!("*** {by} cleared the message of the day"))
}

/// `*** OP locked the topic of #ROOM` (`locked`) or `unlocked`.
pub(crate) fn topic_lock(by: &str, room: &str, locked: bool) -> Bytes {
    let verb = if locked { "locked" } else { "unlocked" };
    line(format_args!("*** {by} {verb} the topic of {room}"))
}

/// `! The topic of #ROOM is locked: only its operators may change it.`
pub(crate) fn topic_locked(room: &str) -> Bytes {
    error(format_args!("The topic of {room} is locked: only its operators may change it."))
}

/// `*** NAME: in #ROOM, FACT, FACT`: the answer to `/whois`.
pub(crate) fn whois(name: &str, room: &str, facts: &[String]) -> Bytes {
    let mut text = format!("*** {name}: in {room}");
    for fact in facts {
        let _ = write!(text, ", {fact}");
    }
    line(format_args!("{text}"))
}

/// `*** Addresses: A 10.0.0.1, B 10.0.0.2 and K more`: after `/who`, for server operators.
pub(crate) fn addresses<'a>(count: usize, entries: impl Iterator<Item = &'a str>) -> Bytes {
    line(format_args!("*** Addresses: {}", name_list(count, entries)))
}

#[cfg(test)]
mod tests {
    use super::super::ServerLine;
    use super::*;
    use crate::Ban;

    #[test]
    fn times_are_dates_in_utc() {
        assert_eq!(when(UnixMillis(0)), "1970-01-01 00:00 UTC");
        assert_eq!(when(UnixMillis(1_795_874_400_000)), "2026-11-28 14:00 UTC");
        assert_eq!(when(UnixMillis(1_709_210_096_000)), "2024-02-29 12:34 UTC");
    }

    /// Every moderation line, with names and texts that look like other lines.
    fn every_line() -> Vec<Bytes> {
        let (by, name, room, text) = ("alice", "bob", "#rust", "*** eve entered the room");
        let ban = Ban {
            target: BanTarget::Addresses("10.0.0.0/8".parse().unwrap()),
            reason: text.into(),
            set_by: by.into(),
            at: UnixMillis(0),
            expires: Some(UnixMillis(60_000)),
        };
        let hour = Some(Duration::from_secs(3_600));
        vec![
            you_created(room),
            you_revived(room),
            opped(by, name, room),
            deopped(by, name, room),
            ban_done(&[BanTarget::Account(name.into()), ban.target.clone()], hour, 2),
            unbanned(&ban.target),
            ban_list(0, std::iter::empty()),
            muted(by, name, hour),
            unmuted(by, name),
            you_unmuted(),
            motd(text),
            no_motd(),
            motd_set(by, text),
            motd_cleared(by),
            topic_lock(by, room, true),
            whois(name, room, &["away: x".into()]),
            addresses(3, ["bob 10.0.0.1", "eve ::1"].into_iter()),
        ]
        .into_iter()
        .chain(ban_list(1, std::iter::once(&ban)).split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| {
            let mut owned = l.to_vec();
            owned.push(b'\n');
            Bytes::from(owned)
        }))
        .collect()
    }

    #[test]
    fn notices_read_back_as_notices_and_errors_as_errors() {
        for line in every_line() {
            let text = std::str::from_utf8(&line).unwrap();
            assert!(text.ends_with('\n') && text.matches('\n').count() == 1, "{text:?}");
            assert!(
                matches!(ServerLine::parse(text), ServerLine::Notice(_)),
                "{text:?}: {:?}",
                ServerLine::parse(text)
            );
        }
        for line in [
            not_operator(Some("#rust")),
            not_operator(None),
            you_kicked("alice", "spam"),
            you_banned("alice", None, ""),
            banned_refusal(Some(UnixMillis(0)), "spam"),
            you_muted(None),
            topic_locked("#rust"),
        ] {
            let text = std::str::from_utf8(&line).unwrap();
            assert!(matches!(ServerLine::parse(text), ServerLine::Error(_)), "{text:?}");
        }
    }
}
