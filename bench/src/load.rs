//! The load engine every mode runs on: worker threads driving the connections, the bench line,
//! the per-receiver checks and the report.

pub mod conn;
pub mod engine;
pub mod flood;
pub mod payload;
pub mod proc_stats;
pub mod report;
pub mod shared;
pub mod tally;
pub mod wire;
pub mod worker;

use std::time::Duration;

/// How long the warm-up may take: generous, as a big room joins slowly on a small machine.
pub fn sync_timeout(clients: usize) -> Duration {
    Duration::from_secs(20) + Duration::from_millis(clients as u64)
}

/// What the tests of the load tool and of the ideal broadcaster share.
#[cfg(test)]
pub mod testing {
    use std::time::Duration;

    use anyhow::Result;

    use super::engine::{Engine, Measured};
    use super::shared::Plan;

    /// Runs a plan to the end with the usual phases, quietly.
    pub fn run_plan(plan: Plan, drain: Duration) -> Result<Measured> {
        let mut engine = Engine::start(plan, true)?;
        engine.warm_up()?;
        engine.measure(drain)
    }
}
