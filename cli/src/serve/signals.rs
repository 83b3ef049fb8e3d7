//! Ctrl+C and SIGTERM: the first starts graceful shutdown, the second quits at once.

use std::io::Write;

use anyhow::Context;

/// Calls `stop` on the first SIGINT or SIGTERM; exits the process on the next one.
///
/// SIGHUP keeps its default action, so `nohup chat serve` behaves as usual.
pub fn stop_on_signal(stop: impl Fn() + Send + 'static) -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

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
            if let Some(signal) = signals.next() {
                let _ = writeln!(std::io::stderr(), "Quitting without waiting.");
                // 128 + the signal number, as shells report a process killed by it.
                std::process::exit(128 + signal);
            }
        })
        .context("cannot start the signal-handling thread")?;
    Ok(())
}
