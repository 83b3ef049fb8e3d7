//! The server's resident memory, read from `/proc/PID/status` (Linux).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use anyhow::{Context, Result};

/// Resident memory of process `pid` in KiB (`VmRSS`).
pub fn rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("could not read {path}: is --server-pid the server's process id?"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no VmRSS line in {path}"))
}

/// Samples a process's resident memory in the background.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<u64>>,
}

impl Sampler {
    /// Samples `pid` every `every` until [`Sampler::finish`].
    pub fn start(pid: u32, every: Duration) -> Result<Self> {
        let first = rss_kib(pid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            thread::Builder::new()
                .name("bench-rss".into())
                .spawn(move || {
                    let mut samples = vec![first];
                    while !stop.load(Ordering::Relaxed) {
                        thread::sleep(every);
                        if let Ok(kib) = rss_kib(pid) {
                            samples.push(kib);
                        }
                    }
                    samples
                })
                .context("could not start the memory sampler thread")?
        };
        Ok(Self { stop, thread })
    }

    /// Stops sampling; returns every sample in KiB, oldest first.
    pub fn finish(self) -> Vec<u64> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}
