//! `chat-bench connections N`: many idle connections, one broadcast that every one must
//! receive, and the server's memory per connection.

use std::time::Duration;

use anyhow::Result;

use crate::args::{Connections, Load};
use crate::load::engine::Engine;
use crate::load::proc_stats::rss_kib;
use crate::load::report::Report;
use crate::open_files;

/// Bytes of the one broadcast line.
const LINE: usize = 64;

/// Opens the connections, measures the server's memory, sends one line from one of them and
/// checks that all the others receive it.
pub fn run(args: &Connections) -> Result<Report> {
    let n = args.connections;
    let load = Load { clients: n, senders: 1, messages: 1, size: LINE, rate: None };
    let plan = args.target.plan(load)?;
    open_files::raise_for(n)?;
    let before = args.server_pid.map(rss_kib).transpose()?;
    let mut engine = Engine::start(plan.clone(), args.target.json)?;
    engine.warm_up()?;
    // Let the server settle (presence summaries, buffers of the warm-up) before measuring.
    std::thread::sleep(Duration::from_secs(3));
    let after = args.server_pid.map(rss_kib).transpose()?;
    let measured = engine.measure(args.target.drain())?;
    let mut report = Report::new("connections", &plan, &measured);
    if let (Some(before), Some(after)) = (before, after) {
        report.rss_kib = Some((before, after));
        report.rss_per_connection = Some(after.saturating_sub(before) as f64 * 1024.0 / n as f64);
    }
    report.settle();
    Ok(report)
}
