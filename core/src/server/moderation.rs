//! What operators do to people: `/kick`, `/ban`, `/unban`, `/banned`, `/mute`, `/unmute`; the
//! refusal of a banned address at connect time; the end of bans and mutes on the core's clock.
//!
//! Every action is announced to the room concerned (never with an address), confirmed to the
//! operator, logged, and stored ([`Record::Ban`], [`Record::Mute`] and their removals).

use std::net::IpAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::Server;
use super::operators::Target;
use crate::moderation::mutes::Muted;
use crate::protocol::nick::key_of;
use crate::protocol::sanitize;
use crate::protocol::wire::{self, Reason};
use crate::{
    AddressRange, Ban, BanTarget, ClientId, ModerationAction, Mute, Record, ServerChange, UnixMillis,
};

/// Why a server operator's ban is refused, on whichever node resolves it.
pub(super) const SHUTS_YOU_OUT: &str = "That ban would shut you out too.";

/// Longest reason kept for a kick or a ban, in characters.
const MAX_REASON: usize = 200;

/// A reason as typed, made safe and cut to [`MAX_REASON`].
fn reason_of(typed: Option<&str>) -> String {
    typed.map(|reason| sanitize(reason).chars().take(MAX_REASON).collect()).unwrap_or_default()
}

impl Server {
    /// The line refusing a connection from `address`, if a ban is in force on it.
    pub(super) fn ban_refusal(&self, address: IpAddr) -> Option<Bytes> {
        let ban = self.moderation.bans.of_address(address, self.wall_now())?;
        Some(wire::banned_refusal(ban.expires, &ban.reason))
    }

    /// Until when `id` is muted (`Some(None)`: until lifted), if it is muted at `now`.
    pub(super) fn muted_until(&self, id: ClientId, now: UnixMillis) -> Option<Option<UnixMillis>> {
        let client = self.registry.get(id)?;
        let mutes = &self.moderation.mutes;
        let by_account = client.account.as_deref().and_then(|key| mutes.account_until(key, now));
        by_account.or_else(|| mutes.guest_until(id, now))
    }

    /// Whether `id` may say something; a muted client is told it is not heard.
    pub(super) fn may_speak(&mut self, id: ClientId) -> bool {
        if self.moderation.mutes.is_empty() {
            return true;
        }
        match self.muted_until(id, self.wall_now()) {
            None => true,
            Some(until) => {
                self.send(id, wire::you_muted(until));
                false
            }
        }
    }

    /// Refuses an identified client whose account is banned: told why, and closed. Whether it
    /// was refused. Identification calls it once it succeeds.
    pub(super) fn enforce_account_ban(&mut self, id: ClientId) -> bool {
        let now = self.wall_now();
        let Some(key) = self.account_of(id).map(str::to_owned) else {
            return false;
        };
        let Some(ban) = self.moderation.bans.of_account(&key, now) else { return false };
        let (by, reason) = (ban.set_by.clone(), ban.reason.clone());
        self.send(id, wire::banned_refusal(ban.expires, &ban.reason));
        tracing::info!(%id, account = %key, "refused: the account is banned");
        self.depart(id, Reason::Banned { by, reason });
        self.close_when_flushed(id);
        true
    }

    /// `/kick NAME [REASON]`: NAME is disconnected; its room is told, and the operator if it
    /// is elsewhere.
    pub(super) fn kick(&mut self, id: ClientId, by: &str, typed: &str, reason: Option<&str>) {
        let target = match self.may_act_on(id, typed, false) {
            Ok(target) => target,
            Err(_)
                if self.act_through_room(id, by, typed, ModerationAction::Kick, &reason_of(reason), None) =>
            {
                return;
            }
            Err(refusal) => return self.send(id, refusal),
        };
        let reason = reason_of(reason);
        tracing::info!(%id, %by, target = %target.name, %reason, "kicked");
        self.send(target.id, wire::you_kicked(by, &reason));
        let why = Reason::Kicked { by: by.to_owned(), reason };
        self.confirm(id, target.room, target.announced, wire::offline(&target.name, &why));
        self.depart(target.id, why);
        self.close_when_flushed(target.id);
    }

