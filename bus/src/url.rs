//! `--redis redis://HOST:PORT[/DB]`: parsed once, with an error that shows the expected form.

use std::fmt;
use std::str::FromStr;

use crate::error::UrlError;

/// Where Redis is: a `redis://HOST[:PORT][/DB]` address (port 6379 and database 0 by default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisUrl {
    /// The host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// The database number.
    pub db: u32,
}

impl RedisUrl {
    /// The default Redis port.
    pub const DEFAULT_PORT: u16 = 6379;
}

impl FromStr for RedisUrl {
    type Err = UrlError;

    fn from_str(url: &str) -> Result<Self, UrlError> {
        let error = |problem: &str| UrlError { url: url.to_owned(), problem: problem.to_owned() };
        let rest = url.strip_prefix("redis://").ok_or_else(|| error("it must start with redis://"))?;
        let (authority, db) = match rest.split_once('/') {
            Some((authority, "")) => (authority, 0),
            Some((authority, db)) => {
                (authority, db.parse().map_err(|_| error("the database after / must be a number"))?)
            }
            None => (rest, 0),
        };
        if authority.contains('@') {
            return Err(error("user names and passwords are not supported yet"));
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) =
                bracketed.split_once(']').ok_or_else(|| error("an IPv6 address needs its closing ]"))?;
            let port = match after {
                "" => None,
                _ => Some(
                    after.strip_prefix(':').ok_or_else(|| error("expected :PORT after the IPv6 address"))?,
                ),
            };
            (host, port)
        } else {
            match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(error("the host is missing"));
        }
        let port = match port {
            Some(port) => port
                .parse()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| error("the port must be 1 to 65535"))?,
            None => Self::DEFAULT_PORT,
        };
        Ok(Self { host: host.to_owned(), port, db })
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "redis://[{}]:{}/{}", self.host, self.port, self.db)
        } else {
            write!(f, "redis://{}:{}/{}", self.host, self.port, self.db)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(host: &str, port: u16, db: u32) -> RedisUrl {
        RedisUrl { host: host.into(), port, db }
    }

    #[test]
    fn the_forms_operators_write() {
        assert_eq!("redis://127.0.0.1:6380".parse(), Ok(url("127.0.0.1", 6380, 0)));
        assert_eq!("redis://redis.internal:7000/3".parse(), Ok(url("redis.internal", 7000, 3)));
        assert_eq!("redis://localhost".parse(), Ok(url("localhost", 6379, 0)));
        assert_eq!("redis://localhost/".parse(), Ok(url("localhost", 6379, 0)));
        assert_eq!("redis://[::1]:6390/2".parse(), Ok(url("::1", 6390, 2)));
        assert_eq!("redis://[::1]".parse(), Ok(url("::1", 6379, 0)));
        assert_eq!(url("::1", 6390, 2).to_string(), "redis://[::1]:6390/2");
        assert_eq!(url("h", 1, 0).to_string(), "redis://h:1/0");
    }

    #[test]
    fn mistakes_say_what_is_expected() {
        for (bad, problem) in [
            ("127.0.0.1:6379", "it must start with redis://"),
            ("http://h:1", "it must start with redis://"),
            ("redis://:6379", "the host is missing"),
            ("redis://h:0", "the port must be 1 to 65535"),
            ("redis://h:99999", "the port must be 1 to 65535"),
            ("redis://h:port", "the port must be 1 to 65535"),
            ("redis://h:1/x", "the database after / must be a number"),
            ("redis://[::1:1", "an IPv6 address needs its closing ]"),
            ("redis://[::1]6379", "expected :PORT after the IPv6 address"),
            ("redis://u:p@h:1", "user names and passwords are not supported yet"),
        ] {
            let error = bad.parse::<RedisUrl>().unwrap_err();
            assert_eq!(error.problem, problem, "{bad}");
        }
        assert_eq!(
            "h:1".parse::<RedisUrl>().unwrap_err().to_string(),
            "--redis \"h:1\": it must start with redis://; write redis://HOST:PORT[/DB], e.g. redis://127.0.0.1:6379/0"
        );
    }
}
