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
//! With `--tls` the connection is encrypted ([`tls`]): the server's certificate must be vouched
//! for by the system's authorities or `--ca`, or be pinned (`--fingerprint`), or be trusted on
//! first use and remembered in `known_hosts`, as ssh does ([`trust`]). [`connect`] is the one
//! place that chooses the transport; [`stream`] gives both front ends the same two halves.
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
mod known_hosts;
mod lines;
mod link;
mod outgoing;
mod pacer;
mod piped;
mod prompt;
mod receiver;
mod secret;
mod shared;
mod stream;
mod style;
mod tls;
mod trust;
mod view;

use std::path::PathBuf;
use std::sync::Arc;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};
use chat_core::Config;
use chat_core::protocol::Nick;
use chat_transport::Fingerprint;
use clap::builder::BoolishValueParser;

use crate::flood_args::FloodArgs;
use connect::{Dial, DialError};
use outgoing::Outgoing;
use pacer::Pacer;
use tls::{TlsError, TlsSetup, Trust};
use trust::FirstUse;

/// How long, after we stop sending, the server's last lines are waited for before leaving.
const DRAIN_LIMIT: Duration = Duration::from_secs(3);

/// How many received lines may wait for the line editor to print them before the receiver
/// waits (and the socket's buffers, then the server's per-client queue, hold the rest).
const PRINTER_CAPACITY: usize = 256;

/// The port `chat serve` listens on by default.
const DEFAULT_PORT: u16 = 5000;

/// The port `chat serve` takes TLS on by default.
const DEFAULT_TLS_PORT: u16 = 5001;

/// Arguments of `chat join`. Every option can also be set in the environment (`CHAT_HOST`,
/// `CHAT_PORT`, `CHAT_NICK`, ...), as for `chat serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Host name or address of the chat server (IPv6 addresses with or without brackets).
    #[arg(env = "CHAT_HOST")]
    host: String,
    /// Port the chat server listens on [default: 5000, or 5001 with --tls].
    #[arg(env = "CHAT_PORT")]
    port: Option<u16>,
    /// Your name in the room, set as soon as the server greets you (as if you typed
    /// `/nick NAME`); by default your login name ($USER), when it is a valid name.
    #[arg(long, value_name = "NAME", env = "CHAT_NICK", value_parser = parse_nick)]
    nick: Option<String>,
    /// Identify as the registered account NAME as soon as the server greets you (and after
    /// every reconnect), with the password in CHAT_PASSWORD, or else asked for on the terminal
    /// without echo. On the terminal, /identify NAME, /register, /password and /unregister
    /// typed without a password ask for it the same way.
    #[arg(long, value_name = "NAME", env = "CHAT_IDENTIFY", value_parser = parse_nick, conflicts_with = "nick")]
    identify: Option<String>,
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
    #[command(flatten)]
    flood: FloodArgs,
    #[command(flatten)]
    tls: TlsArgs,
}

/// How `chat join` encrypts, and whom it trusts.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "TLS")]
struct TlsArgs {
    /// Connect with TLS (to `chat serve --tls-*`, port 5001 by default). The server's
    /// certificate must be signed by an authority this system trusts, or be trusted on first
    /// use: you are shown its fingerprint and asked, and it is remembered in `known_hosts`.
    #[arg(long, env = "CHAT_TLS", value_parser = BoolishValueParser::new())]
    tls: bool,
    /// Trust only the certificate authorities in this PEM file (instead of the system's).
    #[arg(long, value_name = "FILE", env = "CHAT_CA", requires = "tls", conflicts_with = "fingerprint")]
    ca: Option<PathBuf>,
    /// Trust only the certificate with this fingerprint (as `chat serve --tls-self-signed`
    /// prints it), and remember it.
    #[arg(long, value_name = "SHA256:...", env = "CHAT_FINGERPRINT", requires = "tls")]
    fingerprint: Option<Fingerprint>,
    /// Trust a server's certificate the first time it is seen without asking (when not on a
    /// terminal, an unknown certificate is refused without it). A changed one is still refused.
    #[arg(long, env = "CHAT_ACCEPT_NEW", requires = "tls", value_parser = BoolishValueParser::new())]
    accept_new: bool,
    /// The file of remembered certificates [default: `known_hosts` in chat's configuration
    /// directory, e.g. ~/.config/chat/known_hosts].
    #[arg(long, value_name = "FILE", env = known_hosts::ENV)]
    known_hosts: Option<PathBuf>,
}

impl TlsArgs {
    /// The `known_hosts` file to use, if there is one.
    fn known_hosts_file(&self) -> Option<PathBuf> {
        self.known_hosts.clone().or_else(known_hosts::default_path)
    }

