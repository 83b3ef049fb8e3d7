//! Frames as a client writes them: for test clients and tools that speak to the server's
//! WebSocket at the protocol level (the server itself never masks).

/// One frame as a client sends it: `opcode` is the 4-bit opcode (`0x1` text, `0x0`
/// continuation, `0x8` close, `0x9` ping, ...), `mask` is `Some` key for a masked frame (as
/// RFC 6455 requires from clients) or `None` for an unmasked one (which the server refuses).
pub fn frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![if fin { 0x80 } else { 0 } | (opcode & 0x0F)];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, byte)| byte ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A whole, masked text message.
pub fn text(message: &str) -> Vec<u8> {
    frame(true, 0x1, message.as_bytes(), Some([0x37, 0xfa, 0x21, 0x3d]))
}

/// The messages in `bytes`, frames as the server sends them (unmasked, whole), with what is
/// left after the last whole frame. Each message is its opcode and payload.
pub fn read_server_frames(mut bytes: &[u8]) -> (Vec<(u8, Vec<u8>)>, &[u8]) {
    let mut frames = Vec::new();
    while let Some(&[first, second]) = bytes.get(..2) {
        let (len, header) = match second & 0x7F {
            126 if bytes.len() >= 4 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 if bytes.len() >= 10 => {
                (u64::from_be_bytes(bytes[2..10].try_into().expect("8 bytes")) as usize, 10)
            }
            126 | 127 => break,
            len => (usize::from(len), 2),
        };
        let Some(payload) = bytes.get(header..header + len) else { break };
        frames.push((first & 0x0F, payload.to_vec()));
        bytes = &bytes[header + len..];
    }
    (frames, bytes)
}
