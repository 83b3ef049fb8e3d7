//! The WebSocket opening handshake (RFC 6455, section 4.2).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::http::Status;
use crate::http::request::Request;
use crate::http::response::Response;

/// The GUID every server appends to the client's key (RFC 6455, section 1.3).
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `101 Switching Protocols` answer to a valid upgrade request, or the error status.
pub(crate) fn accept(request: &Request<'_>) -> Result<Response, Response> {
    if request.method != "GET" || !request.http11 {
        return Err(Response::error(Status::BAD_REQUEST));
    }
    if !request.has_token("upgrade", "websocket") || !request.has_token("connection", "upgrade") {
        return Err(Response::error(Status::BAD_REQUEST));
    }
    if request.header("sec-websocket-version") != Some("13") {
        return Err(Response::error(Status::UPGRADE_REQUIRED).header("Sec-WebSocket-Version", "13"));
    }
    let key = request.header("sec-websocket-key").unwrap_or_default();
    if STANDARD.decode(key).map_or(true, |nonce| nonce.len() != 16) {
        return Err(Response::error(Status::BAD_REQUEST));
    }
    Ok(Response::new(Status::SWITCHING_PROTOCOLS, "", &b""[..])
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", accept_key(key)))
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub(crate) fn accept_key(key: &str) -> String {
    let digest =
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, format!("{key}{GUID}").as_bytes());
    STANDARD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accept_key_matches_the_rfc_example() {
        assert_eq!(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }
}
