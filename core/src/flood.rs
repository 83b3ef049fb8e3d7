//! Per-client flood control: a token bucket on the caller's clock.

use std::time::Instant;

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
    refused_in_a_row: u32,
}

impl FloodGate {
    pub(crate) fn new(burst: u32, now: Instant) -> Self {
        Self { tokens: f64::from(burst), updated: now, refused_in_a_row: 0 }
    }

    /// Charges one line at `now` against `rate` lines/s with at most `burst` saved up; `kick`
    /// refusals in a row disconnect. A `rate` of 0 lets everything through.
    pub(crate) fn check(&mut self, now: Instant, rate: f64, burst: u32, kick: u32) -> Verdict {
        if rate <= 0.0 {
            return Verdict::Pass;
        }
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = self.updated.max(now);
        self.tokens = (self.tokens + elapsed * rate).min(f64::from(burst));
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
        let mut gate = FloodGate::new(3, t0);
        for _ in 0..3 {
            assert_eq!(gate.check(t0, 1.0, 3, 2), Verdict::Pass);
        }
        assert_eq!(gate.check(t0, 1.0, 3, 2), Verdict::Refuse { first: true });
        assert_eq!(gate.check(t0, 1.0, 3, 2), Verdict::Refuse { first: false });
        assert_eq!(gate.check(t0, 1.0, 3, 2), Verdict::Kick);
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(gate.check(t1, 1.0, 3, 2), Verdict::Pass);
    }

    #[test]
    fn an_expensive_line_puts_the_bucket_in_debt() {
        let t0 = Instant::now();
        let mut gate = FloodGate::new(3, t0);
        assert_eq!(gate.check(t0, 1.0, 3, 5), Verdict::Pass);
        gate.charge_extra(4);
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(gate.check(t1, 1.0, 3, 5), Verdict::Refuse { first: true });
        let t2 = t0 + Duration::from_secs(3);
        assert_eq!(gate.check(t2, 1.0, 3, 5), Verdict::Pass);
    }

    #[test]
    fn rate_zero_is_off() {
        let t0 = Instant::now();
        let mut gate = FloodGate::new(1, t0);
        for _ in 0..1000 {
            assert_eq!(gate.check(t0, 0.0, 1, 1), Verdict::Pass);
        }
    }
}
