//! Log output on stderr with `tracing`.

use std::io::{self, IsTerminal, Write};

use tracing::level_filters::LevelFilter;
use tracing_subscriber::EnvFilter;

/// Sends logs to stderr: warnings only by default, `-v` info, `-vv` debug, `-vvv` trace;
/// directives in `RUST_LOG` take precedence.
///
/// A log line that cannot be written (stderr piped into `head` or `tee` that has exited) is
/// dropped: losing the log must never stop the server or any of its threads.
pub fn init(verbose: u8) {
    let level = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = EnvFilter::builder().with_default_directive(level.into()).from_env_lossy();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LossyStderr)
        .with_ansi(io::stderr().is_terminal())
        .init();
}

/// Standard error that reports every write as done, whether or not it was.
///
/// `tracing-subscriber` reports a failed write with `eprintln!`, which panics when stderr
/// itself is the stream that failed (a closed pipe: EPIPE), killing whichever thread logged:
/// the signal handler, an accept loop. Swallowing the error here is the whole fix.
struct LossyStderr;

impl Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // Report the whole buffer written, so `write_all` neither retries nor fails.
        let _ = io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
