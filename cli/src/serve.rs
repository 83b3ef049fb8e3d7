//! `chat serve`: run a chat room until Ctrl+C or SIGTERM.

mod args;
mod bind;
mod cluster;
mod fd_limit;
mod logging;
mod signals;
mod storage;
mod transports;

use std::fmt::Display;
use std::io::Write;
use std::net::SocketAddr;
use std::num::NonZeroUsize;

use anyhow::bail;
use chat_runtime::{Kind, Options, Runtime};

pub use args::Args;

/// Runs `chat serve`: binds, starts the chosen runtime, prints where it listens, and shuts
/// down gracefully on the first Ctrl+C / SIGTERM.
pub fn run(args: Args) -> anyhow::Result<()> {
    logging::init(args.verbose);
    let mut config = args.config()?;
    if args.threads.is_some() && args.runtime == Runtime::Std {
        bail!(
            "--threads is for the smol runtime (the std runtime has a thread per connection): drop it or use --runtime smol"
        );
    }
    let data_dir = args.storage.data_dir();
    let plan =
        transports::plan(args.host.as_deref(), args.port, &args.transports, &data_dir, config.max_line)?;
    // After binding, so that a start-up error is the only line on stderr.
    fd_limit::raise_for(config.max_clients);
    let (plain, tls) = (plan.addrs(Kind::Plain), plan.addrs(Kind::Tls));
    let web = [plan.addrs(Kind::Web), plan.addrs(Kind::WebTls)].concat();
    let web_scheme = if plan.tls.is_some() { "https" } else { "http" };
    // The address really bound (`--admin 127.0.0.1:0` picks a port).
    let admin = plan.addrs(Kind::Admin).first().copied();
    // A node is named after the port it really listens on (`--port 0` picks one).
    let port = plain.first().or(tls.first()).map_or(args.port, SocketAddr::port);
    let mut bus = None;
    let mut sharing = None;
    if let Some((node, bus_config)) = args.cluster.configs(port) {
        sharing = Some(format!("Sharing rooms through Redis at {} as node {}", bus_config.url, node.node));
        config.cluster = Some(node);
        bus = Some(bus_config);
    }
    signals::survive_file_size_limit()?;
    let started = storage::start(&args.storage, args.accounts.auth(), &mut config, bus)?;
    let options = Options { threads: args.threads };
    let services = Box::new(started.services);
    let running =
        args.runtime.spawn_with_options(plan.listeners, config, services, started.stored, options)?;
    let stopper = running.stopper();
    signals::stop_on_signal(move || stopper.stop())?;
    if let Some(tls) = plan.tls {
        signals::reload_on_hangup(tls)?;
    }
    announce(&plain, args.runtime, args.threads);
    match &started.database {
        Some(path) => say(format_args!("History kept in {} (--data-dir none keeps nothing)", path.display())),
        None => say("History kept in memory only (--data-dir none)"),
    }
    if let Some(sharing) = sharing {
        say(sharing);
    }
    if !tls.is_empty() {
        let port = tls[0].port();
        say(format_args!("TLS on {} (connect with `openssl s_client -connect HOST:{port}`)", list(&tls)));
    }
    for addr in web {
        say(format_args!("Web page at {web_scheme}://{addr}/"));
    }
    if let Some(addr) = admin {
        say(format_args!("Metrics at http://{addr}/metrics"));
    }
    running.wait()?;
    say("Server stopped.");
    Ok(())
}

/// Prints, like the lab handout, that the server started and where it listens. The first line
/// is stable for scripts and tests: `Chat server started on port PORT`.
fn announce(addrs: &[SocketAddr], runtime: Runtime, threads: Option<NonZeroUsize>) {
    let runtime = match runtime {
        Runtime::Smol => {
            let threads = threads.unwrap_or_else(chat_runtime::default_smol_threads);
            let plural = if threads.get() == 1 { "" } else { "s" };
            format!("{runtime} runtime, {threads} I/O thread{plural}")
        }
        Runtime::Std => format!("{runtime} runtime"),
    };
    let Some(port) = addrs.first().map(SocketAddr::port) else {
        return say(format_args!("Chat server started without plain TCP ({runtime}); press Ctrl+C to stop."));
    };
    say(format_args!("Chat server started on port {port}"));
    say(format_args!("Listening on {} ({runtime})", list(addrs)));
    say(format_args!("Join with `chat join HOST {port}` or `nc HOST {port}`; press Ctrl+C to stop."));
}

/// `a and b`.
fn list(addrs: &[SocketAddr]) -> String {
    addrs.iter().map(SocketAddr::to_string).collect::<Vec<_>>().join(" and ")
}

/// Prints one status line on stdout. The server keeps serving if stdout is gone (say, piped
/// into `head -1`): a status line is not worth stopping a chat room for.
fn say(line: impl Display) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = writeln!(out, "{line}").and_then(|()| out.flush()) {
        tracing::debug!(%error, "cannot write to standard output");
    }
}
