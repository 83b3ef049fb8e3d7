//! `--connections N`: many idle connections, one broadcast that every one must receive, and the
//! server's memory per connection.

use std::time::Duration;

use anyhow::Result;

use super::engine::Engine;
use super::memory::rss_kib;
use super::report::Report;
use super::{Args, sync_timeout};

/// Opens `n` connections, measures the server's memory, sends one line from one of them and
/// checks that all the others receive it.
pub fn run(args: &Args, n: usize) -> Result<Report> {
    let plan = args.plan(n, 1, 1, None)?;
    let before = args.server_pid.map(rss_kib).transpose()?;
    let mut engine = Engine::start(plan.clone(), args.json)?;
    let ready = engine.wait_connected().and_then(|()| engine.sync(sync_timeout(n)));
    if let Err(e) = ready {
        engine.abort();
        return Err(e);
    }
    // Let the server settle (presence summaries, buffers of the warm-up) before measuring.
    std::thread::sleep(Duration::from_secs(3));
    let after = args.server_pid.map(rss_kib).transpose()?;
    let measured = engine.measure(args.drain())?;
    let mut report = Report::new("connections", &plan, &measured);
    if let (Some(before), Some(after)) = (before, after) {
        report.rss_kib = Some((before, after));
        report.rss_per_connection = Some(after.saturating_sub(before) as f64 * 1024.0 / n as f64);
    }
    report.settle();
    Ok(report)
}
