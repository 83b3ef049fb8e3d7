//! A client's real address behind a reverse proxy: `X-Forwarded-For`, honoured only when the
//! connection comes from a trusted proxy.

use std::net::{IpAddr, SocketAddr};

/// The address to give the core for a client whose connection comes from `peer`. If `peer` is
/// a trusted proxy, the right-most address in the `X-Forwarded-For` values that is not itself a
/// trusted proxy is the client's (the ones left of it could be made up by the client); its port
/// is unknown, so the proxy connection's port stands in, keeping the address unique per
/// connection. Otherwise, or if the header holds no address, `peer` itself.
pub(crate) fn real_peer<'a>(
    peer: SocketAddr,
    forwarded_for: impl Iterator<Item = &'a [u8]>,
    trusted: &[IpAddr],
) -> SocketAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|proxy| canonical(*proxy) == canonical(*ip));
    if !is_trusted(&peer.ip()) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_for
        .filter_map(|value| std::str::from_utf8(value).ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if is_trusted(&ip) => continue,
            Ok(ip) => return SocketAddr::new(canonical(ip), peer.port()),
            // Not an address (`unknown`, or garbage): what is left of it cannot be trusted.
            Err(_) => break,
        }
    }
    peer
}

/// An IPv4 address mapped into IPv6 (`::ffff:1.2.3.4`) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn the_header_is_ignored_from_untrusted_peers() {
        let trusted = ["10.0.0.1".parse().unwrap()];
        let header = [&b"203.0.113.9"[..]];
        assert_eq!(
            real_peer(peer("198.51.100.7:5000"), header.into_iter(), &trusted),
            peer("198.51.100.7:5000")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = ["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
        let header = [&b"1.1.1.1, 203.0.113.9"[..], b"10.0.0.2"];
        assert_eq!(real_peer(peer("10.0.0.1:5000"), header.into_iter(), &trusted), peer("203.0.113.9:5000"));
        let mapped = peer("[::ffff:10.0.0.1]:6000");
        assert_eq!(
            real_peer(mapped, [&b"2001:db8::5"[..]].into_iter(), &trusted),
            peer("[2001:db8::5]:6000")
        );
    }

    #[test]
    fn garbage_or_nothing_leaves_the_proxy_address() {
        let trusted = ["10.0.0.1".parse().unwrap()];
        assert_eq!(
            real_peer(peer("10.0.0.1:5000"), [&b"unknown"[..]].into_iter(), &trusted),
            peer("10.0.0.1:5000")
        );
        assert_eq!(real_peer(peer("10.0.0.1:5000"), std::iter::empty(), &trusted), peer("10.0.0.1:5000"));
    }
}
