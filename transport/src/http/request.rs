//! Reading one request head with `httparse`, within bounds.

use super::Status;

/// Longest request head accepted, in bytes; a longer one gets 431.
pub(crate) const MAX_HEAD: usize = 8 * 1024;

/// Most header lines in a request; more get 431.
const MAX_HEADERS: usize = 32;

/// A request head, borrowed from the bytes it was read from.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    /// `GET`, `HEAD`, ...
    pub(crate) method: &'a str,
    /// The path, without the query string.
    pub(crate) path: &'a str,
    /// True for HTTP/1.1, false for HTTP/1.0.
    pub(crate) http11: bool,
    headers: Vec<(&'a str, &'a [u8])>,
}

/// What the bytes at the start of a buffer hold.
#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    /// Not a whole head yet (and not too long yet): wait for more bytes.
    Partial,
    /// A whole head, `len` bytes long.
    Complete { request: Request<'a>, len: usize },
    /// Not a request that can be answered: answer with this status and close.
    Invalid(Status),
}

/// Reads the request head at the start of `bytes`.
pub(crate) fn parse(bytes: &[u8]) -> Parsed<'_> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Partial) if bytes.len() > MAX_HEAD => Parsed::Invalid(Status::HEADERS_TOO_LARGE),
        Ok(httparse::Status::Partial) => Parsed::Partial,
        Ok(httparse::Status::Complete(len)) if len > MAX_HEAD => Parsed::Invalid(Status::HEADERS_TOO_LARGE),
        Ok(httparse::Status::Complete(len)) => {
            let (Some(method), Some(target), Some(version)) = (request.method, request.path, request.version)
            else {
                return Parsed::Invalid(Status::BAD_REQUEST);
            };
            let path = target.split(['?', '#']).next().unwrap_or(target);
            let headers = request.headers.iter().map(|header| (header.name, header.value)).collect();
            Parsed::Complete { request: Request { method, path, http11: version == 1, headers }, len }
        }
        Err(httparse::Error::TooManyHeaders) => Parsed::Invalid(Status::HEADERS_TOO_LARGE),
        Err(_) => Parsed::Invalid(Status::BAD_REQUEST),
    }
}

impl<'a> Request<'a> {
    /// The values of every header called `name` (any case), in order.
    pub(crate) fn all(&self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.headers.iter().filter(move |(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| *value)
    }

    /// The value of the first header called `name`, if it is text.
    pub(crate) fn header(&self, name: &'a str) -> Option<&'a str> {
        self.all(name).next().and_then(|value| std::str::from_utf8(value).ok()).map(str::trim)
    }

    /// True if the comma-separated header `name` holds `token` (any case), as `Connection`
    /// holds `upgrade` in `Connection: keep-alive, Upgrade`.
    pub(crate) fn has_token(&self, name: &'a str, token: &str) -> bool {
        self.all(name)
            .filter_map(|value| std::str::from_utf8(value).ok())
            .flat_map(|value| value.split(','))
            .any(|item| item.trim().eq_ignore_ascii_case(token))
    }

    /// True if the request says it carries a body, which this server never reads.
    pub(crate) fn has_body(&self) -> bool {
        self.all("transfer-encoding").next().is_some()
            || self.all("content-length").any(|value| value.iter().any(|&byte| byte != b'0' && byte != b' '))
    }

    /// True if the client asked for the connection to close after the answer.
    pub(crate) fn wants_close(&self) -> bool {
        if self.http11 {
            self.has_token("connection", "close")
        } else {
            !self.has_token("connection", "keep-alive")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(bytes: &[u8]) -> (Request<'_>, usize) {
        match parse(bytes) {
            Parsed::Complete { request, len } => (request, len),
            other => panic!("expected a whole request, got {other:?}"),
        }
    }

    #[test]
    fn a_head_is_read_up_to_its_blank_line() {
        let bytes = b"GET /ws?room=1 HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n\r\nrest";
        let (request, len) = complete(bytes);
        assert_eq!((request.method, request.path, request.http11), ("GET", "/ws", true));
        assert_eq!(&bytes[len..], b"rest");
        assert!(request.has_token("connection", "upgrade"));
        assert_eq!(request.header("HOST"), Some("a"));
        assert!(!request.wants_close());
    }

    #[test]
    fn every_prefix_of_a_head_is_partial() {
        let bytes = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n";
        for end in 0..bytes.len() {
            assert!(matches!(parse(&bytes[..end]), Parsed::Partial), "prefix of {end} bytes");
        }
    }

    #[test]
    fn oversize_and_malformed_heads_are_refused() {
        let long = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(MAX_HEAD));
        assert!(matches!(parse(long.as_bytes()), Parsed::Invalid(Status::HEADERS_TOO_LARGE)));
        let many: String = (0..40).map(|i| format!("X-{i}: 1\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert!(matches!(parse(many.as_bytes()), Parsed::Invalid(Status::HEADERS_TOO_LARGE)));
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
            Parsed::Invalid(Status::BAD_REQUEST)
        ));
        assert!(matches!(parse(b"\x16\x03\x01\x02\x00\x01\x00"), Parsed::Invalid(Status::BAD_REQUEST)));
    }

    #[test]
    fn bodies_and_closing_are_noticed() {
        assert!(complete(b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n").0.has_body());
        assert!(!complete(b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").0.has_body());
        assert!(complete(b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").0.has_body());
        assert!(complete(b"GET / HTTP/1.0\r\n\r\n").0.wants_close());
        assert!(complete(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").0.wants_close());
    }
}
