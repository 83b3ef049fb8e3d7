//! The Lua scripts that make appends and leases atomic.

use redis::Script;

/// Appends one entry to a room's stream, once, numbered one above the stream's last entry (or
/// above `floor`, the last entry this node delivered, if Redis lost the stream).
///
/// KEYS: the stream, the room's marks. ARGV: max length, floor, node, incarnation, publishing
/// seq, then the payload's field/value pairs. Returns the entry's number, or 0 if this node's
/// mark shows it was appended already (a send retried after the reply was lost).
const APPEND: &str = r"
local prev = redis.call('HGET', KEYS[2], ARGV[3])
if prev then
  local inc, seq = string.match(prev, '^(.*):(%d+)$')
  if inc == ARGV[4] and tonumber(seq) >= tonumber(ARGV[5]) then return 0 end
end
local last = 0
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if top[1] then last = tonumber(string.match(top[1][1], '^(%d+)')) end
local floor = tonumber(ARGV[2])
if floor > last then last = floor end
local id = string.format('%d-0', last + 1)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id, 'node', ARGV[3], 'inc', ARGV[4], 'pseq', ARGV[5], unpack(ARGV, 6))
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4] .. ':' .. ARGV[5])
return last + 1
";

/// Renews a lease if this node still holds it. KEYS: the lease. ARGV: node, ttl ms. Returns 1
/// if renewed, 0 if it is gone or someone else's.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// Deletes a lease if this node holds it. KEYS: the lease. ARGV: node.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// The scripts, loaded on every (re)connection so `EVALSHA` finds them.
pub(crate) struct Scripts {
    pub(crate) append: Script,
    pub(crate) renew: Script,
    pub(crate) release: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self { append: Script::new(APPEND), renew: Script::new(RENEW), release: Script::new(RELEASE) }
    }

    /// Loads every script into Redis's script cache.
    pub(crate) fn load(&self, conn: &mut redis::Connection) -> redis::RedisResult<()> {
        for script in [&self.append, &self.renew, &self.release] {
            script.load(conn)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::RedisServer;

    /// Runs the append script as node `a`, incarnation `inc`, publishing number `mark`.
    fn append(conn: &mut redis::Connection, scripts: &Scripts, floor: u64, inc: &str, mark: u64) -> u64 {
        scripts
            .append
            .key("chat:room:#r")
            .key("chat:marks:#r")
            .arg(100)
            .arg(floor)
            .arg("a")
            .arg(inc)
            .arg(mark)
            .arg(["v", "1", "kind", "notice", "text", "hi"].as_slice())
            .invoke(conn)
            .expect("the append script runs")
    }

    fn ids(conn: &mut redis::Connection) -> Vec<String> {
        let entries: Vec<(String, redis::Value)> =
            redis::cmd("XRANGE").arg("chat:room:#r").arg("-").arg("+").query(conn).unwrap();
        entries.into_iter().map(|(id, _)| id).collect()
    }

    #[test]
    fn an_append_sent_twice_is_written_once_and_numbers_follow_the_stream() {
        let Some(server) = RedisServer::start() else { return };
        let mut conn = server.admin();
        let scripts = Scripts::new();
        scripts.load(&mut conn).unwrap();
        assert_eq!(append(&mut conn, &scripts, 0, "i1", 1), 1);
        assert_eq!(append(&mut conn, &scripts, 0, "i1", 1), 0, "a resend after a lost reply");
        assert_eq!(append(&mut conn, &scripts, 0, "i1", 2), 2);
        assert_eq!(append(&mut conn, &scripts, 0, "i1", 1), 0, "an older mark");
        assert_eq!(append(&mut conn, &scripts, 0, "i2", 1), 3, "a restarted node counts afresh");
        assert_eq!(ids(&mut conn), ["1-0", "2-0", "3-0"]);
        // Redis lost the stream: numbering starts above what the node delivered.
        redis::cmd("FLUSHALL").exec(&mut conn).unwrap();
        assert_eq!(append(&mut conn, &scripts, 3, "i2", 2), 4);
        assert_eq!(ids(&mut conn), ["4-0"]);
    }

    #[test]
    fn a_lease_is_renewed_and_released_only_by_its_holder() {
        let Some(server) = RedisServer::start() else { return };
        let mut conn = server.admin();
        let scripts = Scripts::new();
        let renew = |conn: &mut redis::Connection, node: &str| -> i64 {
            scripts.renew.key("chat:lease:bob").arg(node).arg(10_000).invoke(conn).unwrap()
        };
        assert_eq!(renew(&mut conn, "a"), 0, "nobody holds it");
        redis::cmd("SET").arg("chat:lease:bob").arg("a").arg("PX").arg(10_000).exec(&mut conn).unwrap();
        assert_eq!(renew(&mut conn, "b"), 0);
        assert_eq!(renew(&mut conn, "a"), 1);
        let release = |conn: &mut redis::Connection, node: &str| -> i64 {
            scripts.release.key("chat:lease:bob").arg(node).invoke(conn).unwrap()
        };
        assert_eq!(release(&mut conn, "b"), 0);
        assert_eq!(release(&mut conn, "a"), 1);
        assert_eq!(redis::cmd("EXISTS").arg("chat:lease:bob").query::<i64>(&mut conn).unwrap(), 0);
    }
}
