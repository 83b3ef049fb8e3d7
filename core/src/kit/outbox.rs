//! [`Outbox`]: the frames queued for one connection, ready for vectored writes.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::mem;

use bytes::{Buf, Bytes};

/// The frames the core gave a runtime for one connection that the kernel has not taken yet,
/// oldest first, with the bookkeeping of partial writes.
///
/// It does no I/O: a runtime fills an array of [`IoSlice`]s with [`io_slices`](Self::io_slices),
/// makes one vectored write with it, and reports what the kernel took with
/// [`advance`](Self::advance). The front frame may be partly written already; it is advanced
/// in place, which is cheap for [`Bytes`], and a broadcast frame is shared, never copied.
///
/// A queue that drained gives its room back, so thousands of idle connections hold no ring
/// buffer at all (not even the one their busiest moment needed).
///
/// ```
/// use std::io::IoSlice;
/// use bytes::Bytes;
/// use chat_core::kit::Outbox;
///
/// let mut outbox = Outbox::default();
/// outbox.push(Bytes::from_static(b"hello\n"));
/// outbox.push(Bytes::from_static(b"world\n"));
/// let mut slices = [IoSlice::new(&[]); Outbox::MAX_SLICES];
/// let count = outbox.io_slices(&mut slices);
/// assert_eq!(count, 2);
/// // Say the kernel took 8 bytes of the 12.
/// outbox.advance(8);
/// assert_eq!(outbox.queued_bytes(), 4);
/// ```
#[derive(Debug, Default)]
pub struct Outbox {
    frames: VecDeque<Bytes>,
    /// The bytes in `frames`, kept so that asking costs nothing.
    queued: usize,
}

impl Outbox {
    /// Most frames worth handing to one vectored write: the length of the `IoSlice` array a
    /// runtime gives [`io_slices`](Self::io_slices). Linux takes up to 1,024 (`IOV_MAX`); 256
    /// small chat lines already fill a typical socket send buffer, and the array (4 KiB) lives
    /// on the stack only for the duration of the call.
    pub const MAX_SLICES: usize = 256;

    /// Room (in frames) a drained queue shared by many (a room's log) may keep; one that grew
    /// beyond this in a burst gives its memory back once it is empty. A connection's own
    /// [`Outbox`] keeps none.
    pub const KEEP_FRAMES: usize = 64;

    /// What one queued frame costs besides its bytes, per recipient: its [`Bytes`] handle
    /// (32 bytes), which is also its slot in the ring buffer, with room for the buffer's
    /// growth (it doubles, so up to half of it may be empty) and the runtime's hand-over
    /// between queues. The core counts every queued frame as its length plus this against
    /// `Config::max_queue` and `Config::max_memory`.
    pub const FRAME_OVERHEAD: usize = 64;

    /// The kernel send buffer (`SO_SNDBUF`) a runtime gives each connection. Linux otherwise
    /// grows a socket's send buffer up to 4 MiB, even towards a client that reads nothing: a
    /// server then copies hundreds of KiB per such client into the kernel before its socket
    /// is full, and only a full socket parks a client (see the core's room log), so 2,000
    /// clients that never read cost the machine over a GiB and the server most of its time
    /// (issue 9's attack). Linux doubles the value given (for its bookkeeping); 32 KiB of
    /// chat lines is still hundreds of lines in flight per client.
    pub const SEND_BUFFER: usize = 16 << 10;

    /// An empty queue (which allocates nothing until the first frame).
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `frame` after everything queued before. An empty frame is dropped: there is
    /// nothing in it to write.
    pub fn push(&mut self, frame: Bytes) {
        if !frame.is_empty() {
            self.queued += frame.len();
            self.frames.push_back(frame);
        }
    }

    /// Moves every frame of `other` after those queued here, leaving `other` empty (and
    /// trimmed). Costs nothing when this queue is empty.
    pub fn append(&mut self, other: &mut Outbox) {
        if self.frames.is_empty() {
            mem::swap(self, other);
        } else {
            self.queued += mem::take(&mut other.queued);
            self.frames.append(&mut other.frames);
        }
        other.trim();
    }

