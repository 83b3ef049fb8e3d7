//! The command-line options of the load modes, and the [`Plan`] they make.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::load::payload;
use crate::load::shared::Plan;
use crate::load::wire::{TlsClient, Wire};

/// The server under test and how the load tool runs: common to every load mode.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// Host of the server under test.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port of the server under test; several (`--port 5000,5002,5004`) spread the clients
    /// over the nodes of one deployment sharing rooms through Redis (`chat serve --redis`),
    /// client `i` on the `i mod N`th.
    #[arg(long, short, default_value = "5000", value_delimiter = ',')]
    pub port: Vec<u16>,
    /// Open at most this many connections per second (a server with a short accept queue,
    /// like the handout's, drops connections that come faster and the kernel retries a second later).
    #[arg(long, value_name = "PER_SEC")]
    pub connect_rate: Option<f64>,
    /// Worker threads of the load generator (default: the number of cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seconds to wait for stragglers once the senders are done; later lines count as lost.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub drain: f64,
    /// Print one JSON line instead of the table (and no progress bar).
    #[arg(long)]
    pub json: bool,
    /// What the connections speak: plain TCP, TLS, WebSocket at `/ws`, or WebSocket over TLS.
    #[arg(long, value_enum, default_value_t = Wire::Tcp)]
    pub wire: Wire,
    /// For `--wire tls` and `wss`: the server's certificate to trust (PEM), for example the
    /// one `chat serve --tls-self-signed` prints.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<std::path::PathBuf>,
    /// For `--wire tls` and `wss`: the name the certificate must have.
    #[arg(long, default_value = "localhost", value_name = "NAME")]
    pub tls_name: String,
}

/// Options of `chat-bench fanout`.
#[derive(Debug, clap::Args)]
pub struct Fanout {
    /// Connections in all (senders included).
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// How many of the connections send.
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// Lines each sender sends.
    #[arg(long, default_value_t = 1000)]
    pub messages: u32,
    /// Bytes per line, newline excluded (at least 34).
    #[arg(long, default_value_t = 64)]
    pub size: usize,
    /// Lines per second per sender; without it, as fast as the server takes them.
    #[arg(long)]
    pub rate: Option<f64>,
    /// The server's process id, to report the CPU time it spent on the measured lines (Linux
    /// /proc): on a shared machine a steadier measure of its cost than its speed.
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// The server under test.
    #[command(flatten)]
    pub target: Target,
}

/// Options of `chat-bench connections`.
#[derive(Debug, clap::Args)]
pub struct Connections {
    /// Idle connections to open.
    #[arg(value_name = "N")]
    pub connections: usize,
    /// The server's process id, to report its resident memory per connection (Linux /proc).
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// The server under test.
    #[command(flatten)]
    pub target: Target,
}

/// Options of `chat-bench soak`.
#[derive(Debug, clap::Args)]
pub struct Soak {
    /// How long the soak runs.
    #[arg(value_name = "SECONDS")]
    pub seconds: u64,
    /// Well-behaved connections (senders included).
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// How many of the well-behaved connections send.
    #[arg(long, default_value_t = 10)]
    pub senders: usize,
    /// Lines per second per well-behaved sender: under the default flood limit of our server
    /// (3 lines/s), as a person chatting would be.
    #[arg(long, default_value_t = 2.0)]
    pub rate: f64,
    /// The server's process id, to check that its resident memory stops growing (Linux /proc).
    #[arg(long, value_name = "PID")]
    pub server_pid: Option<u32>,
    /// The server under test.
    #[command(flatten)]
    pub target: Target,
}

/// What a [`Target`] turns into a [`Plan`] with: who connects and what they send.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    /// Connections in all.
    pub clients: usize,
    /// Connections that send.
    pub senders: usize,
    /// Lines per sender.
    pub messages: u32,
    /// Bytes per line.
    pub size: usize,
    /// Lines per second per sender, or unpaced.
    pub rate: Option<f64>,
}

impl Target {
    /// The server's addresses, one per `--port`.
    pub fn addrs(&self) -> Result<Vec<SocketAddr>> {
        self.port
            .iter()
            .map(|&port| {
                (self.host.as_str(), port)
                    .to_socket_addrs()
                    .with_context(|| format!("could not resolve {}:{port}", self.host))?
                    .next()
                    .with_context(|| format!("{} has no address", self.host))
            })
            .collect()
    }

    /// Checks `load` and makes the plan of a run against this target.
    pub fn plan(&self, load: Load) -> Result<Plan> {
        let Load { clients, senders, messages, size, rate } = load;
        if size < payload::MIN_SIZE {
            bail!("--size must be at least {} bytes to hold the bench header", payload::MIN_SIZE);
        }
        if senders == 0 || senders > clients || senders > usize::from(u16::MAX) {
            bail!("--senders must be between 1 and --clients ({clients})");
        }
        if clients < 2 {
            bail!("--clients must be at least 2: a sender's lines go to the others");
        }
        if rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
            bail!("--rate must be a positive number of lines per second");
        }
        let threads =
            self.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        Ok(Plan {
            addrs: self.addrs()?,
            clients,
            senders,
            messages,
            size,
            rate,
            connect_rate: self.connect_rate.filter(|r| r.is_finite() && *r > 0.0),
            threads: threads.max(1),
            run: (nanos ^ std::process::id()) as u16,
            sync_interval: Duration::from_millis(500),
            check_control: false,
            stop_at_flood_control: true,
            wire: self.wire,
            tls: match &self.tls_ca {
                Some(ca) => Some(TlsClient::new(ca, &self.tls_name).map_err(anyhow::Error::msg)?),
                None => None,
            },
            host: format!("{}:{}", self.host, self.port.first().copied().unwrap_or_default()),
        })
    }

    /// How long to wait for stragglers.
    pub fn drain(&self) -> Duration {
        Duration::from_secs_f64(self.drain.max(0.1))
    }
}
