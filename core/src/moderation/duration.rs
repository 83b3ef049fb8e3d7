//! How long a ban or a mute lasts, as typed (`10m`, `2h`, `7d`) and as shown.

use std::time::Duration;

/// The longest duration accepted: about 100 years (longer is "forever": leave it out).
const MAX_SECS: u64 = 100 * 365 * 86_400;

/// Parses a duration as operators type it: a whole number followed by `s`, `m`, `h`, `d` or
/// `w` (seconds, minutes, hours, days, weeks): `30s`, `10m`, `2h`, `7d`, `1w`. `None` for
/// anything else, zero, or more than about a hundred years.
pub(crate) fn parse(typed: &str) -> Option<Duration> {
    let unit = typed.chars().last()?;
    let digits = &typed[..typed.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let count: u64 = digits.parse().ok()?;
    let scale = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    let secs = count.checked_mul(scale).filter(|&secs| secs > 0 && secs <= MAX_SECS)?;
    Some(Duration::from_secs(secs))
}

/// A duration in the largest unit that divides it: `7d`, `90m`, `45s` (the form [`parse`] reads).
pub(crate) fn show(duration: Duration) -> String {
    let secs = duration.as_secs();
    for (unit, scale) in [('w', 7 * 86_400), ('d', 86_400), ('h', 3_600), ('m', 60)] {
        if secs >= scale && secs.is_multiple_of(scale) {
            return format!("{}{unit}", secs / scale);
        }
    }
    format!("{secs}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_show_the_same() {
        assert_eq!(parse("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse("2h"), Some(Duration::from_secs(7_200)));
        assert_eq!(parse("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse("1W"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse("45s"), Some(Duration::from_secs(45)));
        for typed in ["10m", "2h", "3d", "1w", "45s", "90m"] {
            assert_eq!(show(parse(typed).unwrap()), typed);
        }
    }

    #[test]
    fn anything_else_is_not_a_duration() {
        for typed in
            ["", "m", "10", "0m", "-1h", "1.5h", "10x", "10 m", "99999999999999999999d", "5300w", "1é"]
        {
            assert_eq!(parse(typed), None, "{typed:?}");
        }
    }
}
