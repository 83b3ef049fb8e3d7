//! Per-client flood control: a token bucket on the caller's clock.
//!
//! Lines are charged when the core reads them, which is later than the client sent them when
//! the server did not read for a while (it paused reading to let its output drain). The lines
//! a client sent during such a stall all arrive at once; charged as a burst they would punish a
//! client that kept to the rate. So the bucket also counts the time the server was not reading:
//! after a stall of `d`, it may hold `rate * d` tokens beyond its size, the lines the client
//! was allowed to send meanwhile. A client that stayed within the rate as sent is never refused.

use std::time::{Duration, Instant};

/// What the bucket says about one more line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The line goes through.
    Pass,
    /// The line is refused; `first` is true for the first refusal in a row (warn once).
    Refuse { first: bool },
    /// Too many refusals in a row: disconnect.
    Kick,
}

/// A token bucket: `burst` lines at once, refilled at `rate` lines per second.
#[derive(Debug)]
pub(crate) struct FloodGate {
    tokens: f64,
    updated: Instant,
    /// The server's total stall time (see [`check`](FloodGate::check)) at the last update.
    stalled: Duration,
    refused_in_a_row: u32,
}

impl FloodGate {
    /// A full bucket at `now`, when the server had stalled for `stalled` in all.
    pub(crate) fn new(burst: u32, now: Instant, stalled: Duration) -> Self {
        Self { tokens: f64::from(burst), updated: now, stalled, refused_in_a_row: 0 }
    }

    /// Charges one line at `now` against `rate` lines/s with at most `burst` saved up; `kick`
    /// refusals in a row disconnect. `stalled` is the total time the server has not been
    /// reading (never decreasing): what it grew by since the last line is credited beyond the
    /// burst. A `rate` of 0 lets everything through.
    pub(crate) fn check(
        &mut self,
        now: Instant,
        stalled: Duration,
        rate: f64,
        burst: u32,
        kick: u32,
    ) -> Verdict {
        if rate <= 0.0 {
            return Verdict::Pass;
        }
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = self.updated.max(now);
        let credit = stalled.saturating_sub(self.stalled).as_secs_f64() * rate;
        self.stalled = self.stalled.max(stalled);
        // Tokens credited for a stall stay until spent; time only refills up to the burst.
        let cap = f64::from(burst).max(self.tokens) + credit;
        self.tokens = (self.tokens + elapsed * rate).min(cap);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.refused_in_a_row = 0;
            return Verdict::Pass;
        }
        self.refused_in_a_row += 1;
        if self.refused_in_a_row > kick {
            Verdict::Kick
        } else {
            Verdict::Refuse { first: self.refused_in_a_row == 1 }
        }
    }
}

impl FloodGate {
    /// Charges `lines` more for a line that just passed and costs more than one (`/who`). The
    /// bucket may go into debt; the lines after it wait until the rate has paid it back.
    pub(crate) fn charge_extra(&mut self, lines: u32) {
        self.tokens -= f64::from(lines);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn burst_then_rate_then_kick() {
        let t0 = Instant::now();
        let mut gate = FloodGate::new(3, t0, Duration::ZERO);
        let none = Duration::ZERO;
        for _ in 0..3 {
            assert_eq!(gate.check(t0, none, 1.0, 3, 2), Verdict::Pass);
        }
        assert_eq!(gate.check(t0, none, 1.0, 3, 2), Verdict::Refuse { first: true });
        assert_eq!(gate.check(t0, none, 1.0, 3, 2), Verdict::Refuse { first: false });
        assert_eq!(gate.check(t0, none, 1.0, 3, 2), Verdict::Kick);
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(gate.check(t1, none, 1.0, 3, 2), Verdict::Pass);
    }

    #[test]
    fn a_stall_is_credited_beyond_the_burst_once() {
        let t0 = Instant::now();
        let mut gate = FloodGate::new(3, t0, Duration::ZERO);
        // The server did not read for 10 s: 10 lines allowed then, plus the full bucket.
        let t1 = t0 + Duration::from_secs(10);
        let stalled = Duration::from_secs(10);
        for _ in 0..13 {
            assert_eq!(gate.check(t1, stalled, 1.0, 3, 2), Verdict::Pass);
        }
        assert_eq!(gate.check(t1, stalled, 1.0, 3, 2), Verdict::Refuse { first: true });
        // The same stall is not credited twice, and time alone refills only up to the burst.
        let t2 = t1 + Duration::from_secs(100);
        for _ in 0..3 {
            assert_eq!(gate.check(t2, stalled, 1.0, 3, 2), Verdict::Pass);
        }
        assert_eq!(gate.check(t2, stalled, 1.0, 3, 2), Verdict::Refuse { first: true });
    }

    #[test]
    fn an_expensive_line_puts_the_bucket_in_debt() {
        let t0 = Instant::now();
        let mut gate = FloodGate::new(3, t0, Duration::ZERO);
        assert_eq!(gate.check(t0, Duration::ZERO, 1.0, 3, 5), Verdict::Pass);
        gate.charge_extra(4);
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(gate.check(t1, Duration::ZERO, 1.0, 3, 5), Verdict::Refuse { first: true });
        let t2 = t0 + Duration::from_secs(3);
        assert_eq!(gate.check(t2, Duration::ZERO, 1.0, 3, 5), Verdict::Pass);
    }

    #[test]
    fn rate_zero_is_off() {
        let t0 = Instant::now();
        let mut gate = FloodGate::new(1, t0, Duration::ZERO);
        for _ in 0..1000 {
            assert_eq!(gate.check(t0, Duration::ZERO, 0.0, 1, 1), Verdict::Pass);
        }
    }
}
