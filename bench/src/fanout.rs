//! `chat-bench fanout`: senders say lines, everyone else checks and times them.

use anyhow::Result;

use crate::args::{Fanout, Load};
use crate::load::engine::Engine;
use crate::load::proc_stats::cpu_seconds;
use crate::load::report::Report;
use crate::open_files;

/// Runs the fan-out bench described by `args`.
pub fn run(args: &Fanout) -> Result<Report> {
    let load = Load {
        clients: args.clients,
        senders: args.senders,
        messages: args.messages,
        size: args.size,
        rate: args.rate,
    };
    let plan = args.target.plan(load)?;
    open_files::raise_for(plan.clients)?;
    let mut engine = Engine::start(plan.clone(), args.target.json)?;
    engine.warm_up()?;
    let before = args.server_pid.map(cpu_seconds).transpose()?;
    let measured = engine.measure(args.target.drain())?;
    let after = args.server_pid.map(cpu_seconds).transpose()?;
    let mut report = Report::new("fanout", &plan, &measured);
    report.server_cpu_seconds = before.zip(after).map(|(before, after)| after - before);
    report.settle();
    Ok(report)
}
