//! `chat join HOST [PORT]`: connect to a chat room and talk.
//!
//! On a terminal it runs a line editor (history on the arrow keys, kept between runs) in which
//! received messages appear above the line being typed, timestamped, names in colour, mentions
//! marked; it reconnects when the server goes away. With stdin or stdout redirected it is a
//! plain line pipe for scripts: `printf 'hi\n' | chat join localhost`.
//!
//! How it is built: each server line is parsed once, by the sans-IO [`client::Client`] (our
//! name, who is here, what a line means to us), which both front ends feed; what we send goes
//! through one paced queue ([`outgoing`], [`pacer`]) so the server's flood control never drops
//! a line; [`hangup`] makes SIGTERM, SIGHUP and a vanished terminal a polite goodbye.
//!
//! Works with this project's server and with the lab handout's Python server.

mod backoff;
mod client;
mod complete;
mod connect;
mod editor;
mod goodbye;
mod hangup;
mod history;
mod interactive;
mod lines;
mod link;
mod outgoing;
mod pacer;
mod piped;
mod prompt;
mod receiver;
mod shared;
mod style;
mod view;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use chat_core::{Config, Nick};
use clap::builder::BoolishValueParser;

use outgoing::Outgoing;
use pacer::Pacer;

/// How long, after we stop sending, the server's last lines are waited for before leaving.
const DRAIN_LIMIT: Duration = Duration::from_secs(3);

/// How many received lines may wait for the line editor to print them before the receiver
/// waits (and the socket's buffers, then the server's per-client queue, hold the rest).
const PRINTER_CAPACITY: usize = 256;

/// The port `chat serve` listens on by default.
const DEFAULT_PORT: u16 = 5000;

/// Arguments of `chat join`. Every option can also be set in the environment (`CHAT_HOST`,
/// `CHAT_PORT`, `CHAT_NICK`, ...), as for `chat serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Host name or address of the chat server (IPv6 addresses with or without brackets).
    #[arg(env = "CHAT_HOST")]
    host: String,
    /// Port the chat server listens on.
    #[arg(env = "CHAT_PORT", default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Your name in the room, set as soon as the server greets you (as if you typed
    /// `/nick NAME`); by default your login name ($USER), when it is a valid name.
    #[arg(long, value_name = "NAME", env = "CHAT_NICK", value_parser = parse_nick)]
    nick: Option<String>,
    /// Do not show the time each line arrived at (on a terminal).
    #[arg(long, env = "CHAT_NO_TIMESTAMPS", value_parser = BoolishValueParser::new())]
    no_timestamps: bool,
    /// Do not ring the terminal's bell when a line mentions your name.
    #[arg(long, env = "CHAT_NO_BELL", value_parser = BoolishValueParser::new())]
    no_bell: bool,
    /// Seconds to wait for each of the server's addresses to answer.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "CHAT_CONNECT_TIMEOUT",
        default_value_t = 5,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    connect_timeout: u64,
    /// The server's flood control (its --flood-rate): lines per second it takes from each
    /// client. What you send or paste is paced to it, so the server drops none; 0: no pacing.
    #[arg(
        long,
        value_name = "LINES_PER_SEC",
        env = "CHAT_FLOOD_RATE",
        default_value_t = Config::default().flood_rate
    )]
    flood_rate: f64,
    /// The server's burst allowance (its --flood-burst): lines it takes at once before the rate
    /// applies.
    #[arg(long, value_name = "N", env = "CHAT_FLOOD_BURST", default_value_t = Config::default().flood_burst)]
    flood_burst: u32,
}

/// How a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The user left (or input ended); exit 0.
    Left,
    /// The server closed the connection or it broke; exit 1.
    ServerGone,
}

/// What both front ends need besides the connection.
#[derive(Clone, Debug)]
struct Setup {
    /// The name to take once the server greets us.
    nick: Option<String>,
    /// The server's flood budget, which sending keeps to.
    pace: Pace,
}

/// The server's flood budget, as `--flood-rate` and `--flood-burst` give it: what the pacer
/// mirrors, and what the user is told when lines wait.
#[derive(Clone, Copy, Debug)]
struct Pace {
    rate: f64,
    burst: u32,
}

impl Pace {
    /// A full pacer for this budget.
    fn pacer(self) -> Pacer {
        Pacer::new(self.rate, self.burst, Instant::now())
    }

    /// Said once when a line is first held back.
    fn held_back_notice(self) -> String {
        format!(
            "(The server takes {} lines at once, then {} a second: the rest follows at that pace, none is dropped.)",
            self.burst, self.rate
        )
    }

    /// Said when leaving with `waiting` lines not yet sent.
    fn sending_before_leaving(self, waiting: usize) -> String {
        let seconds = (waiting as f64 / self.rate).ceil();
        let lines = if waiting == 1 { "line" } else { "lines" };
        format!("Sending the {waiting} {lines} still waiting (about {seconds} s), then leaving...")
    }
}

/// Runs `chat join`: connect, chat until the user leaves or the server goes.
///
/// Exit status: 0 when the user leaves (or stdin ends); 1, with an error saying why, when the
/// server cannot be reached or goes away.
pub fn run(args: Args) -> anyhow::Result<()> {
    let target = display_target(&args.host, args.port);
    let (host, port, timeout) = (args.host.clone(), args.port, Duration::from_secs(args.connect_timeout));
    let stream = connect::connect(&host, port, timeout)
        .map_err(|err| anyhow!("Unable to connect to {target}: {err}"))?;
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let peer = stream.peer_addr().map_or_else(|_| target.clone(), |addr| addr.to_string());
    if interactive {
        println!(
            "Connected to {target} ({peer}). Type a message and press Enter; /help for commands, Ctrl+D to leave."
        );
    } else {
        eprintln!("Connected to {target} ({peer}).");
    }

    let pace = Pace { rate: args.flood_rate, burst: args.flood_burst };
    let setup = Setup { nick: args.nick.or_else(login_name), pace };
    let outcome = if interactive {
        let styler = style::Styler::new(style::colour_wanted());
        let view = view::View::new(styler, !args.no_timestamps, !args.no_bell);
        let reconnect = Box::new(move || Ok(connect::connect(&host, port, timeout)?));
        interactive::run(stream, setup, view, target, reconnect)?
    } else {
        let writer = stream.try_clone().context("could not share the connection")?;
        let (outgoing, _) =
            Outgoing::spawn(writer, pace.pacer()).context("could not start the sending thread")?;
        piped::run(stream, outgoing, setup)?
    };
    match outcome {
        Outcome::Left => Ok(()),
        Outcome::ServerGone => Err(anyhow!("Disconnected from chat server")),
    }
}

/// `HOST:PORT`, with brackets around an IPv6 address.
fn display_target(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The login name (`$USER`, or `$USERNAME` on Windows), if it is a valid nickname.
fn login_name() -> Option<String> {
    let name = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).ok()?;
    parse_nick(&name).ok()
}

/// Checks `--nick` with the server's own rules, so a bad name is refused before connecting.
fn parse_nick(name: &str) -> Result<String, String> {
    Nick::parse(name, Config::default().max_nick)
        .map(|nick| nick.as_str().to_owned())
        .map_err(|err| err.to_string())
}

/// What the unit tests of the `join` modules share.
#[cfg(test)]
mod test_support {
    use std::net::{TcpListener, TcpStream};

    /// Both ends of a fresh loopback connection: (client, server).
    pub fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (client, listener.accept().unwrap().0)
    }
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
