//! `chat join HOST PORT`: connect to a chat room and talk.
//!
//! On a terminal it runs a line editor (history on the arrow keys) in which received messages
//! appear above the line being typed, names in colour. With stdin or stdout redirected it is a
//! plain line pipe for scripts: `printf 'hi\n' | chat join localhost 5000`.
//!
//! Works with this project's server and with the lab handout's Python server.

mod complete;
mod connect;
mod connection;
mod editor;
mod goodbye;
mod identity;
mod interactive;
mod lines;
mod piped;
mod prompt;
mod receiver;
mod roster;
mod signals;
mod style;

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context as _;
use chat_core::Config;
use chat_core::protocol::Nick;

use connection::Sender;

/// How long, after we stop sending, the server's last lines are waited for before leaving.
const DRAIN_LIMIT: Duration = Duration::from_secs(3);

/// Arguments of `chat join`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Host name or address of the chat server (IPv6 addresses with or without brackets).
    host: String,
    /// Port the chat server listens on.
    port: u16,
    /// Your name in the room, set as soon as you are in (as if you typed `/nick NAME`).
    #[arg(long, value_name = "NAME", value_parser = parse_nick)]
    nick: Option<String>,
    /// Seconds to wait for each of the server's addresses to answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    connect_timeout: u64,
}

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The user left (or input ended); exit 0.
    Left,
    /// The server closed the connection or it broke; exit 1.
    ServerGone,
}

/// Runs `chat join`: connect, chat until the user leaves or the server goes.
///
/// Exit status: 0 when the user leaves (or stdin ends); 1, after saying why on stderr, when the
/// server cannot be reached or goes away (this function then exits the process itself, so the
/// message is not decorated as an internal error).
pub fn run(args: Args) -> anyhow::Result<()> {
    let target = display_target(&args.host, args.port);
    let stream = match connect::connect(&args.host, args.port, Duration::from_secs(args.connect_timeout)) {
        Ok(stream) => stream,
        Err(err) => fail(&format!("Unable to connect to {target}: {err}")),
    };
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let peer = stream.peer_addr().map_or_else(|_| target.clone(), |addr| addr.to_string());
    if interactive {
        println!(
            "Connected to {target} ({peer}). Type a message and press Enter; /help for commands, Ctrl+D to leave."
        );
    } else {
        eprintln!("Connected to {target} ({peer}).");
    }

    let mut sender = Sender::new(stream.try_clone().context("could not share the connection")?)
        .context("could not set up the connection")?;
    if let Some(nick) = &args.nick {
        sender.send_line(format!("/nick {nick}").as_bytes()).context("could not send /nick")?;
    }
    let outcome = if interactive {
        interactive::run(stream, sender, style::colour_wanted())?
    } else {
        piped::run(stream, sender)?
    };
    match outcome {
        Outcome::Left => Ok(()),
        Outcome::ServerGone => fail("Disconnected from chat server"),
    }
}

/// Says why on stderr and exits with status 1.
fn fail(message: &str) -> ! {
    use std::io::Write as _;
    drop(std::io::stdout().flush());
    eprintln!("{message}");
    std::process::exit(1)
}

/// `HOST:PORT`, with brackets around an IPv6 address.
fn display_target(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Checks `--nick` with the server's own rules, so a bad name is refused before connecting.
fn parse_nick(name: &str) -> Result<String, String> {
    Nick::parse(name, Config::default().max_nick)
        .map(|nick| nick.as_str().to_owned())
        .map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_shown_as_typed_with_ipv6_in_brackets() {
        assert_eq!(display_target("localhost", 5000), "localhost:5000");
        assert_eq!(display_target("::1", 5000), "[::1]:5000");
        assert_eq!(display_target("[::1]", 5000), "[::1]:5000");
    }

    #[test]
    fn nicknames_are_checked_before_connecting() {
        assert_eq!(parse_nick("alice").as_deref(), Ok("alice"));
        assert!(parse_nick("two words").is_err());
        assert!(parse_nick("a\nb").is_err());
    }
}
