//! The protocol: how names and rooms are written, and the lines on the wire.

pub(crate) mod guest;
mod room_name;

pub use room_name::{LOBBY, MAX_ROOM_NAME, RoomName, RoomNameError};
