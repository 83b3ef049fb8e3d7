//! The command line of `chat serve`.

use anyhow::anyhow;
use chat_auth::{AuthOptions, HashParams};
use chat_core::{Config, ConfigError};
use clap::ArgAction;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::PathBuf;

use chat_runtime::Runtime;
use chat_store::DataDir;

use super::cluster::ClusterArgs;
use crate::flood_args::FloodArgs;

/// Run a chat room that anyone can join with `chat join HOST PORT` or `nc HOST PORT`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Host name or address to listen on; by default every IPv4 and IPv6 address of this machine.
    /// A name is resolved and the server listens on every address it resolves to.
    #[arg(long, value_name = "HOST", env = "CHAT_HOST")]
    pub host: Option<String>,
    /// TCP port to listen on; 0 picks a free port (printed at start).
    #[arg(short, long, value_name = "PORT", env = "CHAT_PORT", default_value_t = 5000)]
    pub port: u16,
    /// Which runtime drives the server.
    #[arg(long, value_enum, env = "CHAT_RUNTIME", default_value_t = Runtime::Smol)]
    pub runtime: Runtime,
    /// I/O threads of the smol runtime (by default 1, which serves everything on one thread);
    /// with more, each serves a share of the connections and the room runs on the first. More
    /// pay where cores are free of the clients (BENCHMARKS.md). The std runtime has a thread
    /// per connection.
    #[arg(long, value_name = "N", env = "CHAT_THREADS")]
    pub threads: Option<NonZeroUsize>,
    /// More log output on stderr: -v logs connections and departures, -vv debugging detail.
    /// RUST_LOG (e.g. RUST_LOG=chat_core=debug) overrides it; by default only warnings show.
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub transports: Transports,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub storage: Storage,
    #[command(flatten)]
    pub accounts: Accounts,
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

impl Args {
    /// The core's configuration, checked, with an error that names the option to change.
    pub fn config(&self) -> anyhow::Result<Config> {
        self.limits.config(&self.accounts)
    }
}

/// Where the server keeps what survives a restart.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Database")]
pub struct Storage {
    /// Where the server keeps its files: the database of rooms' history and topics (chat.db)
    /// and the self-signed certificate. By default the platform's data directory for `chat`
    /// (~/.local/share/chat on Linux); `none` keeps nothing: everything lives in memory and is
    /// gone when the server stops.
    #[arg(long, value_name = "DIR|none", env = "CHAT_DATA_DIR")]
    data_dir: Option<DataDir>,
    /// Days a room keeps a line (--history is how many): older lines are no longer replayed
    /// and are deleted from the database. By default lines are kept whatever their age.
    #[arg(long, value_name = "DAYS", env = "CHAT_HISTORY_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub history_days: Option<u32>,
}

impl Storage {
    /// `--data-dir` as given, or the platform's data directory.
    pub fn data_dir(&self) -> DataDir {
        self.data_dir.clone().unwrap_or_default()
    }

    /// How long a line is kept, from `--history-days`.
    pub fn max_age(&self) -> Option<std::time::Duration> {
        self.history_days.map(|days| std::time::Duration::from_secs(u64::from(days) * 86_400))
    }
}

/// Who runs the server.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Accounts")]
pub struct Accounts {
    /// An account name whose owner is a server operator once identified (registered with
    /// /register, proved with /identify); repeat for more. Using the name is not enough.
    #[arg(long = "op", value_name = "NAME", env = "CHAT_OP", value_delimiter = ',')]
    pub operators: Vec<String>,
    /// KiB of memory argon2id spends on each password it hashes or checks (with 2 passes):
    /// more makes guessing stolen hashes dearer, and each check slower. A small machine can
    /// lower it, down to 8.
    #[arg(
        long,
        value_name = "KIB",
        env = "CHAT_PASSWORD_MEMORY",
        default_value_t = HashParams::default().memory_kib,
        value_parser = clap::value_parser!(u32).range(8..)
    )]
    pub password_memory: u32,
}

impl Accounts {
    /// The password workers' options.
    pub fn auth(&self) -> AuthOptions {
        AuthOptions {
            params: HashParams { memory_kib: self.password_memory, ..HashParams::default() },
            ..AuthOptions::default()
        }
    }
}