    /// True if nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// How many frames are queued (the front one possibly partly written).
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// How many bytes are queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.queued
    }

    /// Fills `slices` with the queued bytes, from what is left of the front frame on, one
    /// slice per frame and at most `slices.len()` of them (give it
    /// [`MAX_SLICES`](Self::MAX_SLICES)). Returns how many it filled: write `&slices[..count]`.
    pub fn io_slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        let mut count = 0;
        for (slice, frame) in slices.iter_mut().zip(&self.frames) {
            *slice = IoSlice::new(frame);
            count += 1;
        }
        count
    }

    /// Drops the first `written` bytes, which the kernel took: whole frames, then the written
    /// part of the next one. More than [`queued_bytes`](Self::queued_bytes) (a runtime bug) empties it.
    /// Returns how many frames were completed (for `Input::Flushed`).
    pub fn advance(&mut self, written: usize) -> usize {
        debug_assert!(written <= self.queued, "advanced {written} bytes of {}", self.queued);
        let mut left = written.min(self.queued);
        self.queued -= left;
        let mut completed = 0;
        while left > 0 {
            let Some(front) = self.frames.front_mut() else { break };
            if left < front.len() {
                front.advance(left);
                return completed;
            }
            left -= front.len();
            self.frames.pop_front();
            completed += 1;
        }
        self.trim();
        completed
    }

    /// Drops everything queued and gives the memory back (the connection is closing).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Gives a drained queue's memory back, however small: an idle connection holds no ring
    /// buffer (it would cost 128 bytes or more for each of thousands of idle connections; a
    /// busy one allocates it again at its next frame, which costs far less than the write).
    fn trim(&mut self) {
        if self.frames.is_empty() && self.frames.capacity() > 0 {
            self.frames = VecDeque::new();
        }
    }

    /// The room of the ring buffer, in frames (for the trimming tests).
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.frames.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn outbox(frames: &[&'static str]) -> Outbox {
        let mut outbox = Outbox::new();
        frames.iter().for_each(|frame| outbox.push(Bytes::from_static(frame.as_bytes())));
        outbox
    }

    fn contents(outbox: &Outbox) -> Vec<u8> {
        let mut slices = vec![IoSlice::new(&[]); outbox.len()];
        let count = outbox.io_slices(&mut slices);
        slices[..count].iter().flat_map(|slice| slice.iter().copied()).collect()
    }

    #[test]
    fn advance_drops_whole_frames_then_part_of_the_next() {
        let mut frames = outbox(&["abc\n", "de\n", "fgh\n"]);
        assert_eq!(frames.queued_bytes(), 11);
        assert_eq!(frames.advance(4), 1);
        assert_eq!(contents(&frames), b"de\nfgh\n");
        assert_eq!(frames.advance(4), 1, "one whole frame and a part");
        assert_eq!(contents(&frames), b"gh\n");
        assert_eq!((frames.len(), frames.queued_bytes()), (1, 3));
        assert_eq!(frames.advance(3), 1);
        assert!(frames.is_empty());
        assert_eq!(frames.queued_bytes(), 0);
    }

    #[test]
    fn io_slices_fills_at_most_the_array_from_the_partly_written_front() {
        let mut frames = outbox(&["one\n", "two\n", "three\n"]);
        frames.advance(2);
        let mut slices = [IoSlice::new(&[]); 2];
        assert_eq!(frames.io_slices(&mut slices), 2);
        assert_eq!((&*slices[0], &*slices[1]), (&b"e\n"[..], &b"two\n"[..]));
        assert_eq!(Outbox::new().io_slices(&mut slices), 0);
    }

    #[test]
    fn empty_frames_are_not_queued() {
        let frames = outbox(&["", "a\n", ""]);
        assert_eq!(frames.len(), 1);
    }

    #[test]
    fn append_moves_everything_in_order_and_leaves_the_other_empty() {
        let mut first = outbox(&["a\n"]);
        let mut second = outbox(&["b\n", "c\n"]);
        first.append(&mut second);
        assert_eq!(contents(&first), b"a\nb\nc\n");
        assert_eq!(first.queued_bytes(), 6);
        assert!(second.is_empty());
        assert_eq!(second.queued_bytes(), 0);

        let mut empty = Outbox::new();
        empty.append(&mut first);
        assert_eq!(contents(&empty), b"a\nb\nc\n");
        assert!(first.is_empty());
    }

    #[test]
    fn a_drained_queue_gives_back_its_room_however_small() {
        let mut frames = Outbox::new();
        (0..Outbox::KEEP_FRAMES * 4).for_each(|_| frames.push(Bytes::from_static(b"x\n")));
        let burst = frames.queued_bytes();
        frames.advance(burst);
        assert_eq!(frames.capacity(), 0, "a burst's room is given back");

        frames.push(Bytes::from_static(b"x\n"));
        frames.push(Bytes::from_static(b"y\n"));
        frames.advance(3);
        assert!(frames.capacity() > 0, "a queue that is not drained keeps its room");
        frames.advance(1);
        assert_eq!(frames.capacity(), 0, "an idle connection holds no ring buffer");

        let mut pending = Outbox::new();
        (0..Outbox::KEEP_FRAMES * 4).for_each(|_| pending.push(Bytes::from_static(b"x\n")));
        frames.push(Bytes::from_static(b"y\n"));
        frames.append(&mut pending);
        assert_eq!(pending.capacity(), 0, "appending gives back the other's room");
    }

    #[test]
    fn clear_drops_everything() {
        let mut frames = outbox(&["a\n", "b\n"]);
        frames.clear();
        assert!(frames.is_empty());
        assert_eq!(frames.queued_bytes(), 0);
    }

    proptest! {
        /// Whatever the kernel takes each time (any partial write, over any slice array), the
        /// bytes written, in order, are exactly the frames pushed, interleaved with new pushes.
        #[test]
        fn partial_writes_reassemble_the_exact_byte_stream(
            frames in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..60),
            writes in prop::collection::vec((0..=100usize, 1..=8usize, 0..4usize), 1..200),
        ) {
            let expected: Vec<u8> = frames.concat();
            let mut outbox = Outbox::new();
            let mut to_push = frames.into_iter();
            let mut written = Vec::new();
            for (percent, array, pushes) in writes.into_iter().chain(std::iter::repeat((100, 8, 4))) {
                to_push.by_ref().take(pushes).for_each(|frame| outbox.push(Bytes::from(frame)));
                if outbox.is_empty() && to_push.len() == 0 {
                    break;
                }
                let mut slices = vec![IoSlice::new(&[]); array];
                let count = outbox.io_slices(&mut slices);
                prop_assert!(count <= array);
                let offered: Vec<u8> = slices[..count].iter().flat_map(|s| s.iter().copied()).collect();
                // A write takes a prefix of what it is offered, at least one byte when any.
                let took = (offered.len() * percent / 100).max(usize::from(!offered.is_empty()));
                written.extend_from_slice(&offered[..took]);
                let before = outbox.queued_bytes();
                outbox.advance(took);
                prop_assert_eq!(outbox.queued_bytes(), before - took);
            }
            prop_assert_eq!(written, expected);
            prop_assert_eq!(outbox.queued_bytes(), 0);
        }
    }
}
