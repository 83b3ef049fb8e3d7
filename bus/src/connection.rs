//! What both bridge threads do with their connection: open it with timeouts, and sort errors
//! into "Redis is unreachable, try again later" and "Redis refused this command".

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::{Connection, RedisError, RedisResult};

use crate::keys;

/// Opens a connection named `name` (as `CLIENT LIST` shows it) whose every command fails
/// after `timeout` (plus `extra_read` for replies that wait by design, such as `XREAD BLOCK`).
pub(crate) fn open(
    client: &redis::Client,
    name: &str,
    timeout: Duration,
    extra_read: Duration,
) -> RedisResult<Connection> {
    let mut conn = client.get_connection_with_timeout(timeout)?;
    conn.set_read_timeout(Some(timeout + extra_read))?;
    conn.set_write_timeout(Some(timeout))?;
    redis::cmd("CLIENT").arg("SETNAME").arg(name).exec(&mut conn)?;
    Ok(conn)
}

/// Whether `error` means "not now" (the connection broke, timed out, or Redis is loading or
/// restarted): the connection is dropped and the work retried after a back-off.
pub(crate) fn unreachable(error: &RedisError) -> bool {
    error.is_io_error()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || error.is_timeout()
        || matches!(
            error.code(),
            Some("LOADING" | "NOSCRIPT" | "BUSY" | "MASTERDOWN" | "TRYAGAIN" | "READONLY")
        )
}

/// A value unlikely to be made twice: for the deployment's epoch and a node's incarnation.
pub(crate) fn fresh_token(node: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{node}:{}:{nanos}", std::process::id())
}

/// The deployment's epoch, created by whoever asks first (`SET NX`).
pub(crate) fn ensure_epoch(conn: &mut Connection, node: &str) -> RedisResult<String> {
    let (epoch,): (String,) = redis::pipe()
        .cmd("SET")
        .arg(keys::EPOCH)
        .arg(fresh_token(node))
        .arg("NX")
        .ignore()
        .cmd("GET")
        .arg(keys::EPOCH)
        .query(conn)?;
    Ok(epoch)
}

/// The connection, or the error that sends the thread to reconnect.
pub(crate) fn connected(conn: &mut Option<Connection>) -> RedisResult<&mut Connection> {
    conn.as_mut().ok_or_else(|| RedisError::from(std::io::Error::other("not connected to Redis")))
}
