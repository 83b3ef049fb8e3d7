//! `chat-bench soak SECONDS`: well-behaved clients chat at a steady rate while misbehaving ones
//! do their worst. The well-behaved must lose, duplicate and reorder nothing and see no control
//! bytes; the server's memory must stop growing.

use std::time::Duration;

use anyhow::Result;

use crate::args::{Load, Soak};
use crate::load::engine::Engine;
use crate::load::proc_stats::Sampler;
use crate::load::report::Report;
use crate::mischief::Mischief;
use crate::open_files;

/// Misbehaving clients at once (one per thread), counted against the open-files limit.
const MISCHIEF_SLOTS: usize = 8;

/// Bytes per well-behaved line.
const LINE: usize = 64;

/// Memory may grow this much (KiB) from the first half of the soak to the second and still
/// count as bounded: queues of clients that stopped reading, allocator slack.
const SLACK_KIB: u64 = 32 * 1024;

/// Runs the soak described by `args`.
pub fn run(args: &Soak) -> Result<Report> {
    let messages = (args.rate * args.seconds as f64).ceil().max(1.0) as u32;
    let load = Load {
        clients: args.clients,
        senders: args.senders.min(args.clients),
        messages,
        size: LINE,
        rate: Some(args.rate),
    };
    let mut plan = args.target.plan(load)?;
    plan.check_control = true;
    plan.stop_at_flood_control = false;
    open_files::raise_for(plan.clients + MISCHIEF_SLOTS)?;
    let mut engine = Engine::start(plan.clone(), args.target.json)?;
    engine.warm_up()?;
    let sampler = args.server_pid.map(|pid| Sampler::start(pid, Duration::from_millis(250))).transpose()?;
    let mischief = Mischief::start(plan.addrs[0], MISCHIEF_SLOTS)?;
    let measured = engine.measure(args.target.drain());
    let misbehaved = mischief.finish();
    let samples = sampler.map(Sampler::finish);
    let measured = measured?;

    let mut report = Report::new("soak", &plan, &measured);
    report.misbehaved = Some(misbehaved);
    report.control_bytes = Some(measured.control_bytes);
    if measured.control_bytes > 0 {
        report.fail(format!("{} control bytes reached well-behaved clients", measured.control_bytes));
    }
    if let Some(samples) = samples.filter(|s| s.len() >= 4) {
        let (first, second) = samples.split_at(samples.len() / 2);
        let (early, late) = (peak(first), peak(second));
        report.rss_kib = Some((samples[0], early.max(late)));
        let allowed = early + SLACK_KIB.max(early / 4);
        if late > allowed {
            report.fail(format!(
                "server memory kept growing: peak {early} KiB in the first half, {late} KiB in the second"
            ));
        }
    }
    report.settle();
    Ok(report)
}

fn peak(samples: &[u64]) -> u64 {
    samples.iter().copied().max().unwrap_or(0)
}
