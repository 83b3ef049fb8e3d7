//! The command line of `chat serve`.

use anyhow::anyhow;
use chat_core::{Config, ConfigError};
use clap::ArgAction;

use super::runtime::Runtime;

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
    /// More log output on stderr: -v logs connections and departures, -vv debugging detail.
    /// RUST_LOG (e.g. RUST_LOG=chat_core=debug) overrides it; by default only warnings show.
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub limits: Limits,
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
    /// Lines per second each client may send on average; 0 turns flood control off.
    #[arg(
        long,
        value_name = "LINES_PER_SEC",
        env = "CHAT_FLOOD_RATE",
        default_value_t = Config::default().flood_rate
    )]
    flood_rate: f64,
    /// Lines a client may send at once before the rate applies (so a pasted block goes through).
    #[arg(long, value_name = "N", env = "CHAT_FLOOD_BURST", default_value_t = Config::default().flood_burst)]
    flood_burst: u32,
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
}

impl Limits {
    /// The core's configuration, checked, with an error that names the option to change.
    pub fn config(&self) -> anyhow::Result<Config> {
        let config = Config {
            max_clients: self.max_clients,
            max_line: self.max_line,
            flood_rate: self.flood_rate,
            flood_burst: self.flood_burst,
            max_queue: self.max_queue,
            max_memory: self.max_memory,
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
        _ => "see chat serve --help",
    }
}
