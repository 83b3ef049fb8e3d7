//! The two runtimes under test, behind one interface.

use std::fmt;
use std::net::TcpListener;

use chat_core::Config;

/// Which runtime drives the core in a test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// `chat-runtime-smol`: async, on smol / async-net.
    Smol,
    /// `chat-runtime-std`: blocking `std::net` and threads.
    Std,
}

impl Runtime {
    /// Both runtimes.
    pub const ALL: [Runtime; 2] = [Runtime::Smol, Runtime::Std];

    /// Starts serving `listeners` with `config` on this runtime.
    pub(crate) fn spawn(self, listeners: Vec<TcpListener>, config: Config) -> Result<Handle, String> {
        /// Wraps one runtime crate's `Running` and `Stopper`; both crates have the same shape.
        macro_rules! handle {
            ($krate:ident) => {{
                let running = $krate::spawn(listeners, config).map_err(|e| e.to_string())?;
                let stopper = running.stopper();
                Handle {
                    stop: Box::new(move || stopper.stop()),
                    wait: Box::new(move || running.wait().map_err(|e| e.to_string())),
                }
            }};
        }
        Ok(match self {
            Runtime::Smol => handle!(chat_runtime_smol),
            Runtime::Std => handle!(chat_runtime_std),
        })
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runtime::Smol => "smol",
            Runtime::Std => "std",
        })
    }
}

/// A running server of either runtime, reduced to what the tests need.
pub(crate) struct Handle {
    /// Starts graceful shutdown; idempotent.
    pub(crate) stop: Box<dyn Fn() + Send + Sync>,
    /// Blocks until the server has shut down.
    pub(crate) wait: Box<dyn FnOnce() -> Result<(), String> + Send>,
}
