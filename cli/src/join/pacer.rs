//! Pacing what we send to the server's flood control, so a pasted block is never cut short.
//!
//! The server lets each client send `burst` lines at once, then `rate` lines per second (a
//! token bucket, `--flood-burst` and `--flood-rate` of `chat serve`), and drops what comes
//! faster. The pacer keeps the same bucket on our side, a little smaller, and holds a line back
//! until the server's bucket is sure to have room for it: sans-IO, on the caller's clock.

use std::time::{Duration, Instant};

use chat_core::protocol::Command;

/// Lines of the server's burst we leave unused, so that network jitter (lines sent apart
/// arriving closer together) cannot make the server's bucket run dry before ours does.
const RESERVE: u32 = 2;

/// What the server charges `line` against its flood budget, in lines (see
/// [`Command::cost`]: a `/who` costs more than a message).
pub fn line_cost(line: &[u8]) -> u32 {
    match std::str::from_utf8(line).map(Command::parse) {
        Ok(Ok(command)) => command.cost(),
        _ => 1,
    }
}

/// The server's flood budget as we mirror it: a token bucket on the caller's clock.
#[derive(Clone, Debug)]
pub struct Pacer {
    /// Lines per second; 0 means the server has no flood control, so nothing is held back.
    rate: f64,
    /// Most lines saved up.
    capacity: f64,
    tokens: f64,
    updated: Instant,
}

impl Pacer {
    /// A full bucket for a server allowing `burst` lines at once and `rate` lines per second
    /// (`rate` 0: no limit).
    pub fn new(rate: f64, burst: u32, now: Instant) -> Self {
        let rate = if rate.is_finite() && rate > 0.0 { rate } else { 0.0 };
        let capacity = f64::from(burst.saturating_sub(RESERVE).max(1));
        Self { rate, capacity, tokens: capacity, updated: now }
    }

    /// Charges a line costing `cost` lines (see [`line_cost`]) at `now` if the server has room
    /// for it; otherwise says when it will.
    pub fn try_send(&mut self, now: Instant, cost: u32) -> Result<(), Instant> {
        if self.rate == 0.0 {
            return Ok(());
        }
        self.refill(now);
        let cost = f64::from(cost).min(self.capacity);
        // The tolerance keeps rounding from asking for a wait of no time at all; the reserve
        // covers it on the server's side.
        if self.tokens >= cost - 1e-9 {
            self.tokens = (self.tokens - cost).max(0.0);
            return Ok(());
        }
        let wait = Duration::from_secs_f64((cost - self.tokens) / self.rate);
        Err(self.updated + wait.max(Duration::from_micros(1)))
    }

    /// How long lines costing `cost` lines in all would take to go out from `now` (zero if
    /// they may all go at once).
    pub fn time_for(&mut self, cost: u64, now: Instant) -> Duration {
        if self.rate == 0.0 {
            return Duration::ZERO;
        }
        self.refill(now);
        let short = cost as f64 - self.tokens.floor();
        if short <= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(short / self.rate) }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.updated = self.updated.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::protocol::WHO_COST;

    #[test]
    fn a_burst_goes_at_once_then_lines_follow_at_the_rate() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(3.0, 30, t0);
        for _ in 0..28 {
            assert_eq!(pacer.try_send(t0, 1), Ok(()));
        }
        let next = pacer.try_send(t0, 1).unwrap_err();
        assert!(next > t0 && next - t0 <= Duration::from_millis(334), "{:?}", next - t0);
        assert_eq!(pacer.try_send(next, 1), Ok(()));
        assert!(pacer.try_send(next, 1).is_err());
    }

    #[test]
    fn who_costs_what_the_server_charges_and_never_more_than_the_bucket() {
        assert_eq!(line_cost(b"/who"), WHO_COST);
        assert_eq!(line_cost(b"/WHO"), WHO_COST);
        assert_eq!(line_cost(b"who"), 1);
        assert_eq!(line_cost(b"/nick who"), 1);
        let t0 = Instant::now();
        let mut pacer = Pacer::new(3.0, 30, t0);
        assert_eq!(pacer.try_send(t0, 5), Ok(()));
        assert_eq!(pacer.time_for(23, t0), Duration::ZERO);
        let mut tiny = Pacer::new(3.0, 2, t0);
        assert_eq!(tiny.try_send(t0, 5), Ok(()), "a bucket of 1 still lets /who through");
        assert!(tiny.try_send(t0, 5).is_err());
    }

    #[test]
    fn no_rate_means_no_pacing() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(0.0, 30, t0);
        assert!((0..10_000).all(|_| pacer.try_send(t0, 1).is_ok()));
        assert_eq!(pacer.time_for(1000, t0), Duration::ZERO);
    }

    #[test]
    fn the_time_a_paste_takes_is_known_in_advance() {
        let t0 = Instant::now();
        let mut pacer = Pacer::new(3.0, 30, t0);
        assert_eq!(pacer.time_for(28, t0), Duration::ZERO);
        assert_eq!(pacer.time_for(40, t0), Duration::from_secs(4));
    }

    #[test]
    fn the_server_never_refuses_a_paced_line() {
        // The server's own bucket, charged whenever our pacer lets a line go.
        let (rate, burst) = (3.0, 30);
        let t0 = Instant::now();
        let mut pacer = Pacer::new(rate, burst, t0);
        let (mut server_tokens, mut server_time) = (f64::from(burst), t0);
        let (mut now, mut sent) = (t0, 0);
        while sent < 500 {
            match pacer.try_send(now, 1) {
                Ok(()) => {
                    server_tokens =
                        (server_tokens + (now - server_time).as_secs_f64() * rate).min(f64::from(burst));
                    server_time = now;
                    assert!(server_tokens >= 1.0, "the server would refuse this line");
                    server_tokens -= 1.0;
                    sent += 1;
                }
                Err(at) => now = at,
            }
        }
        // 28 at once, then 3 a second.
        let took = now - t0;
        assert!(took >= Duration::from_secs(157) && took <= Duration::from_secs(158), "{took:?}");
    }
}