    /// TLS as asked for, or `None` for plain TCP.
    fn setup(&self) -> anyhow::Result<Option<Arc<TlsSetup>>> {
        if !self.tls {
            return Ok(None);
        }
        let trust = match (&self.fingerprint, &self.ca) {
            (Some(pinned), _) => Trust::Pinned(*pinned),
            (None, Some(ca)) => Trust::Ca(ca.clone()),
            (None, None) => Trust::Usual(self.known_hosts_file()),
        };
        Ok(Some(Arc::new(TlsSetup::new(trust)?)))
    }
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
    /// The account to identify as once the server greets us.
    identity: Option<secret::Identity>,
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
    let port = args.port.unwrap_or(if args.tls.tls { DEFAULT_TLS_PORT } else { DEFAULT_PORT });
    let target = display_target(&args.host, port);
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let tls = args.tls.setup().with_context(|| format!("Unable to connect to {target}"))?;
    let identity = args.identify.clone().map(secret::Identity::for_name).transpose()?;
    let dial = Dial {
        host: args.host.clone(),
        port,
        target: target.clone(),
        timeout: Duration::from_secs(args.connect_timeout),
        tls,
    };
    let stream = first_connect(&dial, &args.tls, interactive)?;
    let peer = stream.peer_addr().map_or_else(|_| target.clone(), |addr| addr.to_string());
    let peer = if stream.is_tls() { format!("{peer}, TLS") } else { peer };
    if interactive {
        println!(
            "Connected to {target} ({peer}). Type a message and press Enter; /help for commands, Ctrl+D to leave."
        );
    } else {
        eprintln!("Connected to {target} ({peer}).");
    }

    let pace = Pace { rate: args.flood.flood_rate, burst: args.flood.flood_burst };
    let nick = args.identify.or(args.nick).or_else(login_name);
    let setup = Setup { nick, identity, pace };
    let outcome = if interactive {
        let styler = style::Styler::new(style::colour_wanted());
        let view = view::View::new(styler, !args.no_timestamps, !args.no_bell);
        let reconnect = Box::new(move || Ok(dial.connect()?));
        interactive::run(stream, setup, view, target, reconnect)?
    } else {
        let (reader, writer) = stream.split().context("could not share the connection")?;
        let (outgoing, _) =
            Outgoing::spawn(writer, pace.pacer()).context("could not start the sending thread")?;
        piped::run(reader, outgoing, setup)?
    };
    match outcome {
        Outcome::Left => Ok(()),
        Outcome::ServerGone => Err(anyhow!("Disconnected from chat server")),
    }
}

impl Args {
    /// The flood-control options as given.
    #[cfg(test)]
    pub fn flood(&self) -> FloodArgs {
        self.flood
    }
}

/// The first connection: where a certificate seen for the first time is trusted (or not), and
/// a changed one is refused with a warning.
fn first_connect(dial: &Dial, args: &TlsArgs, interactive: bool) -> anyhow::Result<stream::Conn> {
    let target = &dial.target;
    let unable = |err: DialError| anyhow!("Unable to connect to {target}: {err}");
    match dial.connect() {
        Ok(conn) => {
            if let Some(pinned) = &args.fingerprint {
                trust::remember_pinned(target, pinned, args.known_hosts_file().as_deref())?;
            }
            Ok(conn)
        }
        Err(DialError::Tls(TlsError::Unknown { fingerprint, why })) => {
            let first_use = match (args.accept_new, interactive) {
                (true, _) => FirstUse::Accept,
                (false, true) => FirstUse::Ask,
                (false, false) => FirstUse::Refuse,
            };
            trust::first_use(target, &fingerprint, &why, args.known_hosts_file().as_deref(), first_use)?;
            dial.connect().map_err(unable)
        }
        Err(DialError::Tls(err @ TlsError::Changed { .. })) => {
            if let TlsError::Changed { fingerprint, known, file, line } = &err {
                eprintln!("{}", trust::changed_warning(target, fingerprint, known, file, *line));
            }
            Err(unable(err.into()))
        }
        Err(err) => Err(unable(err)),
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

    use super::stream::{Conn, Reader, Writer};

    /// Both ends of a fresh loopback connection: (client, server).
    fn tcp_pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        (client, listener.accept().unwrap().0)
    }

    /// A plain connection's reading half, and the server's end.
    pub fn reader_and_server() -> (Reader, TcpStream) {
        let (client, server) = tcp_pair();
        (Conn::plain(client).split().unwrap().0, server)
    }

    /// A plain connection's writing half, and the server's end.
    pub fn writer_and_server() -> (Writer, TcpStream) {
        let (client, server) = tcp_pair();
        (Conn::plain(client).split().unwrap().1, server)
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
