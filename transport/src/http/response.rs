//! Writing complete HTTP/1.1 answers.

use std::borrow::Cow;
use std::io::Write;

/// An HTTP status code with its reason phrase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status(pub u16, pub &'static str);

impl Status {
    /// 101: the connection becomes a WebSocket.
    pub const SWITCHING_PROTOCOLS: Self = Self(101, "Switching Protocols");
    /// 200.
    pub const OK: Self = Self(200, "OK");
    /// 400: the request could not be read, or a WebSocket upgrade lacked what it needs.
    pub const BAD_REQUEST: Self = Self(400, "Bad Request");
    /// 403: the page that opened the WebSocket is not on the Origin allow-list.
    pub const FORBIDDEN: Self = Self(403, "Forbidden");
    /// 404: no such path.
    pub const NOT_FOUND: Self = Self(404, "Not Found");
    /// 405: a method other than GET or HEAD.
    pub const METHOD_NOT_ALLOWED: Self = Self(405, "Method Not Allowed");
    /// 413: the request has a body; this server reads none.
    pub const CONTENT_TOO_LARGE: Self = Self(413, "Content Too Large");
    /// 426: a WebSocket version other than 13.
    pub const UPGRADE_REQUIRED: Self = Self(426, "Upgrade Required");
    /// 431: the request head is too long or has too many headers.
    pub const HEADERS_TOO_LARGE: Self = Self(431, "Request Header Fields Too Large");
    /// 503: the server has no room for another connection now.
    pub const SERVICE_UNAVAILABLE: Self = Self(503, "Service Unavailable");
}

/// One answer, written whole with [`Response::write`].
#[derive(Debug)]
pub(crate) struct Response {
    status: Status,
    content_type: &'static str,
    body: Cow<'static, [u8]>,
    headers: Vec<(&'static str, String)>,
    /// Close the connection after this answer.
    pub(crate) close: bool,
    /// Leave the body out (the answer to `HEAD`), keeping its length.
    pub(crate) head_only: bool,
}

impl Response {
    /// An answer with a body of the given media type.
    pub(crate) fn new(
        status: Status,
        content_type: &'static str,
        body: impl Into<Cow<'static, [u8]>>,
    ) -> Self {
        Self { status, content_type, body: body.into(), headers: Vec::new(), close: false, head_only: false }
    }

    /// An error answer: the status line repeated as plain text, and the connection closes.
    pub(crate) fn error(status: Status) -> Self {
        let mut response = Self::new(status, "text/plain; charset=utf-8", status.1.as_bytes());
        response.close = true;
        response
    }

    /// The answer to a connection the server turns away: 503 with the server's `notice` (its
    /// one line saying why) as the body, and the connection closes.
    pub(crate) fn refusal(notice: &[u8]) -> Self {
        let mut response =
            Self::new(Status::SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", notice.to_vec())
                .header("Retry-After", "10");
        response.close = true;
        response
    }

    /// Adds a header line.
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Appends the whole answer to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let Status(code, reason) = self.status;
        // Writing to a Vec cannot fail.
        let _ = write!(out, "HTTP/1.1 {code} {reason}\r\n");
        if code != 101 {
            let _ =
                write!(out, "Content-Type: {}\r\nContent-Length: {}\r\n", self.content_type, self.body.len());
            out.extend_from_slice(b"X-Content-Type-Options: nosniff\r\n");
        }
        for (name, value) in &self.headers {
            let _ = write!(out, "{name}: {value}\r\n");
        }
        if self.close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        if !self.head_only {
            out.extend_from_slice(&self.body);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_answer_is_complete_and_closes() {
        let mut out = Vec::new();
        Response::error(Status::NOT_FOUND).write(&mut out);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
        assert!(text.contains("Content-Length: 9\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nNot Found"), "{text}");
    }

    #[test]
    fn a_head_answer_keeps_the_length_but_not_the_body() {
        let mut out = Vec::new();
        let mut response = Response::new(Status::OK, "text/plain", &b"ok\n"[..]);
        response.head_only = true;
        response.write(&mut out);
        assert!(out.ends_with(b"Content-Length: 3\r\nX-Content-Type-Options: nosniff\r\n\r\n"));
    }
}
