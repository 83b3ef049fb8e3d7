//! `chat serve`: run a chat room until Ctrl+C or SIGTERM.

mod args;
mod bind;
mod fd_limit;
mod logging;
mod runtime;
mod signals;

use std::fmt::Display;
use std::io::Write;
use std::net::SocketAddr;

pub use args::Args;

/// Runs `chat serve`: binds, starts the chosen runtime, prints where it listens, and shuts
/// down gracefully on the first Ctrl+C / SIGTERM.
pub fn run(args: Args) -> anyhow::Result<()> {
    logging::init(args.verbose);
    let config = args.limits.config()?;
    let listeners = bind::listeners(args.host.as_deref(), args.port)?;
    // After binding, so that a start-up error is the only line on stderr.
    fd_limit::raise_for(config.max_clients);
    let addrs: Vec<SocketAddr> = listeners.iter().filter_map(|listener| listener.local_addr().ok()).collect();
    let running = runtime::spawn(args.runtime, listeners, config)?;
    signals::stop_on_signal(running.stop_handle())?;
    announce(&addrs, args.runtime);
    running.wait()?;
    say("Server stopped.");
    Ok(())
}

/// Prints, like the lab handout, that the server started and where it listens. The first line
/// is stable for scripts and tests: `Chat server started on port PORT`.
fn announce(addrs: &[SocketAddr], runtime: runtime::Runtime) {
    let port = addrs.first().map_or(0, SocketAddr::port);
    let list: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
    say(format_args!("Chat server started on port {port}"));
    say(format_args!("Listening on {} ({runtime} runtime)", list.join(" and ")));
    say(format_args!("Join with `chat join HOST {port}` or `nc HOST {port}`; press Ctrl+C to stop."));
}

/// Prints one status line on stdout. The server keeps serving if stdout is gone (say, piped
/// into `head -1`): a status line is not worth stopping a chat room for.
fn say(line: impl Display) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        tracing::debug!(%error, "cannot write to standard output");
    }
}
