//! Starting and stopping the ideal broadcaster's worker threads.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::{self, JoinHandle};

use anyhow::{Context, Result, anyhow};

use super::mailbox::Mailbox;
use super::worker::{self, Hub};

/// A running ideal broadcaster. Dropping it stops it.
#[derive(Debug)]
pub struct Broadcaster {
    hub: Arc<Hub>,
    threads: Vec<JoinHandle<std::io::Result<()>>>,
    local: SocketAddr,
}

impl Broadcaster {
    /// Starts `threads` worker threads serving `listener`.
    pub fn start(listener: TcpListener, threads: usize) -> Result<Self> {
        let local = listener.local_addr().context("the listener has no address")?;
        listener.set_nonblocking(true).context("could not make the listener non-blocking")?;
        let mailboxes = (0..threads.max(1))
            .map(|_| Mailbox::new())
            .collect::<std::io::Result<Vec<_>>>()
            .context("could not create an epoll instance")?;
        let hub = Arc::new(Hub { mailboxes, stop: AtomicBool::new(false) });
        let mut broadcaster = Self { hub, threads: Vec::new(), local };
        let mut listener = Some(listener);
        for index in 0..broadcaster.hub.mailboxes.len() {
            let (hub, listener) = (Arc::clone(&broadcaster.hub), listener.take());
            let handle = thread::Builder::new()
                .name(format!("ideal-{index}"))
                .spawn(move || worker::run(index, hub, listener))
                .context("could not start a worker thread")?;
            broadcaster.threads.push(handle);
        }
        Ok(broadcaster)
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Runs until a worker fails (it never stops by itself otherwise).
    pub fn wait(mut self) -> Result<()> {
        self.join()
    }

    /// Stops every worker, closing every connection; fails if one of them had failed.
    #[cfg(test)]
    pub fn stop(mut self) -> Result<()> {
        self.hub.stop();
        self.join()
    }

    fn join(&mut self) -> Result<()> {
        let mut result = Ok(());
        for handle in self.threads.drain(..) {
            let outcome = handle
                .join()
                .map_err(|_| anyhow!("a worker thread panicked"))
                .and_then(|r| r.context("a worker thread failed waiting for sockets"));
            if result.is_ok() {
                result = outcome;
            }
        }
        result
    }
}

impl Drop for Broadcaster {
    fn drop(&mut self) {
        self.hub.stop();
        let _ = self.join();
    }
}
