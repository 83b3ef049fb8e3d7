//! A node restarted under the same name before its heartbeat expired: the others never see
//! its heartbeat go, so they are told otherwise. On connecting, a node that finds its own
//! heartbeat key still holding another incarnation (its previous life, gone without a goodbye)
//! keeps that incarnation's users aside (`chat:users:NODE@INC`) and says so
//! (`chat:restarted:NODE` holds INC), both for a minute, before it rewrites its user set; every
//! other node, seeing a new incarnation of the node at its heartbeat, reports them
//! ([`BusEvent::NodeRestarted`]), also if it never saw the previous one.

use std::collections::BTreeMap;

use chat_core::BusEvent;
use redis::{Connection, RedisResult};

use crate::keys;
use crate::millis::millis;
use crate::nodes::KEEP_DEAD_USERS;

/// How long a previous incarnation's users are kept for the other nodes to read: as long as
/// a dead node's.
fn keep_ms() -> u64 {
    millis(KEEP_DEAD_USERS)
}

/// Before node `node` (incarnation `incarnation`) registers: if its heartbeat key holds
/// another incarnation, that one's users are kept aside for the others.
pub(crate) fn keep_previous_users(conn: &mut Connection, node: &str, incarnation: &str) -> RedisResult<()> {
    let previous: Option<String> = redis::cmd("GET").arg(keys::node_alive(node)).query(conn)?;
    let Some(previous) = previous.filter(|previous| previous != incarnation) else { return Ok(()) };
    let users: Vec<String> = redis::cmd("SMEMBERS").arg(keys::node_users(node)).query(conn)?;
    if users.is_empty() {
        return Ok(());
    }
    tracing::warn!(%node, %previous, users = users.len(), "restarted before the previous run's heartbeat expired: its users are kept for the other nodes");
    let kept = keys::previous_users(node, &previous);
    redis::pipe()
        .atomic()
        .cmd("SADD")
        .arg(&kept)
        .arg(users)
        .ignore()
        .cmd("PEXPIRE")
        .arg(&kept)
        .arg(keep_ms())
        .ignore()
        .cmd("SET")
        .arg(keys::restarted(node))
        .arg(&previous)
        .arg("PX")
        .arg(keep_ms())
        .ignore()
        .exec(conn)
}

/// The incarnation each other node had at the last look.
#[derive(Debug, Default)]
pub(crate) struct Incarnations {
    seen: BTreeMap<String, String>,
}

impl Incarnations {
    /// Node `node` is alive as `incarnation`: the first time it is seen so, if it was restarted
    /// from another incarnation whose users it kept aside, they are reported.
    pub(crate) fn look(
        &mut self,
        conn: &mut Connection,
        node: &str,
        incarnation: &str,
    ) -> RedisResult<Option<BusEvent>> {
        let seen = self.seen.insert(node.to_owned(), incarnation.to_owned());
        if seen.as_deref() == Some(incarnation) {
            return Ok(None);
        }
        let previous: Option<String> = redis::cmd("GET").arg(keys::restarted(node)).query(conn)?;
        let Some(previous) = previous.filter(|previous| previous != incarnation) else { return Ok(None) };
        let mut users: Vec<String> =
            redis::cmd("SMEMBERS").arg(keys::previous_users(node, &previous)).query(conn)?;
        if users.is_empty() {
            return Ok(None);
        }
        users.sort();
        Ok(Some(BusEvent::NodeRestarted { node: node.to_owned(), users }))
    }

    /// Node `node` is gone (its heartbeat expired): its next incarnation is a fresh start.
    pub(crate) fn forget(&mut self, node: &str) {
        self.seen.remove(node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::RedisServer;

    #[test]
    fn a_restarted_node_s_previous_users_are_reported_once() {
        let Some(server) = RedisServer::start() else { return };
        let mut conn = server.admin();
        let mut watch = Incarnations::default();
        // Node a runs as i1 with two users; the watcher sees it.
        redis::cmd("SET").arg(keys::node_alive("a")).arg("i1").exec(&mut conn).unwrap();
        redis::cmd("SADD").arg(keys::node_users("a")).arg("ann").arg("bob").exec(&mut conn).unwrap();
        assert_eq!(watch.look(&mut conn, "a", "i1").unwrap(), None);
        // It is killed and restarted as i2 before its heartbeat expired.
        keep_previous_users(&mut conn, "a", "i2").unwrap();
        keep_previous_users(&mut conn, "a", "i1").unwrap();
        assert_eq!(watch.look(&mut conn, "a", "i1").unwrap(), None, "the same incarnation");
        assert_eq!(
            watch.look(&mut conn, "a", "i2").unwrap(),
            Some(BusEvent::NodeRestarted { node: "a".into(), users: vec!["ann".into(), "bob".into()] })
        );
        assert_eq!(watch.look(&mut conn, "a", "i2").unwrap(), None, "reported once");
        // A node that never saw i1 alive (it started meanwhile) reports them too.
        assert!(Incarnations::default().look(&mut conn, "a", "i2").unwrap().is_some());
        let ttl: i64 = redis::cmd("PTTL").arg(keys::previous_users("a", "i1")).query(&mut conn).unwrap();
        assert!(ttl > 0, "kept a while only: {ttl}");
        // A node never restarted is no restart.
        assert_eq!(watch.look(&mut conn, "b", "j1").unwrap(), None);
    }
}
