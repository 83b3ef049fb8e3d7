//! Every node's rooms, for `/list` across nodes: each node's heartbeat rewrites its hash
//! `chat:rooms:NODE` (room name to the number of its users there) with the heartbeat's time to
//! live, so a dead node's rooms go with it; `/list` reads the hashes of every live node.

use chat_core::BusEvent;
use redis::{Connection, RedisResult};

use crate::keys;

/// Rewrites `node`'s rooms, kept `ttl_ms`.
pub(crate) fn publish(
    conn: &mut Connection,
    node: &str,
    rooms: &[(String, u64)],
    ttl_ms: u64,
) -> RedisResult<()> {
    let key = keys::node_rooms(node);
    let mut pipe = redis::pipe();
    pipe.atomic().cmd("DEL").arg(&key).ignore();
    if !rooms.is_empty() {
        pipe.cmd("HSET").arg(&key);
        for (room, count) in rooms {
            pipe.arg(room).arg(count);
        }
        pipe.ignore().cmd("PEXPIRE").arg(&key).arg(ttl_ms).ignore();
    }
    pipe.exec(conn)
}

/// Every registered node's rooms (a node whose hash expired has none).
pub(crate) fn list(conn: &mut Connection) -> RedisResult<BusEvent> {
    let mut nodes: Vec<String> = redis::cmd("SMEMBERS").arg(keys::NODES).query(conn)?;
    nodes.sort();
    let mut pipe = redis::pipe();
    for node in &nodes {
        pipe.cmd("HGETALL").arg(keys::node_rooms(node));
    }
    let rooms: Vec<Vec<(String, u64)>> = if nodes.is_empty() { Vec::new() } else { pipe.query(conn)? };
    let nodes = nodes.into_iter().zip(rooms).filter(|(_, rooms)| !rooms.is_empty()).collect();
    Ok(BusEvent::RoomsListed { nodes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::RedisServer;

    #[test]
    fn each_node_s_rooms_are_listed_and_expire_with_it() {
        let Some(server) = RedisServer::start() else { return };
        let mut conn = server.admin();
        redis::cmd("SADD").arg(keys::NODES).arg("a").arg("b").exec(&mut conn).unwrap();
        publish(&mut conn, "a", &[("#lobby".into(), 2), ("#Rust".into(), 1)], 60_000).unwrap();
        publish(&mut conn, "b", &[("#lobby".into(), 3)], 60_000).unwrap();
        let BusEvent::RoomsListed { nodes } = list(&mut conn).unwrap() else { panic!("not a listing") };
        let mut a = nodes[0].1.clone();
        a.sort();
        assert_eq!(nodes[0].0, "a");
        assert_eq!(a, [("#Rust".to_owned(), 1), ("#lobby".to_owned(), 2)]);
        assert_eq!(nodes[1], ("b".to_owned(), vec![("#lobby".to_owned(), 3)]));
        // Kept as long as the heartbeat; a node that published nothing (no users) is not listed.
        let ttl: i64 = redis::cmd("PTTL").arg(keys::node_rooms("a")).query(&mut conn).unwrap();
        assert!(ttl > 0 && ttl <= 60_000, "{ttl}");
        publish(&mut conn, "b", &[], 60_000).unwrap();
        let BusEvent::RoomsListed { nodes } = list(&mut conn).unwrap() else { panic!("not a listing") };
        assert_eq!(nodes.iter().map(|(node, _)| node.as_str()).collect::<Vec<_>>(), ["a"]);
    }
}
