//! `chat`: serve a terminal chat room, or join one.

use std::io::Write as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod flood_args;
mod join;
mod serve;

/// The process's allocator: jemalloc, because glibc's malloc keeps the memory that a burst of
/// clients freed (after issue 9's memory attack, 32-197 MiB stayed resident on smol against a
/// 5 MiB baseline; with jemalloc, 8-9 MiB against 6). BENCHMARKS.md has the comparison with glibc
/// and mimalloc. Release builds only: in a debug build the std runtime's 64 KiB client threads
/// overflow their stacks under jemalloc (they did not in release builds, 4,000 threads at once).
#[cfg(all(unix, not(debug_assertions)))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once at start (`_RJEM_MALLOC_CONF` in the environment overrides
/// them): a background thread hands freed pages back to the system within about a tenth of a
/// second (`dirty_decay_ms`, then at once: `muzzy_decay_ms:0`; with a second, an idle server
/// kept about 5 MB of freed pages of 19,000 connections' arrival resident, 250 bytes a
/// connection, and the fan-out loads spent no more CPU with a tenth), and no per-thread caches (`tcache`),
/// which the std runtime's two threads per client would each fill (its peak under the attack
/// was 400-530 MiB with them, 200-340 MiB without; fan-out speed did not suffer).
#[cfg(all(unix, not(debug_assertions)))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8] = b"background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0,tcache:false\0";

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
            // Never a panic when stderr is gone (a closed terminal, a log reader that exited).
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
