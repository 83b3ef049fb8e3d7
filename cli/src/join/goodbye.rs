//! Leaving politely, in the way the server at hand understands.

use std::io;
use std::time::Duration;

use super::connection::Sender;
use super::identity::Identity;

/// How long to wait for a server's greeting, when leaving before it arrived, to learn whether
/// the server understands `/quit`.
const GREETING_PATIENCE: Duration = Duration::from_secs(1);

/// Tells the server we are leaving. Our server gets `quit_line` (`/quit`, maybe with a
/// reason): it then sends what it still has for us and closes, and the room sees a clean quit.
/// (A bare half-close would make it drop what it still had for us.) The handout's server,
/// which would relay `/quit` as a message, gets a half-close instead, and closes.
///
/// Either way the caller then reads until the server closes.
pub fn say_goodbye(sender: &mut Sender, identity: &Identity, quit_line: &str) -> io::Result<()> {
    if identity.speaks_chat(GREETING_PATIENCE) {
        sender.send_line(quit_line.as_bytes())
    } else {
        sender.finish()
    }
}
