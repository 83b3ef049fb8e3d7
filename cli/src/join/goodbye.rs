//! Leaving politely, in the way the server at hand understands.

use std::time::Duration;

use chat_core::Command;

use super::outgoing::Goodbye;
use super::shared::SharedClient;

/// How long to wait for a server's greeting (ours greets at once; 2 s leaves room for a loaded
/// machine; the handout's server never greets), when leaving before it arrived, to learn whether
/// the server understands `/quit`.
pub const GREETING_PATIENCE: Duration = Duration::from_secs(2);

/// How to tell the server we are leaving. Our server gets `quit_line` (`/quit`, maybe with a
/// reason): it then sends what it still has for us and closes, and the room sees a clean quit.
/// (A bare half-close would make it drop what it still had for us.) The handout's server,
/// which would relay `/quit` as a message, gets a half-close instead, and closes.
///
/// Either way the caller then reads until the server closes.
pub fn goodbye(client: &SharedClient, quit_line: &str) -> Goodbye {
    if client.speaks_chat(GREETING_PATIENCE) {
        Goodbye::Quit(quit_line.to_owned())
    } else {
        Goodbye::HalfClose
    }
}

/// Whether the server will read `line` as a `/quit` command (any case, with or without a
/// reason); its line ending, if any, is ignored.
pub fn is_quit(line: &str) -> bool {
    let line = line.trim_end_matches(['\r', '\n']);
    matches!(Command::parse(line), Ok(Command::Quit(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quit_is_recognised_in_any_case_with_a_reason() {
        assert!(is_quit("/quit"));
        assert!(is_quit("/QUIT bye all"));
        assert!(!is_quit("/quitter"));
        assert!(!is_quit("//quit"));
        assert!(!is_quit("quit"));
        assert!(is_quit("/quit\r\n"));
        assert!(!is_quit(" /quit"), "the server says this to the room");
    }
}
