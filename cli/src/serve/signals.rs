//! Ctrl+C and SIGTERM: the first starts graceful shutdown; another Ctrl+C quits at once.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use chat_runtime::TlsConfig;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGXFSZ};
use signal_hook::iterator::Signals;

/// Calls `stop` on the first SIGINT or SIGTERM; exits the process on a later SIGINT (a second
/// Ctrl+C). A later SIGTERM changes nothing: tools such as `timeout` send it twice (to the
/// process and to its group), and a graceful shutdown is what SIGTERM asks for.
///
/// SIGHUP keeps its default action, so `nohup chat serve` behaves as usual, unless the server
/// serves TLS: then it reloads the certificate ([`reload_on_hangup`]).
pub fn stop_on_signal(stop: impl Fn() + Send + 'static) -> anyhow::Result<()> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).context("cannot install the Ctrl+C / SIGTERM handler")?;
    std::thread::Builder::new()
        .name("chat-signals".into())
        .spawn(move || {
            let mut signals = signals.forever();
            if let Some(signal) = signals.next() {
                tracing::info!(signal, "stopping");
                super::say("Shutting down: telling everyone, then closing (Ctrl+C again to quit at once).");
                stop();
            }
            if signals.any(|signal| signal == SIGINT) {
                let _ = writeln!(std::io::stderr(), "Quitting without waiting.");
                // 128 + SIGINT, as shells report a process interrupted by Ctrl+C.
                std::process::exit(128 + SIGINT);
            }
        })
        .context("cannot start the signal-handling thread")?;
    Ok(())
}

/// Reads the TLS certificate and key again on every SIGHUP, for the connections accepted from
/// then on; nobody connected is dropped. A certificate that does not load is reported and the
/// old one kept.
pub fn reload_on_hangup(tls: TlsConfig) -> anyhow::Result<()> {
    let mut signals = Signals::new([SIGHUP]).context("cannot install the SIGHUP handler")?;
    std::thread::Builder::new()
        .name("chat-reload".into())
        .spawn(move || {
            for _ in signals.forever() {
                match tls.reload() {
                    Ok(fingerprint) => {
                        tracing::info!(%fingerprint, "TLS certificate reloaded");
                        super::say(format_args!("TLS certificate reloaded (fingerprint {fingerprint})."));
                    }
                    Err(error) => tracing::error!(
                        %error,
                        "cannot reload the TLS certificate; still serving the old one (fix the files, then send SIGHUP again)"
                    ),
                }
            }
        })
        .context("cannot start the certificate-reloading thread")?;
    Ok(())
}

/// A write past the file-size limit (`ulimit -f`) fails instead of killing the server (the
/// default action of SIGXFSZ): the database writer logs the failure and retries, and the
/// rooms go on.
pub fn survive_file_size_limit() -> anyhow::Result<()> {
    signal_hook::flag::register(SIGXFSZ, Arc::new(AtomicBool::new(false)))
        .context("cannot install the SIGXFSZ handler")?;
    Ok(())
}
