//! WebSocket close codes (RFC 6455, section 7.4).

/// A close code: why a WebSocket connection ends, sent in the close frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection was fulfilled (the server closed it normally).
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away.
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: the peer broke the protocol (bad frame, unmasked frame, bad opcode, ...).
    pub const PROTOCOL: Self = Self(1002);
    /// 1003: the peer sent a kind of data we do not accept (binary messages).
    pub const UNSUPPORTED: Self = Self(1003);
    /// 1007: a text message was not valid UTF-8.
    pub const INVALID_DATA: Self = Self(1007);
    /// 1009: a message was larger than the limit (the core's longest line).
    pub const TOO_BIG: Self = Self(1009);
    /// 1013: the server turned the connection away for now (too many connections from its
    /// address, say): try again later.
    pub const TRY_AGAIN_LATER: Self = Self(1013);

    /// True if a peer may send this code in a close frame: the defined codes that are not
    /// reserved for local use, and the registered and private ranges 3000 to 4999.
    pub fn is_valid_on_wire(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}
