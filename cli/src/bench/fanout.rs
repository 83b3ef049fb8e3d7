//! The default mode: senders say lines, everyone else checks and times them.

use anyhow::Result;

use super::report::Report;
use super::{Args, run_plan};

/// Runs the fan-out bench described by `args`.
pub fn run(args: &Args) -> Result<Report> {
    let plan = args.plan(args.clients, args.senders, args.messages, args.rate)?;
    let measured = run_plan(plan.clone(), args.json, args.drain())?;
    let mut report = Report::new("fanout", &plan, &measured);
    report.settle();
    Ok(report)
}
