//! Accounts as the server sees them: who is identified as which account, and who is a server
//! operator. What the account commands do is in `identify.rs`-like blocks below.

use super::Server;
use crate::ClientId;

impl Server {
    /// The key of the account client `id` identified as, or `None` for a guest (or an unknown
    /// client).
    pub fn account_of(&self, id: ClientId) -> Option<&str> {
        self.registry.get(id)?.account.as_deref()
    }

    /// Whether client `id` identified as an account named in [`Config::operators`](crate::Config::operators).
    pub fn is_server_operator(&self, id: ClientId) -> bool {
        self.account_of(id).is_some_and(|account| self.operator_keys.contains(account))
    }
}