    /// Sends operator `id` the `line` told to `room`, unless it is there and the room is told
    /// (`told`: a departure is told only if the arrival was).
    fn confirm(&mut self, id: ClientId, room: crate::rooms::RoomId, told: bool, line: Bytes) {
        if !told || self.registry.get(id).is_some_and(|client| client.room != room) {
            self.send(id, line);
        }
    }

    /// `/ban NAME|IP|CIDR [DURATION] [REASON]`, by a server operator: a name bans the account
    /// it is identified as (if it is) and the address it came from. Everyone connected from a
    /// banned address, or as a banned account, is disconnected.
    pub(super) fn ban(&mut self, id: ClientId, typed: &str, length: Option<Duration>, reason: Option<&str>) {
        let by = match self.server_operator_name(id) {
            Ok(by) => by,
            Err(refusal) => return self.send(id, refusal),
        };
        let expires = length.map(|length| self.wall_now().saturating_add(length));
        let (targets, named) = match typed.parse::<AddressRange>() {
            Ok(range) => (vec![BanTarget::Addresses(range)], None),
            Err(_) => match self.may_act_on(id, typed, false) {
                Ok(target) => (self.ban_targets(target.id), Some(target.name)),
                Err(_)
                    if self.act_through_room(
                        id,
                        &by,
                        typed,
                        ModerationAction::Ban,
                        &reason_of(reason),
                        expires,
                    ) =>
                {
                    return;
                }
                Err(refusal) => return self.send(id, refusal),
            },
        };
        if self
            .registry
            .get(id)
            .is_some_and(|me| self.is_banned_by(me.peer.ip(), me.account.as_deref(), &targets))
        {
            return self.send(id, wire::error(SHUTS_YOU_OUT));
        }
        let reason = reason_of(reason);
        self.set_bans(&targets, &by, &reason, expires, named.as_deref());
        let shut_out = self.put_out_banned(&targets, &by, &reason, length, Some(id));
        self.send(id, wire::ban_done(&targets, length, shut_out));
    }

    /// What `/ban NAME` bans for client `id`: the account it is identified as (if it is) and
    /// the address it came from.
    pub(super) fn ban_targets(&self, id: ClientId) -> Vec<BanTarget> {
        let Some(client) = self.registry.get(id) else { return Vec::new() };
        let address = BanTarget::Addresses(AddressRange::single(client.peer.ip()));
        let account = client.account.as_deref().map(str::to_owned).map(BanTarget::Account);
        account.into_iter().chain([address]).collect()
    }

    /// Bans each of `targets` from now until `expires`, by `by`: kept, stored and shared with
    /// every node; `named` when a name was typed (so `/unban NAME` lifts them all).
    pub(super) fn set_bans(
        &mut self,
        targets: &[BanTarget],
        by: &str,
        reason: &str,
        expires: Option<UnixMillis>,
        named: Option<&str>,
    ) {
        let at = self.wall_now();
        for target in targets {
            let (reason, set_by) = (reason.to_owned(), by.to_owned());
            let ban = Ban { target: target.clone(), reason, set_by, at, expires };
            tracing::info!(%by, target = ?ban.target, ?expires, reason = %ban.reason, "banned");
            self.moderation.bans.insert(ban.clone());
            self.persist(Record::Ban(ban.clone()));
            self.share(ServerChange::Ban(ban));
        }
        if let Some(name) = named {
            self.moderation.bans.link(&key_of(name), targets.to_vec());
        }
    }

    /// Puts out everyone here banned by one of `targets` (by `by`, for `length`, because of
    /// `reason`): each is told, and leaves; `operator`, who banned them, is told too if its
    /// room is not told. How many were put out.
    pub(super) fn put_out_banned(
        &mut self,
        targets: &[BanTarget],
        by: &str,
        reason: &str,
        length: Option<Duration>,
        operator: Option<ClientId>,
    ) -> usize {
        let shut_out: Vec<(ClientId, crate::rooms::RoomId, String, bool)> = self
            .registry
            .clients()
            .iter()
            .filter(|client| {
                client.is_present() && self.is_banned_by(client.peer.ip(), client.account.as_deref(), targets)
            })
            .map(|client| (client.id, client.room, client.nick.as_str().to_owned(), client.announced))
            .collect();
        for (banned, room, name, announced) in &shut_out {
            self.send(*banned, wire::you_banned(by, length, reason));
            let why = Reason::Banned { by: by.to_owned(), reason: reason.to_owned() };
            if let Some(operator) = operator {
                self.confirm(operator, *room, *announced, wire::offline(name, &why));
            }
            self.depart(*banned, why);
            self.close_when_flushed(*banned);
        }
        shut_out.len()
    }

