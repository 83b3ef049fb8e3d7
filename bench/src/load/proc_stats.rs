//! The server's resident memory and CPU time, read from `/proc/PID/status` and `/proc/PID/stat`
//! (Linux).

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

/// CPU time (user and system, every thread) process `pid` has used so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path)
        .with_context(|| format!("could not read {path}: is --server-pid the server's process id?"))?;
    // The fields after the command name (which is in parentheses and may hold spaces): state is
    // the first, utime the 12th and stime the 13th.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let (user, system) = ticks(11).zip(ticks(12)).with_context(|| format!("no CPU times in {path}"))?;
    Ok((user + system) as f64 / rustix::param::clock_ticks_per_second() as f64)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        assert!(rss_kib(std::process::id()).expect("own memory") > 0);
        // Burn a little CPU so that at least one tick is counted.
        let begun = std::time::Instant::now();
        let mut x = 0u64;
        while cpu_seconds(std::process::id()).expect("own CPU time") == 0.0 && begun.elapsed().as_secs() < 10
        {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        assert!(cpu_seconds(std::process::id()).expect("own CPU time") > 0.0, "{x}");
    }
}
