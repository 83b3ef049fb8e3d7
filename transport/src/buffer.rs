//! [`OutBuf`]: the bytes waiting for the socket, written from the front.

/// Room kept by a drained buffer; a bigger one gives its memory back, so that thousands of idle
/// connections do not each hold what their busiest moment needed.
const KEEP: usize = 4 * 1024;

/// Empties `buf`, giving its memory back if it grew beyond [`KEEP`].
pub(crate) fn reset(buf: &mut Vec<u8>) {
    buf.clear();
    if buf.capacity() > KEEP {
        *buf = Vec::new();
    }
}

/// Bytes to write to the socket, oldest first, and how many of them were written already.
#[derive(Debug, Default)]
pub(crate) struct OutBuf {
    bytes: Vec<u8>,
    /// Bytes at the front of `bytes` already written.
    start: usize,
}

impl OutBuf {
    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// True if nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes waiting, to write.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    /// The buffer to append to.
    pub(crate) fn tail(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }

    /// Memory held.
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// Drops the first `written` bytes (at most all of them).
    pub(crate) fn advance(&mut self, written: usize) {
        self.start = (self.start + written).min(self.bytes.len());
        if self.start == self.bytes.len() {
            self.bytes.clear();
            self.start = 0;
            if self.bytes.capacity() > KEEP {
                self.bytes = Vec::new();
            }
        } else if self.start >= 4 * KEEP && self.start * 2 >= self.bytes.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_bytes_leave_from_the_front_and_memory_comes_back() {
        let mut out = OutBuf::default();
        out.tail().extend_from_slice(&[7; 100_000]);
        out.tail().push(8);
        out.advance(60_000);
        assert_eq!(out.len(), 40_001);
        assert_eq!(out.pending().last(), Some(&8));
        out.advance(40_001);
        assert!(out.is_empty());
        assert_eq!(out.capacity(), 0);
    }

    #[test]
    fn a_reset_buffer_keeps_only_a_little_room() {
        let mut small = Vec::with_capacity(100);
        small.push(1);
        reset(&mut small);
        assert_eq!((small.len(), small.capacity()), (0, 100));
        let mut big = vec![0; 100_000];
        reset(&mut big);
        assert_eq!(big.capacity(), 0);
    }
}