    /// Whether a client from `address`, identified as `account`, falls under one of `targets`.
    pub(super) fn is_banned_by(&self, address: IpAddr, account: Option<&str>, targets: &[BanTarget]) -> bool {
        targets.iter().any(|target| match target {
            BanTarget::Addresses(range) => range.contains(address),
            BanTarget::Account(key) => account == Some(key.as_str()),
        })
    }

    /// `/unban NAME|IP|CIDR`, by a server operator: an address or range lifts that exact ban; a
    /// name lifts what `/ban NAME` set and the ban of the account of that name.
    pub(super) fn unban(&mut self, id: ClientId, typed: &str) {
        let by = match self.server_operator_name(id) {
            Ok(by) => by,
            Err(refusal) => return self.send(id, refusal),
        };
        let targets = match typed.parse::<AddressRange>() {
            Ok(range) => vec![BanTarget::Addresses(range)],
            Err(_) => {
                let key = key_of(typed);
                let mut targets = self.moderation.bans.take_linked(&key);
                let account = BanTarget::Account(key);
                if !targets.contains(&account) {
                    targets.push(account);
                }
                targets
            }
        };
        let lifted: Vec<BanTarget> = targets
            .into_iter()
            .filter_map(|target| self.moderation.bans.remove(&target))
            .map(|ban| ban.target)
            .collect();
        if lifted.is_empty() {
            return self.send(id, wire::error(format_args!("Nothing called {} is banned.", sanitize(typed))));
        }
        for target in lifted {
            tracing::info!(%id, %by, ?target, "ban lifted");
            self.send(id, wire::unbanned(&target));
            self.persist(Record::BanLifted { target: target.clone() });
            self.share(ServerChange::BanLifted(target));
        }
    }

    /// `/banned`, by a server operator: every ban in force.
    pub(super) fn list_bans(&mut self, id: ClientId) {
        if let Err(refusal) = self.server_operator_name(id) {
            return self.send(id, refusal);
        }
        let now = self.wall_now();
        let count = self.moderation.bans.in_force(now).count();
        let line = wire::ban_list(count, self.moderation.bans.in_force(now));
        self.send(id, line);
    }

    /// The name of server operator `id` and the person called `typed` it may act on, or the
    /// refusal to send.
    fn server_operator_on(&self, id: ClientId, typed: &str) -> Result<(String, Target), Bytes> {
        let by = self.server_operator_name(id)?;
        Ok((by, self.may_act_on(id, typed, false)?))
    }

    /// `/mute NAME [DURATION]`, by a server operator: NAME's lines reach no one until it ends.
    /// An identified person's account is muted (and stored); a guest's connection.
    pub(super) fn mute(&mut self, id: ClientId, typed: &str, length: Option<Duration>) {
        let expires = length.map(|length| self.wall_now().saturating_add(length));
        let (by, target) = match self.server_operator_on(id, typed) {
            Ok(found) => found,
            Err(refusal) => return self.refuse_or_ask(id, typed, ModerationAction::Mute, expires, refusal),
        };
        self.impose_mute(Some(id), &by, &target, expires);
    }

    /// Mutes `target` (here) until `expires` (for good: `None`), by `by`: an identified
    /// person's account (stored and shared with every node), a guest's connection; its room is
    /// told, and `operator`.
    pub(super) fn impose_mute(
        &mut self,
        operator: Option<ClientId>,
        by: &str,
        target: &Target,
        expires: Option<UnixMillis>,
    ) {
        let (at, by, length) = (self.wall_now(), by.to_owned(), self.remaining(expires));
        match self.account_of(target.id).map(str::to_owned) {
            Some(account) => {
                let mute = Mute { account, set_by: by.clone(), at, expires };
                self.moderation.mutes.insert_account(mute.clone());
                self.persist(Record::Mute(mute.clone()));
                self.share(ServerChange::Mute(mute));
            }
            None => self.moderation.mutes.insert_guest(target.id, expires),
        }
        tracing::info!(?operator, %by, target = %target.name, ?length, "muted");
        let line = wire::muted(&by, &target.name, length);
        if let Some(operator) = operator {
            self.confirm(operator, target.room, true, line.clone());
        }
        self.tell_room(target.room, line);
        self.send(target.id, wire::you_muted(expires));
    }

