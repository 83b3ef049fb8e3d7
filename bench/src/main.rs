//! `chat-bench`: load generator and checker for a chat server, ours or any line-based one, and
//! the ideal broadcaster that every run is compared with.
//!
//! **`fanout`**: `--clients R` connections, the first `--senders S` of which each send
//! `--messages M` lines of `--size B` bytes, at `--rate N` lines/s per sender or as fast as the
//! socket takes them. Every line carries its sender, a sequence number and the time it was
//! written; every receiver checks each sender's lines arrive exactly once and in order, and
//! measures the end-to-end latency. Lines may come back behind any prefix (`<NAME> `, or the
//! handout server's `\r<('127.0.0.1', 5555)> `); the payload is read from the end of the line,
//! and a line of this run that is not intact (split or merged by the server) counts as
//! corrupted. Before measuring, senders repeat a warm-up line until every receiver has one from
//! each, so a slow accept loop cannot pass for loss.
//!
//! **`connections N`**: N idle connections, then one broadcast that every one must receive;
//! with `--server-pid`, the server's resident memory per connection.
//!
//! **`soak SECONDS`**: well-behaved clients chat at a steady rate while others misbehave
//! (resets, stop reading, floods, over-long lines, invalid UTF-8, escape sequences). Passes only
//! if the well-behaved clients lose, duplicate and reorder nothing, receive no control bytes,
//! and (with `--server-pid`) the server's memory stops growing.
//!
//! **`ideal`**: the ideal broadcaster, a fixture server with no chat logic (see [`ideal`]), to
//! show what the machine can do under the same loads.
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
//! second (four fifths of that in the kernel: reads, wake-ups, acknowledgements). Senders format
//! a line in tens of nanoseconds, so generating load is never the limit. 19,000 idle
//! connections cost the tool about 10 MB.
//!
//! The open-files limit caps one bench process at about 19,900 connections here; the tool raises
//! its soft limit as far as the hard one allows and says so when that is too low for the run.

mod args;
mod connections;
mod fanout;
mod ideal;
mod load;
mod mischief;
mod open_files;
mod soak;

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Parser, Subcommand};

use self::load::report::Report;

/// Load-test a chat server, or run the ideal broadcaster to compare it with.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Senders say lines, everyone else checks and times them.
    ///
    /// `chat-bench fanout --port 5000 --clients 1000 --senders 10 --rate 200`.
    Fanout(args::Fanout),
    /// N idle connections, then one broadcast every one must receive.
    ///
    /// `chat-bench connections 19000 --port 5000 --server-pid PID`.
    Connections(args::Connections),
    /// Steady chatters among misbehaving clients for SECONDS.
    ///
    /// `chat-bench soak 60 --port 5000 --server-pid PID`.
    Soak(args::Soak),
    /// Run the ideal broadcaster: every line to every other connection, no chat logic.
    ///
    /// `chat-bench ideal --port 0`.
    Ideal(ideal::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Fanout(args) => finish(fanout::run(&args), args.target.json),
        Command::Connections(args) => finish(connections::run(&args), args.target.json),
        Command::Soak(args) => finish(soak::run(&args), args.target.json),
        Command::Ideal(args) => ideal::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: what went wrong, then what to do (the error chain joined with ": ").
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a load run's report, and fails if any of its checks failed.
fn finish(report: Result<Report>, json: bool) -> Result<()> {
    let report = report?;
    if json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    if !report.pass {
        bail!("the server failed the {} bench: {}", report.mode, report.failures.join("; "));
    }
    Ok(())
}