/// Where else the room is served: TLS, the web page and its WebSocket.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "TLS and the web")]
pub struct Transports {
    /// Do not serve plain TCP (`--port`): only TLS or the web page.
    #[arg(long, env = "CHAT_NO_PLAIN")]
    pub no_plain: bool,
    /// Serve TLS with this certificate chain (PEM, leaf first); needs --tls-key. Sending the
    /// server SIGHUP reads the certificate and key again without dropping anyone.
    #[arg(long, value_name = "FILE", env = "CHAT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, value_name = "FILE", env = "CHAT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve TLS with a self-signed certificate, made in --data-dir on first use and kept
    /// there (so its fingerprint, printed at start, stays the same): for trying TLS out.
    #[arg(long, env = "CHAT_TLS_SELF_SIGNED", conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
    /// TCP port for TLS, beside plain TCP on --port, on the same addresses.
    #[arg(long, value_name = "PORT", env = "CHAT_TLS_PORT", default_value_t = 5001)]
    pub tls_port: u16,
    /// Serve the web client at http://ADDR/ and its WebSocket at /ws (https and wss with a
    /// TLS certificate), for example 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR", env = "CHAT_WEB")]
    pub web: Option<SocketAddr>,
    /// A page origin allowed to open the WebSocket, such as https://chat.example.org
    /// (repeat for more); by default only pages from the host the browser asked for.
    #[arg(long, value_name = "ORIGIN", env = "CHAT_WEB_ORIGIN", value_delimiter = ',', requires = "web")]
    pub web_origin: Vec<String>,
    /// A reverse proxy whose X-Forwarded-For header names the web client's real address
    /// (repeat for more); from anyone else the header is ignored.
    #[arg(long, value_name = "ADDR", env = "CHAT_TRUSTED_PROXY", value_delimiter = ',', requires = "web")]
    pub trusted_proxy: Vec<IpAddr>,
    /// Serve the operator's pages at ADDR (for example 127.0.0.1:9100): /metrics in the
    /// Prometheus text format and /healthz. Off by default; keep it off the public network.
    #[arg(long, value_name = "ADDR", env = "CHAT_ADMIN")]
    pub admin: Option<SocketAddr>,
}

/// The room's limits; the defaults are `chat_core::Config::default()`.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Limits")]
pub struct Limits {
    /// Most people in the room at once; the next one is told the room is full and disconnected.
    #[arg(long, value_name = "N", env = "CHAT_MAX_CLIENTS", default_value_t = Config::default().max_clients)]
    max_clients: usize,
    /// Longest line a client may send, in bytes; a longer line is dropped and its sender told so.
    #[arg(long, value_name = "BYTES", env = "CHAT_MAX_LINE", default_value_t = Config::default().max_line)]
    max_line: usize,
    #[command(flatten)]
    flood: FloodArgs,
    /// Most bytes of memory waiting to be sent to one client whose connection has taken nothing
    /// for a second; over it, the client (it stopped reading) is disconnected as too slow. A
    /// client that reads is never dropped, however far behind.
    #[arg(long, value_name = "BYTES", env = "CHAT_MAX_QUEUE", default_value_t = Config::default().max_queue)]
    max_queue: usize,
    /// Most bytes of memory waiting to be sent to all clients together; over it, the clients
    /// that stopped reading holding the most are disconnected, and the server stops reading
    /// until it has caught up (the senders wait).
    #[arg(long, value_name = "BYTES", env = "CHAT_MAX_MEMORY", default_value_t = Config::default().max_memory)]
    max_memory: usize,
    /// Most connections from one address at once (IPv4 address, IPv6 /64); 0 turns it off.
    #[arg(long, value_name = "N", env = "CHAT_MAX_PER_IP", default_value_t = Config::default().max_per_ip)]
    max_per_ip: usize,
    /// Most new connections from one address per 10 minutes (a burst, then one per 10 minutes
    /// / N); 0 turns it off.
    #[arg(
        long,
        value_name = "N",
        env = "CHAT_MAX_CONNECTS_PER_IP",
        default_value_t = Config::default().max_connects_per_ip
    )]
    max_connects_per_ip: u32,
    /// Apply the per-address limits to loopback clients too (by default a local proxy, `chat
    /// bench` and local tests are exempt).
    #[arg(long, env = "CHAT_LIMIT_LOOPBACK")]
    limit_loopback: bool,
    /// Seconds a client may take to finish a line: then the unfinished line is dropped, and
    /// after as long again without a newline the client is disconnected.
    #[arg(
        long,
        value_name = "SECS",
        env = "CHAT_LINE_TIMEOUT",
        default_value_t = Config::default().line_timeout.as_secs()
    )]
    line_timeout: u64,
    /// Seconds a TLS or web connection may take to become a chat client (finish its handshake,
    /// upgrade to the chat's WebSocket): then it is closed.
    #[arg(
        long,
        value_name = "SECS",
        env = "CHAT_HANDSHAKE_TIMEOUT",
        default_value_t = Config::default().handshake_timeout.as_secs()
    )]
    handshake_timeout: u64,
    /// Lines each room remembers and replays to whoever comes in (the last 20 on arrival, all
    /// with /history); 0 keeps none.
    #[arg(long, value_name = "LINES", env = "CHAT_HISTORY", default_value_t = Config::default().history)]
    history: usize,
}