    /// With a bus, `/mute` or `/unmute` by a server operator of someone on another node goes
    /// through the stream of a room they are in; else `refusal` is sent.
    fn refuse_or_ask(
        &mut self,
        id: ClientId,
        typed: &str,
        action: ModerationAction,
        expires: Option<UnixMillis>,
        refusal: Bytes,
    ) {
        let by = self.registry.get(id).map(|client| client.nick.as_str().to_owned()).unwrap_or_default();
        if !(self.is_server_operator(id) && self.act_through_room(id, &by, typed, action, "", expires)) {
            self.send(id, refusal);
        }
    }

    /// `/unmute NAME`, by a server operator.
    pub(super) fn unmute(&mut self, id: ClientId, typed: &str) {
        let (by, target) = match self.server_operator_on(id, typed) {
            Ok(found) => found,
            Err(refusal) => return self.refuse_or_ask(id, typed, ModerationAction::Unmute, None, refusal),
        };
        if !self.lift_mute(Some(id), &by, &target) {
            self.send(id, wire::error(format_args!("{} is not muted.", target.name)));
        }
    }

    /// Lifts the mute of `target` (here), by `by` (shared with every node for an account): its
    /// room is told, and `operator`. Whether it was muted.
    pub(super) fn lift_mute(&mut self, operator: Option<ClientId>, by: &str, target: &Target) -> bool {
        let account = self.account_of(target.id).map(str::to_owned);
        let by_account =
            account.as_ref().is_some_and(|key| self.moderation.mutes.remove(&Muted::Account(key.clone())));
        let by_connection = self.moderation.mutes.remove(&Muted::Guest(target.id));
        if by_account && let Some(account) = account {
            self.persist(Record::MuteLifted { account: account.clone() });
            self.share(ServerChange::MuteLifted(account));
        }
        if !(by_account || by_connection) {
            return false;
        }
        tracing::info!(?operator, %by, target = %target.name, "unmuted");
        let line = wire::unmuted(by, &target.name);
        if let Some(operator) = operator {
            self.confirm(operator, target.room, true, line.clone());
        }
        self.tell_room(target.room, line);
        true
    }

    /// How long a ban or mute ending at `expires` has left, rounded up to the second: so a
    /// ban typed on another node is worded as typed (`for 2m`, not `for 119s`) on every node.
    pub(super) fn remaining(&self, expires: Option<UnixMillis>) -> Option<Duration> {
        let now = self.wall_now();
        expires.map(|end| Duration::from_secs(end.0.saturating_sub(now.0).div_ceil(1000)))
    }

    /// When the next ban or mute ends, on the core's clock.
    pub(super) fn moderation_deadline(&self) -> Option<Instant> {
        let next = self.moderation.next_expiry()?;
        let wait = next.0.saturating_sub(self.wall_now().0);
        Some(self.now + Duration::from_millis(wait))
    }

    /// Lifts the bans and mutes that are over (stored as lifted); the unmuted are told.
    pub(super) fn expire_moderation(&mut self) {
        let now = self.wall_now();
        if self.moderation.next_expiry().is_none_or(|next| next > now) {
            return;
        }
        for ban in self.moderation.bans.expire(now) {
            tracing::info!(target = ?ban.target, "ban expired");
            self.persist(Record::BanLifted { target: ban.target });
        }
        for muted in self.moderation.mutes.expire(now) {
            tracing::info!(?muted, "mute expired");
            let told: Vec<ClientId> = match &muted {
                Muted::Guest(id) => vec![*id],
                Muted::Account(key) => {
                    self.persist(Record::MuteLifted { account: key.clone() });
                    let holders = self.registry.clients().iter();
                    holders
                        .filter(|client| client.account.as_deref() == Some(key.as_str()))
                        .map(|client| client.id)
                        .collect()
                }
            };
            for id in told {
                self.send(id, wire::you_unmuted());
            }
        }
    }
}
