//! `chat`: serve a terminal chat room, or join one.

use clap::{Parser, Subcommand};

mod bench;
mod join;

/// A terminal chat room: `chat serve` runs one, `chat join HOST PORT` joins one.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Join a chat room: `chat join HOST PORT [--nick NAME]`.
    Join(join::Args),
    /// Load-test a chat server: `chat bench --clients 1000 --senders 10 --rate 200`.
    Bench(bench::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Join(args) => join::run(args),
        Command::Bench(args) => bench::run(args),
    }
}
