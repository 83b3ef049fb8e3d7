//! What both ends of a connection agree on: how lines are framed ([`LineDecoder`]), what text is
//! safe to show ([`sanitize`]), what names and room names are valid ([`Nick`], [`RoomName`]),
//! what a client's line asks for ([`Command`]), and every line the server sends, written by the
//! engine and read back by clients with [`ServerLine::parse`]. `docs/PROTOCOL.md` describes the
//! same lines for people.

mod command;
mod decoder;
pub(crate) mod guest;
pub(crate) mod nick;
mod room_name;
pub(crate) mod sanitize;
mod spelled;
pub(crate) mod wire;

pub use command::{Command, CommandError, CommandInfo, Password, WHO_COST};
pub use decoder::{Line, LineDecoder};
pub use nick::{Nick, NickError};
pub use room_name::{LOBBY, MAX_ROOM_NAME, RoomName, RoomNameError};
pub use sanitize::sanitize;
pub use wire::{Departures, Names, ServerLine};
