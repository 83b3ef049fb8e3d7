//! Watching the other nodes' heartbeats: a node whose key expired is reported once, with the
//! users it had, so this node can announce them offline.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chat_core::BusEvent;
use redis::{Connection, RedisResult};

use crate::keys;
use crate::millis::millis;
use crate::restarts::Incarnations;

/// A dead node's user set is kept this long after it is first reported, so every other node
/// has time to read it; then Redis drops it, and the next node to look removes the dead node
/// from the registry.
pub(crate) const KEEP_DEAD_USERS: Duration = Duration::from_secs(60);

/// The nodes this node has already reported dead (until their heartbeat comes back).
#[derive(Debug, Default)]
pub(crate) struct NodeWatch {
    reported: BTreeSet<String>,
    /// Each live node's incarnation, to see one restarted before its heartbeat expired.
    incarnations: Incarnations,
    /// No node is reported dead before this: after an outage, every node's heartbeat may have
    /// expired meanwhile, and the others need a time to live to reconnect and renew theirs.
    quiet_until: Option<Instant>,
}

impl NodeWatch {
    /// This node (re)connected at `now`: others are given `ttl` to renew their heartbeats
    /// before any is reported dead.
    pub(crate) fn connected(&mut self, now: Instant, ttl: Duration) {
        self.quiet_until = Some(now + ttl);
    }

    /// Looks at every registered node but `me`: returns a [`BusEvent::NodeExpired`] for each
    /// newly dead one that had users.
    pub(crate) fn scan(&mut self, conn: &mut Connection, me: &str) -> RedisResult<Vec<BusEvent>> {
        if self.quiet_until.is_some_and(|until| Instant::now() < until) {
            return Ok(Vec::new());
        }
        let nodes: Vec<String> = redis::cmd("SMEMBERS").arg(keys::NODES).query(conn)?;
        let others: Vec<String> = nodes.into_iter().filter(|node| node != me).collect();
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for node in &others {
            pipe.cmd("GET").arg(keys::node_alive(node));
        }
        let alive: Vec<Option<String>> = pipe.query(conn)?;
        let mut events = Vec::new();
        for (node, alive) in others.into_iter().zip(alive) {
            if let Some(incarnation) = alive {
                self.reported.remove(&node);
                events.extend(self.incarnations.look(conn, &node, &incarnation)?);
                continue;
            }
            self.incarnations.forget(&node);
            let mut users: Vec<String> = redis::cmd("SMEMBERS").arg(keys::node_users(&node)).query(conn)?;
            if users.is_empty() {
                // Nothing (more) to announce: it said goodbye, or its users were kept long
                // enough for every node to read them. Forget it.
                redis::cmd("SREM").arg(keys::NODES).arg(&node).exec(conn)?;
                self.reported.remove(&node);
                continue;
            }
            if !self.reported.insert(node.clone()) {
                continue;
            }
            users.sort();
            redis::cmd("PEXPIRE").arg(keys::node_users(&node)).arg(millis(KEEP_DEAD_USERS)).exec(conn)?;
            tracing::warn!(node = %node, users = users.len(), "a node stopped its heartbeat: its users are gone");
            events.push(BusEvent::NodeExpired { node, users });
        }
        Ok(events)
    }
}
