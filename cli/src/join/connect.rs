//! Reaching the server: resolve the host, try each of its addresses in turn, then, with
//! `--tls`, the TLS handshake. This is the one place that chooses the transport.

use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::stream::Conn;
use super::tls::{TlsError, TlsSetup};

/// How to reach the server, again and again (reconnecting).
#[derive(Clone)]
pub struct Dial {
    /// The host as typed.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `HOST:PORT` as shown, and as `known_hosts` names the server.
    pub target: String,
    /// How long each address, and then the TLS handshake, may take.
    pub timeout: Duration,
    /// TLS, and whom it trusts; `None`: plain TCP.
    pub tls: Option<Arc<TlsSetup>>,
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// No address accepted.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The TLS handshake failed, or the certificate is not trusted.
    #[error(transparent)]
    Tls(#[from] TlsError),
}

impl DialError {
    /// Whether the server answered but its certificate is not trusted (trying again cannot
    /// help, unlike a server that is down).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Tls(
                TlsError::Unknown { .. }
                    | TlsError::Changed { .. }
                    | TlsError::NotPinned { .. }
                    | TlsError::NotByCa { .. }
            )
        )
    }
}

impl Dial {
    /// Connects, and shakes hands with TLS if asked to.
    pub fn connect(&self) -> Result<Conn, DialError> {
        let socket = connect(&self.host, self.port, self.timeout)?;
        match &self.tls {
            None => Ok(Conn::plain(socket)),
            Some(tls) => Ok(tls.handshake(socket, unbracketed(&self.host), &self.target, self.timeout)?),
        }
    }
}

/// The host without the brackets an IPv6 address may be written with.
fn unbracketed(host: &str) -> &str {
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

/// Why no connection could be made. Its `Display` is the reason shown after
/// `Unable to connect to HOST:PORT: `.
#[derive(Debug)]
pub enum ConnectError {
    /// The host name could not be resolved.
    Resolve(io::Error),
    /// The host resolved to no address at all.
    NoAddress,
    /// Every address was tried and none accepted; one entry per address, in order.
    Refused(Vec<(SocketAddr, io::Error)>),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Resolve(err) => write!(f, "{}", reason(err)),
            Self::NoAddress => f.write_str("the host name has no address"),
            Self::Refused(attempts) => {
                let first = attempts.first().map(|(_, err)| reason(err));
                if attempts.iter().all(|(_, err)| Some(reason(err)) == first) {
                    return f.write_str(first.as_deref().unwrap_or("no address to try"));
                }
                for (i, (addr, err)) in attempts.iter().enumerate() {
                    let separator = if i == 0 { "" } else { "; " };
                    write!(f, "{separator}{addr}: {}", reason(err))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConnectError {}

/// Connects to `host:port`, trying every address the host resolves to (IPv6 and IPv4, in the
/// resolver's order) and giving each `timeout` to answer. The first that accepts wins.
///
/// `host` may be a name, an IPv4 address or an IPv6 address with or without brackets.
pub fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnectError> {
    let addrs: Vec<SocketAddr> =
        (unbracketed(host), port).to_socket_addrs().map_err(ConnectError::Resolve)?.collect();
    connect_any(addrs, timeout)
}

/// Tries `addrs` in order, each for at most `timeout`; the first that accepts wins.
fn connect_any(addrs: Vec<SocketAddr>, timeout: Duration) -> Result<TcpStream, ConnectError> {
    if addrs.is_empty() {
        return Err(ConnectError::NoAddress);
    }
    let mut attempts = Vec::with_capacity(addrs.len());
    for addr in addrs {
        tracing::debug!(%addr, "connecting");
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(err) => {
                tracing::debug!(%addr, %err, "connection failed");
                attempts.push((addr, err));
            }
        }
    }
    Err(ConnectError::Refused(attempts))
}

/// The error's message without the `(os error N)` suffix that means nothing to a user.
fn reason(err: &io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(cut) if text.ends_with(')') => text[..cut].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn connects_to_a_listening_port_through_any_spelling_of_the_host() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        for host in ["127.0.0.1", "localhost"] {
            let stream = connect(host, port, Duration::from_secs(5)).unwrap();
            assert_eq!(stream.peer_addr().unwrap().port(), port);
        }
    }

    #[test]
    fn the_next_address_is_tried_when_one_refuses() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let open = listener.local_addr().unwrap();
        let stream = connect_any(vec![closed, open], Duration::from_secs(5)).unwrap();
        assert_eq!(stream.peer_addr().unwrap(), open);
        assert!(matches!(connect_any(Vec::new(), Duration::from_secs(5)), Err(ConnectError::NoAddress)));
    }

    #[test]
    fn a_closed_port_is_refused_with_a_plain_reason() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let err = connect("127.0.0.1", port, Duration::from_secs(5)).unwrap_err();
        assert_eq!(err.to_string(), "Connection refused");
    }

    #[test]
    fn different_failures_are_listed_per_address() {
        let err = ConnectError::Refused(vec![
            ("[::1]:1".parse().unwrap(), io::Error::from(io::ErrorKind::ConnectionRefused)),
            ("127.0.0.1:1".parse().unwrap(), io::Error::from(io::ErrorKind::TimedOut)),
        ]);
        assert_eq!(err.to_string(), "[::1]:1: connection refused; 127.0.0.1:1: timed out");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn os_error_numbers_are_dropped() {
        assert_eq!(reason(&io::Error::from_raw_os_error(111)), "Connection refused");
    }
}