impl Limits {
    /// The flood-control options as given.
    #[cfg(test)]
    pub fn flood(&self) -> FloodArgs {
        self.flood
    }

    /// The core's configuration, checked, with an error that names the option to change.
    fn config(&self, accounts: &Accounts) -> anyhow::Result<Config> {
        let config = Config {
            operators: accounts.operators.clone(),
            max_clients: self.max_clients,
            max_line: self.max_line,
            flood_rate: self.flood.flood_rate,
            flood_burst: self.flood.flood_burst,
            max_queue: self.max_queue,
            max_memory: self.max_memory,
            max_per_ip: self.max_per_ip,
            max_connects_per_ip: self.max_connects_per_ip,
            limit_loopback: self.limit_loopback,
            line_timeout: std::time::Duration::from_secs(self.line_timeout),
            handshake_timeout: std::time::Duration::from_secs(self.handshake_timeout),
            history: self.history,
            ..Config::default()
        };
        match config.validate() {
            Ok(()) => Ok(config),
            Err(error) => Err(anyhow!("{error}: {}", advice(&error))),
        }
    }
}

/// What to change when the limits do not fit together.
fn advice(error: &ConfigError) -> &'static str {
    match error {
        ConfigError::MaxLineTooSmall(_) => "raise --max-line",
        ConfigError::FloodRate(_) => "give --flood-rate a number of lines per second, or 0 for no limit",
        ConfigError::FloodBurstZero => "raise --flood-burst, or turn flood control off with --flood-rate 0",
        ConfigError::MaxQueueTooSmall { .. } => "raise --max-queue or lower --max-line",
        ConfigError::MaxMemoryTooSmall { .. } => "raise --max-memory or lower --max-queue",
        ConfigError::LineTimeoutZero => "give --line-timeout at least 1 second",
        ConfigError::NodeNameEmpty => "give --node-name a name",
        ConfigError::Operator(_) => "give --op the name of an account, as /register made it",
        ConfigError::HandshakeTimeoutZero => "give --handshake-timeout at least 1 second",
        _ => "see chat serve --help",
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use crate::{Cli, Command};

    fn serve(args: &[&str]) -> super::Args {
        match Cli::try_parse_from([&["chat", "serve"][..], args].concat())
            .expect("a valid command line")
            .command
        {
            Command::Serve(serve) => *serve,
            Command::Join(_) => unreachable!("parsed a serve command line"),
        }
    }

    #[test]
    fn operators_are_repeatable_and_checked() {
        let config = serve(&["--op", "alice", "--op", "Bob"]).config().unwrap();
        assert_eq!(config.operators, ["alice", "Bob"]);
        assert!(serve(&[]).config().unwrap().operators.is_empty());
        let error = serve(&["--op", "no:colons"]).config().unwrap_err().to_string();
        assert!(error.contains("no:colons") && error.contains("--op"), "{error}");
    }
}
