//! Accounts shared by every node: one hash per account, `chat:account:KEY` (`name`, `hash`:
//! the argon2id PHC string, `created`: Unix milliseconds). Created only if no node has one
//! with its key (a script, so two nodes registering the same name at once cannot both win),
//! read on `/identify`, replaced on `/password`, deleted on `/unregister`.

use chat_core::{Account, BusEvent, UnixMillis};
use redis::{Connection, RedisResult, Script};

use crate::keys;

/// Creates an account's hash unless it exists. KEYS: the account. ARGV: name, hash, created.
/// Returns 1 if created, 0 if the account existed.
const CREATE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'hash', ARGV[2], 'created', ARGV[3])
return 1
";

/// Creates `account` unless another node registered its key first.
pub(crate) fn create(conn: &mut Connection, account: &Account) -> RedisResult<BusEvent> {
    let created: i64 = Script::new(CREATE)
        .key(keys::account(&account.key))
        .arg(&account.name)
        .arg(&account.password_hash)
        .arg(account.created.0)
        .invoke(conn)?;
    Ok(BusEvent::AccountCreated { key: account.key.clone(), created: created == 1 })
}

/// Reads the account with key `key` (`None` if no node registered it, or its record is
/// damaged, which is logged).
pub(crate) fn fetch(conn: &mut Connection, key: &str) -> RedisResult<BusEvent> {
    let fields: Vec<(String, String)> = redis::cmd("HGETALL").arg(keys::account(key)).query(conn)?;
    let field = |name: &str| fields.iter().find(|(field, _)| field == name).map(|(_, value)| value.clone());
    let account = match (field("name"), field("hash"), field("created").and_then(|c| c.parse().ok())) {
        (Some(name), Some(password_hash), Some(created)) => {
            Some(Account { key: key.to_owned(), name, password_hash, created: UnixMillis(created) })
        }
        _ if fields.is_empty() => None,
        _ => {
            tracing::error!(%key, "a shared account record is damaged: taken as absent");
            None
        }
    };
    Ok(BusEvent::AccountFetched { key: key.to_owned(), account })
}

/// Replaces the shared record of `account`.
pub(crate) fn store(conn: &mut Connection, account: &Account) -> RedisResult<()> {
    redis::cmd("HSET")
        .arg(keys::account(&account.key))
        .arg("name")
        .arg(&account.name)
        .arg("hash")
        .arg(&account.password_hash)
        .arg("created")
        .arg(account.created.0)
        .exec(conn)
}

/// Deletes the shared record of the account with key `key`.
pub(crate) fn delete(conn: &mut Connection, key: &str) -> RedisResult<()> {
    redis::cmd("DEL").arg(keys::account(key)).exec(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::support::RedisServer;

    fn account(name: &str, hash: &str) -> Account {
        Account {
            key: name.to_lowercase(),
            name: name.to_owned(),
            password_hash: hash.to_owned(),
            created: UnixMillis(7),
        }
    }

    #[test]
    fn an_account_is_created_once_read_changed_and_deleted() {
        let Some(server) = RedisServer::start() else { return };
        let mut conn = server.admin();
        let ann = account("Ann", "$argon2id$one");
        assert_eq!(
            fetch(&mut conn, "ann").unwrap(),
            BusEvent::AccountFetched { key: "ann".into(), account: None }
        );
        assert_eq!(
            create(&mut conn, &ann).unwrap(),
            BusEvent::AccountCreated { key: "ann".into(), created: true }
        );
        let other = account("ANN", "$argon2id$two");
        assert_eq!(
            create(&mut conn, &other).unwrap(),
            BusEvent::AccountCreated { key: "ann".into(), created: false },
            "another node registering the same name is refused"
        );
        assert_eq!(
            fetch(&mut conn, "ann").unwrap(),
            BusEvent::AccountFetched { key: "ann".into(), account: Some(ann.clone()) }
        );
        let changed = Account { password_hash: "$argon2id$new".into(), ..ann };
        store(&mut conn, &changed).unwrap();
        assert_eq!(
            fetch(&mut conn, "ann").unwrap(),
            BusEvent::AccountFetched { key: "ann".into(), account: Some(changed) }
        );
        delete(&mut conn, "ann").unwrap();
        assert_eq!(
            fetch(&mut conn, "ann").unwrap(),
            BusEvent::AccountFetched { key: "ann".into(), account: None }
        );
    }
}
