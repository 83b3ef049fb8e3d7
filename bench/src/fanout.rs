//! `chat-bench fanout`: senders say lines, everyone else checks and times them.

use anyhow::Result;

use crate::args::{Fanout, Load};
use crate::load::report::Report;
use crate::load::run_plan;
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
    let measured = run_plan(plan.clone(), args.target.json, args.target.drain())?;
    let mut report = Report::new("fanout", &plan, &measured);
    report.settle();
    Ok(report)
}
