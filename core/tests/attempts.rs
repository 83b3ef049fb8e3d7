//! Property tests of the failed-attempt limiter and of address ranges.
//!
//! - Whatever the order of attempts and successes, an address (or account) is never let through
//!   more than its burst plus one per refill interval elapsed, counting only attempts that were
//!   not followed by a success (for an account: since its last success).
//! - An address range prints as it parses, contains its own network, and contains an address
//!   exactly when their first `prefix` bits agree.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use chat_core::{AddressRange, AttemptLimiter, AttemptLimits};
use proptest::prelude::*;

const ADDRESS_REFILL: Duration = Duration::from_secs(10);
const ACCOUNT_REFILL: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
enum Op {
    /// Address number, account number, and whether the password then turns out right.
    Attempt(u8, u8, bool),
    /// Milliseconds pass.
    Advance(u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3u8, 0..3u8, prop::bool::weighted(0.2)).prop_map(|(a, b, ok)| Op::Attempt(a, b, ok)),
        1 => (0..20_000u32).prop_map(Op::Advance),
    ]
}

/// Attempts charged (allowed and not refunded) per key, with the time each was made.
fn within_budget(charges: &[Duration], burst: u32, refill: Duration) -> Result<(), TestCaseError> {
    // Over every window starting at a charge, charges ≤ burst + elapsed / refill.
    for (i, start) in charges.iter().enumerate() {
        for (j, end) in charges.iter().enumerate().skip(i) {
            let allowed = u128::from(burst) + (*end - *start).as_millis() / refill.as_millis();
            prop_assert!((j - i + 1) as u128 <= allowed, "{} charges in {:?}", j - i + 1, *end - *start);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn nobody_gets_more_than_the_budget(ops in prop::collection::vec(op(), 1..300)) {
        let limits = AttemptLimits {
            address_burst: 3,
            address_refill: ADDRESS_REFILL,
            account_burst: 2,
            account_refill: ACCOUNT_REFILL,
            max_tracked: 100,
        };
        let t0 = Instant::now();
        let mut now = Duration::ZERO;
        let mut limiter = AttemptLimiter::new(limits);
        let mut by_address: HashMap<u8, Vec<Duration>> = HashMap::new();
        let mut by_account: HashMap<u8, Vec<Duration>> = HashMap::new();
        for op in ops {
            match op {
                Op::Advance(ms) => now += Duration::from_millis(u64::from(ms)),
                Op::Attempt(address, account, right) => {
                    let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, address));
                    let name = format!("user{account}");
                    if limiter.attempt(t0 + now, ip, &name).is_ok() {
                        if right {
                            limiter.succeeded(t0 + now, ip, &name);
                            by_account.remove(&account);
                        } else {
                            by_address.entry(address).or_default().push(now);
                            by_account.entry(account).or_default().push(now);
                        }
                    }
                }
            }
        }
        for charges in by_address.values() {
            within_budget(charges, limits.address_burst, ADDRESS_REFILL)?;
        }
        for charges in by_account.values() {
            within_budget(charges, limits.account_burst, ACCOUNT_REFILL)?;
        }
    }

    #[test]
    fn ranges_print_as_they_parse_and_contain_what_shares_their_prefix(
        a in any::<u32>(), b in any::<u32>(), prefix in 0..=32u8,
    ) {
        let range = AddressRange::new(IpAddr::V4(a.into()), prefix).unwrap();
        prop_assert_eq!(range.to_string().parse::<AddressRange>(), Ok(range));
        prop_assert!(range.contains(IpAddr::V4(a.into())));
        let shared = prefix == 0 || (a ^ b) >> (32 - u32::from(prefix)) == 0;
        prop_assert_eq!(range.contains(IpAddr::V4(b.into())), shared);
    }

    #[test]
    fn ipv6_ranges_print_as_they_parse(a in any::<u128>(), prefix in 0..=128u8) {
        let address = IpAddr::V6(a.into()).to_canonical();
        if address.is_ipv6() {
            let range = AddressRange::new(address, prefix).unwrap();
            prop_assert_eq!(range.to_string().parse::<AddressRange>(), Ok(range));
            prop_assert!(range.contains(address));
        }
    }
}
