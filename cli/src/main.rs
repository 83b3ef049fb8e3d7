//! `chat`: serve a terminal chat room, or join one.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod flood_args;
mod join;
mod serve;

/// A terminal chat room: `chat serve` runs one, `chat join HOST` joins one.
#[derive(Parser)]
#[command(name = "chat", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a chat room: `chat serve [--port 5000]`.
    Serve(Box<serve::Args>),
    /// Join a chat room: `chat join [--tls] HOST [PORT] [--nick NAME]`.
    Join(join::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args),
        Command::Join(args) => join::run(args),
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
