//! `chat bench`: load generator and checker for a chat server, ours or any line-based one.
//!
//! **Fan-out** (the default): `--clients R` connections, the first `--senders S` of which each
//! send `--messages M` lines of `--size B` bytes, at `--rate N` lines/s per sender or as fast as
//! the socket takes them. Every line carries its sender, a sequence number and the time it was
//! written; every receiver checks each sender's lines arrive exactly once and in order, and
//! measures the end-to-end latency. Lines may come back behind any prefix (`<NAME> `, or the
//! handout server's `\r<('127.0.0.1', 5555)> `); the payload is read from the end of the line,
//! and a line of this run that is not intact (split or merged by the server) counts as
//! corrupted. Before measuring, senders repeat a warm-up line until every receiver has one from
//! each, so a slow accept loop cannot pass for loss.
//!
//! **`--connections N`**: N idle connections, then one broadcast that every one must receive;
//! with `--server-pid`, the server's resident memory per connection.
//!
//! **`--soak SECONDS`**: well-behaved clients chat at a steady rate while others misbehave
//! (resets, stop reading, floods, over-long lines, invalid UTF-8, escape sequences). Passes only
//! if the well-behaved clients lose, duplicate and reorder nothing, receive no control bytes,
//! and (with `--server-pid`) the server's memory stops growing.
//!
//! **Design and capacity.** A few worker threads (`--threads`, default: the number of cores)
//! each drive their share of the connections from one level-triggered `epoll` loop with one
//! 64 KiB read buffer, so an idle connection costs a socket and a few dozen bytes. A receiver's
//! check is a `memchr` for the newline, a fixed-offset parse of the payload at the end of the
//! line and one comparison against the expected sequence number; counters are per thread and
//! merged at the end. What a delivery costs the tool depends on how the server writes: measured
//! on the 2-core machine of BENCHMARKS.md, 10 million deliveries took it 0.9 CPU-seconds when the
//! server wrote many lines per system call (about 11 million deliveries per second per core),
//! and 8.4 CPU-seconds at a paced 2,000 lines/s, where each socket is read about 60 times a
//! second (four fifths of that in the kernel: reads, wake-ups, acknowledgements). Senders format a line in tens of nanoseconds, so generating load is never the
//! limit. 19,000 idle connections cost the tool about 10 MB.
//!
//! The open-files limit caps one bench process at about 19,900 connections; the bench raises
//! its soft limit to the hard one itself.

mod conn;
mod connections;
mod engine;
mod fanout;
mod memory;
mod mischief;
mod payload;
mod report;
mod shared;
mod soak;
mod tally;
mod worker;

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use self::shared::Plan;

/// Options of `chat bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Host of the server under test.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port of the server under test.
    #[arg(long, short, default_value_t = 5000)]
    port: u16,
    /// Connections in all (senders included).
    #[arg(long, default_value_t = 100)]
    clients: usize,
    /// How many of the connections send.
    #[arg(long, default_value_t = 10)]
    senders: usize,
    /// Lines each sender sends.
    #[arg(long, default_value_t = 1000)]
    messages: u32,
    /// Bytes per line, newline excluded (at least 34).
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Lines per second per sender; without it, as fast as the server takes them.
    #[arg(long)]
    rate: Option<f64>,
    /// Open at most this many connections per second (a server with a short accept queue,
    /// like the handout's, drops connections that come faster and the kernel retries a second later).
    #[arg(long, value_name = "PER_SEC")]
    connect_rate: Option<f64>,
    /// Open N idle connections, send one broadcast, and check that every one gets it.
    #[arg(long, value_name = "N", conflicts_with = "soak")]
    connections: Option<usize>,
    /// Run a soak test for SECONDS: steady chatters plus misbehaving clients.
    #[arg(long, value_name = "SECONDS")]
    soak: Option<u64>,
    /// The server's process id, to report its resident memory (Linux /proc).
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Worker threads of the load generator (default: the number of cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seconds to wait for stragglers once the senders are done; later lines count as lost.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    drain: f64,
    /// Print one JSON line instead of the table (and no progress bar).
    #[arg(long)]
    json: bool,
}

impl Args {
    fn addr(&self) -> Result<SocketAddr> {
        (self.host.as_str(), self.port)
            .to_socket_addrs()
            .with_context(|| format!("could not resolve {}:{}", self.host, self.port))?
            .next()
            .with_context(|| format!("{} has no address", self.host))
    }

    fn plan(&self, clients: usize, senders: usize, messages: u32, rate: Option<f64>) -> Result<Plan> {
        if self.size < payload::MIN_SIZE {
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
            addr: self.addr()?,
            clients,
            senders,
            messages,
            size: self.size,
            rate,
            connect_rate: self.connect_rate.filter(|r| r.is_finite() && *r > 0.0),
            threads: threads.max(1),
            run: (nanos ^ std::process::id()) as u16,
            sync_interval: Duration::from_millis(500),
            check_control: false,
        })
    }

    fn drain(&self) -> Duration {
        Duration::from_secs_f64(self.drain.max(0.1))
    }
}

/// Runs `chat bench`; prints the report, and fails if any check failed.
pub fn run(args: Args) -> Result<()> {
    let args = &args;
    let report = if let Some(n) = args.connections {
        raise_open_files(n)?;
        connections::run(args, n)?
    } else if let Some(seconds) = args.soak {
        raise_open_files(args.clients + soak::MISCHIEF_SLOTS)?;
        soak::run(args, seconds)?
    } else {
        raise_open_files(args.clients)?;
        fanout::run(args)?
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    if !report.pass {
        bail!("the server failed the {} bench: {}", report.mode, report.failures.join("; "));
    }
    Ok(())
}

/// Raises the soft open-files limit to the hard one; fails early if `connections` cannot fit.
fn raise_open_files(connections: usize) -> Result<()> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = Rlimit { current: limit.maximum, maximum: limit.maximum };
    if setrlimit(Resource::Nofile, raised).is_err() {
        tracing::warn!("could not raise the open-files limit to the hard limit");
    }
    let current = getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX);
    let needed = connections as u64 + 64;
    if needed > current {
        bail!(
            "{connections} connections need about {needed} open files, but this process may open \
             only {current}; raise the limit (ulimit -n) or split the load across several bench processes"
        );
    }
    Ok(())
}

/// Runs a plan to the end with the usual phases, for the modes that need nothing in between.
fn run_plan(plan: Plan, quiet: bool, drain: Duration) -> Result<engine::Measured> {
    let timeout = sync_timeout(plan.clients);
    let mut engine = engine::Engine::start(plan, quiet)?;
    let result = engine.wait_connected().and_then(|()| engine.sync(timeout));
    if let Err(e) = result {
        engine.abort();
        return Err(e);
    }
    engine.measure(drain)
}

/// How long the warm-up may take: generous, as a big room joins slowly on a small machine.
fn sync_timeout(clients: usize) -> Duration {
    Duration::from_secs(20) + Duration::from_millis(clients as u64)
}
