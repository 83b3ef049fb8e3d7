//! The two runtimes behind one face: `--runtime smol|std`.

use std::fmt;
use std::net::TcpListener;

use chat_core::Config;

/// Which runtime drives the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Runtime {
    /// One event-driven thread for every client (chat-runtime-smol): the one for big rooms.
    Smol,
    /// Blocking sockets and threads per client (chat-runtime-std).
    Std,
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runtime::Smol => "smol",
            Runtime::Std => "std",
        })
    }
}

/// A server started by either runtime.
pub enum Running {
    /// Started by `chat-runtime-smol`.
    Smol(chat_runtime_smol::Running),
    /// Started by `chat-runtime-std`.
    Std(chat_runtime_std::Running),
}

/// Starts `runtime` on `listeners`.
pub fn spawn(runtime: Runtime, listeners: Vec<TcpListener>, config: Config) -> anyhow::Result<Running> {
    Ok(match runtime {
        Runtime::Smol => Running::Smol(chat_runtime_smol::spawn(listeners, config)?),
        Runtime::Std => Running::Std(chat_runtime_std::spawn(listeners, config)?),
    })
}

impl Running {
    /// A function that starts graceful shutdown, callable from any thread, any number of times.
    pub fn stop_handle(&self) -> Box<dyn Fn() + Send + Sync + 'static> {
        match self {
            Running::Smol(running) => {
                let stopper = running.stopper();
                Box::new(move || stopper.stop())
            }
            Running::Std(running) => {
                let stopper = running.stopper();
                Box::new(move || stopper.stop())
            }
        }
    }

    /// Blocks until the server has shut down.
    pub fn wait(self) -> anyhow::Result<()> {
        match self {
            Running::Smol(running) => running.wait()?,
            Running::Std(running) => running.wait()?,
        }
        Ok(())
    }
}
