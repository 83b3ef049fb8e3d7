//! Opening the listening sockets: every IPv4 and IPv6 address by default, or every address a
//! host name resolves to.

use std::io::{self, ErrorKind};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, ToSocketAddrs};

use anyhow::{anyhow, bail};
use socket2::{Domain, Protocol, Socket, Type};

/// Pending connections the kernel may hold per listener before the server accepts them
/// (capped by `net.core.somaxconn`). Large, so a crowd joining at once is not turned away.
const BACKLOG: i32 = 4096;

/// How many times `--port 0` picks a new port when the one picked for the first address is
/// taken on another.
const PICK_ATTEMPTS: usize = 8;

/// Opens the listeners `chat serve` serves on.
///
/// Without `host`: `0.0.0.0` and `[::]` (IPv6-only, so the two do not clash) on `port`; an
/// address family this machine lacks is skipped with a warning. With `host`: every address it
/// resolves to. With port 0 the first listener picks a free port and the others use the same.
pub fn listeners(host: Option<&str>, port: u16) -> anyhow::Result<Vec<TcpListener>> {
    let addrs = match host {
        None => vec![
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
            SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
        ],
        Some(host) => resolve(host, port)?,
    };
    let mut attempts = 1;
    loop {
        match bind_all(&addrs, port) {
            // The port picked for the first address was taken on another: pick again.
            Err((error, addr))
                if port == 0 && error.kind() == ErrorKind::AddrInUse && attempts < PICK_ATTEMPTS =>
            {
                tracing::debug!(%addr, "the picked port is taken here; picking another");
                attempts += 1;
            }
            Err((error, addr)) => return Err(explain(&error, addr)),
            Ok(listeners) if listeners.is_empty() => {
                bail!(
                    "no address to listen on is available: give one of this machine's addresses with --host"
                )
            }
            Ok(listeners) => return Ok(listeners),
        }
    }
}

/// Opens one listener on exactly `addr` (`--web`).
pub fn address(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    bind(addr, false).map_err(|error| explain(&error, addr))
}

/// Binds every address in `addrs` on `port` (on the port the first one picked, if 0), skipping
/// the addresses this machine lacks. The error names the address that failed.
fn bind_all(addrs: &[SocketAddr], mut port: u16) -> Result<Vec<TcpListener>, (io::Error, SocketAddr)> {
    let both_families = addrs.iter().any(SocketAddr::is_ipv4) && addrs.iter().any(SocketAddr::is_ipv6);
    let mut listeners = Vec::with_capacity(addrs.len());
    for &addr in addrs {
        let addr = SocketAddr::new(addr.ip(), port);
        match bind(addr, both_families).and_then(|listener| Ok((listener.local_addr()?.port(), listener))) {
            Ok((picked, listener)) => {
                port = picked;
                listeners.push(listener);
            }
            Err(error) if family_unavailable(&error) => {
                tracing::warn!(%addr, %error, "this address is not available here; not listening on it");
            }
            Err(error) => return Err((error, addr)),
        }
    }
    Ok(listeners)
}

/// Every distinct address `host` resolves to, in the resolver's order.
fn resolve(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    // `[::1]` as written in URLs means `::1`.
    let bare = host.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')).unwrap_or(host);
    let resolved = (bare, port).to_socket_addrs().map_err(|error| {
        anyhow!(
            "cannot resolve the host {host:?} ({error}): check the name, give an address such as \
             127.0.0.1, or leave out --host to listen on every address"
        )
    })?;
    let mut addrs: Vec<SocketAddr> = Vec::new();
    for addr in resolved {
        if !addrs.contains(&addr) {
            addrs.push(addr);
        }
    }
    if addrs.is_empty() {
        bail!(
            "the host {host:?} resolves to no address: check the name or give an address such as 127.0.0.1"
        );
    }
    Ok(addrs)
}

/// A listening TCP socket on `addr`. An IPv6 socket is made IPv6-only when IPv4 is served by a
/// socket of its own.
fn bind(addr: SocketAddr, v6_only: bool) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    if addr.is_ipv6() && v6_only {
        socket.set_only_v6(true)?;
    }
    // Restarting the server must not wait for old connections' TIME_WAIT. (On Unix this does
    // not let two servers share a port.)
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// True when the error means this machine lacks the address family (no IPv6, say) or the
/// address, rather than that something is wrong with the request.
fn family_unavailable(error: &io::Error) -> bool {
    const EAFNOSUPPORT: i32 = 97;
    error.kind() == ErrorKind::AddrNotAvailable
        || error.kind() == ErrorKind::Unsupported
        || (cfg!(target_os = "linux") && error.raw_os_error() == Some(EAFNOSUPPORT))
}

/// One line saying what went wrong and what to do.
fn explain(error: &io::Error, addr: SocketAddr) -> anyhow::Error {
    let port = addr.port();
    // `[::]`, not `::`, so the colon after it still reads as punctuation.
    let ip = match addr {
        SocketAddr::V4(v4) => v4.ip().to_string(),
        SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
    };
    match error.kind() {
        ErrorKind::AddrInUse => anyhow!(
            "port {port} is already in use on {ip}: stop the other server or pick another port with --port"
        ),
        ErrorKind::PermissionDenied if port < 1024 => anyhow!(
            "permission denied to listen on port {port} on {ip}: ports below 1024 need root or \
             CAP_NET_BIND_SERVICE; pick a port above 1023 with --port"
        ),
        ErrorKind::PermissionDenied => anyhow!(
            "permission denied to listen on port {port} on {ip}: check firewall or security policy, \
             or pick another port with --port"
        ),
        _ => anyhow!("cannot listen on {addr}: {error}"),
    }
}
