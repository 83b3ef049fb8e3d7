//! `--soak SECONDS`: well-behaved clients chat at a steady rate while misbehaving ones do their
//! worst. The well-behaved must lose, duplicate and reorder nothing and see no control bytes;
//! the server's memory must stop growing.

use std::time::Duration;

use anyhow::Result;

use super::engine::Engine;
use super::memory::Sampler;
use super::mischief::Mischief;
use super::report::Report;
use super::{Args, sync_timeout};

/// Misbehaving clients at once (one per thread), counted against the open-files limit.
pub const MISCHIEF_SLOTS: usize = 8;

/// Lines per second per well-behaved sender when `--rate` is not given: under the default
/// flood limit of our server (3 lines/s), as a person chatting would be.
const DEFAULT_RATE: f64 = 2.0;

/// Memory may grow this much (KiB) from the first half of the soak to the second and still
/// count as bounded: queues of clients that stopped reading, allocator slack.
const SLACK_KIB: u64 = 32 * 1024;

/// Runs the soak for `seconds`.
pub fn run(args: &Args, seconds: u64) -> Result<Report> {
    let rate = args.rate.unwrap_or(DEFAULT_RATE);
    let messages = (rate * seconds as f64).ceil().max(1.0) as u32;
    let mut plan = args.plan(args.clients, args.senders.min(args.clients), messages, Some(rate))?;
    plan.check_control = true;
    let mut engine = Engine::start(plan.clone(), args.json)?;
    let ready = engine.wait_connected().and_then(|()| engine.sync(sync_timeout(plan.clients)));
    if let Err(e) = ready {
        engine.abort();
        return Err(e);
    }
    let sampler = args.server_pid.map(|pid| Sampler::start(pid, Duration::from_millis(250))).transpose()?;
    let mischief = Mischief::start(plan.addr, MISCHIEF_SLOTS)?;
    let measured = engine.measure(args.drain());
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
