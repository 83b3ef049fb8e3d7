//! Building the server from what a database kept ([`Stored`]): one function per part of the
//! snapshot, each taking back its own records.

use std::time::{Instant, SystemTime};

use super::Server;
use crate::{Account, Config, ConfigError, Stored, StoredRoom};

impl Server {
    /// A server with no one in it yet, like [`Server::new`], built from `stored`: what a
    /// database kept when the server last ran (see [`Config::persist`]).
    ///
    /// Each room comes back with its last [`Config::history`] lines (replayed as before the
    /// restart) and its topic, and numbers its next line after every line it ever had.
    /// `#lobby` is restored in place; every other room is put aside until someone joins it.
    /// Accounts come back as they were: their names reserved, their passwords unchanged.
    pub fn restore(
        config: Config,
        now: Instant,
        wall: SystemTime,
        stored: Stored,
    ) -> Result<Self, ConfigError> {
        let mut server = Self::new(config, now, wall)?;
        let Stored { rooms, accounts, operators, bans, mutes, motd } = stored;
        server.restore_rooms(rooms);
        server.restore_accounts(accounts);
        server.restore_moderation(operators, bans, mutes, motd);
        Ok(server)
    }

    /// Accounts. One whose name no longer fits [`Config::max_nick`] is kept all the same: its
    /// owner can still identify.
    fn restore_accounts(&mut self, accounts: Vec<Account>) {
        let count = accounts.len();
        for account in accounts {
            self.accounts.insert(account);
        }
        if count > 0 {
            tracing::info!(accounts = count, "accounts restored");
        }
    }

    /// Rooms: their history, numbering and topics.
    fn restore_rooms(&mut self, rooms: Vec<StoredRoom>) {
        let count = rooms.len();
        for room in rooms {
            self.rooms.restore(room);
        }
        if count > 0 {
            tracing::info!(rooms = count, "rooms restored");
        }
    }
}
