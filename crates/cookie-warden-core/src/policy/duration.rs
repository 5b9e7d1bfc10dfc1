//! Durations as the policy file writes them: `30m`, `1h`, `400d`, `12 months`, and the lifetime
//! classes `session` and `persistent`.
//!
//! A duration is one whole number and one unit, with or without a space between them. The units:
//!
//! | unit | spellings | seconds |
//! |---|---|---|
//! | second | `s`, `sec`, `secs`, `second`, `seconds` | 1 |
//! | minute | `m`, `min`, `mins`, `minute`, `minutes` | 60 |
//! | hour | `h`, `hour`, `hours` | 3,600 |
//! | day | `d`, `day`, `days` | 86,400 |
//! | week | `w`, `week`, `weeks` | 604,800 |
//! | month | `month`, `months` | 2,629,800 (365.25 / 12 days) |
//! | year | `y`, `year`, `years` | 31,557,600 (365.25 days) |
//!
//! A month is a twelfth of an average Gregorian-Julian year (365.25 days), so `12 months` equals
//! `1 year` and admits a cookie that lives 365 days (or 366 in a leap year's worth of rounding).
//! `m` is minutes, never months: months are always spelled out.
//!
//! ```
//! use cookie_warden_core::policy::duration::{parse_duration, parse_lifetime, MONTH};
//! use cookie_warden_core::policy::Lifetime;
//!
//! assert_eq!(parse_duration("30m"), Ok(1_800));
//! assert_eq!(parse_duration("12 months"), Ok(12 * MONTH));
//! assert!(12 * MONTH >= 365 * 86_400);
//! assert_eq!(parse_lifetime("session"), Ok(Lifetime::Session));
//! assert_eq!(parse_lifetime("1h"), Ok(Lifetime::AtMost(3_600)));
//! assert!(parse_duration("soon").is_err());
//! ```

use std::fmt;

use crate::policy::compiled::Lifetime;

/// Seconds in a minute.
pub const MINUTE: i64 = 60;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;
/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Seconds in a week.
pub const WEEK: i64 = 7 * DAY;
/// Seconds in a year: 365.25 days.
pub const YEAR: i64 = 365 * DAY + DAY / 4;
/// Seconds in a month: a twelfth of [`YEAR`] (30.4375 days).
pub const MONTH: i64 = YEAR / 12;

/// The longest lifetime a browser keeps a cookie (RFC 6265bis: 400 days).
pub const BROWSER_MAX_LIFETIME: i64 = 400 * DAY;

/// Why a duration does not parse. The message carries the text as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    text: String,
    reason: &'static str,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a duration: {}", self.text, self.reason)
    }
}

impl std::error::Error for DurationError {}

/// Parses a duration such as `30m`, `1h`, `400d` or `12 months` into seconds (always > 0).
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    let fail = |reason| DurationError {
        text: text.to_owned(),
        reason,
    };
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    if number.is_empty() {
        return Err(fail(
            "expected a whole number followed by a unit, as in `30m`, `1h`, `400d`, `12 months`",
        ));
    }
    let unit = unit.trim_start();
    let seconds_per_unit = match unit {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
        "h" | "hour" | "hours" => HOUR,
        "d" | "day" | "days" => DAY,
        "w" | "week" | "weeks" => WEEK,
        "month" | "months" => MONTH,
        "y" | "year" | "years" => YEAR,
        "" => return Err(fail("a unit is missing (s, m, h, d, w, months, y)")),
        _ => return Err(fail("unknown unit (use s, m, h, d, w, months or y)")),
    };
    let number: i64 = number.parse().map_err(|_| fail("the number is too large"))?;
    if number == 0 {
        return Err(fail("a duration must be longer than zero"));
    }
    number
        .checked_mul(seconds_per_unit)
        .ok_or_else(|| fail("the number is too large"))
}

/// Parses a rule's `lifetime`: `session`, `persistent` or a duration.
pub fn parse_lifetime(text: &str) -> Result<Lifetime, DurationError> {
    match text.trim() {
        "session" => Ok(Lifetime::Session),
        "persistent" => Ok(Lifetime::Persistent),
        _ => parse_duration(text).map(Lifetime::AtMost),
    }
}

/// Writes seconds back as the shortest exact duration (`1h`, `400d`, `12 months`), for messages.
pub fn format_duration(seconds: i64) -> String {
    if seconds > 0 && seconds % YEAR == 0 {
        let n = seconds / YEAR;
        return format!("{n} year{}", if n == 1 { "" } else { "s" });
    }
    if seconds > 0 && seconds % MONTH == 0 {
        let n = seconds / MONTH;
        return format!("{n} month{}", if n == 1 { "" } else { "s" });
    }
    for (unit, per) in [("d", DAY), ("h", HOUR), ("m", MINUTE)] {
        if seconds > 0 && seconds % per == 0 {
            return format!("{}{unit}", seconds / per);
        }
    }
    format!("{seconds}s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_parses() {
        assert_eq!(parse_duration("45s"), Ok(45));
        assert_eq!(parse_duration("30m"), Ok(1_800));
        assert_eq!(parse_duration("30 minutes"), Ok(1_800));
        assert_eq!(parse_duration("1h"), Ok(3_600));
        assert_eq!(parse_duration("400d"), Ok(400 * DAY));
        assert_eq!(parse_duration("2 weeks"), Ok(14 * DAY));
        assert_eq!(parse_duration("1 month"), Ok(2_629_800));
        assert_eq!(parse_duration("12 months"), Ok(YEAR));
        assert_eq!(parse_duration("1y"), Ok(31_557_600));
    }

    #[test]
    fn twelve_months_admit_a_365_day_cookie_and_thirteen_exceed_it() {
        assert!(parse_duration("12 months").unwrap() >= 365 * DAY);
        assert!(parse_duration("13 months").unwrap() < BROWSER_MAX_LIFETIME);
    }

    #[test]
    fn bad_durations_name_the_text_and_the_reason() {
        for (text, reason) in [
            ("", "whole number"),
            ("m30", "whole number"),
            ("30", "unit is missing"),
            ("30 fortnights", "unknown unit"),
            ("0d", "longer than zero"),
            ("-1d", "whole number"),
            ("1.5h", "unknown unit"),
            ("99999999999999999999d", "too large"),
            ("9999999999999999 years", "too large"),
        ] {
            let err = parse_duration(text).unwrap_err().to_string();
            assert!(err.contains(&format!("`{text}`")), "{err}");
            assert!(err.contains(reason), "{text}: {err}");
        }
    }

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("session"), Ok(Lifetime::Session));
        assert_eq!(parse_lifetime("persistent"), Ok(Lifetime::Persistent));
        assert_eq!(parse_lifetime("12 months"), Ok(Lifetime::AtMost(YEAR)));
        assert!(parse_lifetime("Session").is_err());
    }

    #[test]
    fn formatting_round_trips() {
        for text in ["30m", "1h", "400d", "12 months", "1 year", "45s", "13 months"] {
            let secs = parse_duration(text).unwrap();
            assert_eq!(parse_duration(&format_duration(secs)), Ok(secs), "{text}");
        }
        assert_eq!(format_duration(400 * DAY), "400d");
        assert_eq!(format_duration(YEAR), "1 year");
    }
}
