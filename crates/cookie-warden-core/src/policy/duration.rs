//! The one duration grammar of cookie-warden: the policy file's lifetimes (`30m`, `400d`,
//! `12 months`, and the lifetime classes `session` and `persistent`) and the command line's
//! timeouts (`250ms`, `5s`, `2m`) alike.
//!
//! A duration is one whole number greater than zero and one unit, with or without a space between
//! them (`30m`, `30 minutes`). The units:
//!
//! | unit | spellings | seconds |
//! |---|---|---|
//! | millisecond | `ms`, `msec`, `msecs`, `millisecond`, `milliseconds` | 0.001 |
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
//! [`parse_duration`] reads a policy's duration in whole seconds (a cookie's lifetime is counted
//! in seconds, so `1500ms` is an error there, `2000ms` is `2s`); [`parse_std_duration`] reads a
//! timeout as a [`std::time::Duration`], to the millisecond.
//!
//! ```
//! use std::time::Duration;
//!
//! use cookie_warden_core::policy::duration::{parse_duration, parse_lifetime, parse_std_duration, MONTH};
//! use cookie_warden_core::policy::Lifetime;
//!
//! assert_eq!(parse_duration("30m"), Ok(1_800));
//! assert_eq!(parse_duration("12 months"), Ok(12 * MONTH));
//! assert!(12 * MONTH >= 365 * 86_400);
//! assert_eq!(parse_lifetime("session"), Ok(Lifetime::Session));
//! assert_eq!(parse_lifetime("1h"), Ok(Lifetime::AtMost(3_600)));
//! assert!(parse_duration("soon").is_err());
//! assert!(parse_duration("1500ms").is_err());
//! assert_eq!(parse_std_duration("250ms"), Ok(Duration::from_millis(250)));
//! assert_eq!(parse_std_duration("1d"), Ok(Duration::from_secs(86_400)));
//! ```

use std::fmt;
use std::time::Duration;

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

impl DurationError {
    fn new(text: &str, reason: &'static str) -> Self {
        Self {
            text: text.to_owned(),
            reason,
        }
    }
}

/// Parses a duration such as `30m`, `1h`, `400d` or `12 months` into whole seconds (always > 0),
/// as the policy file counts them.
///
/// # Errors
/// When the text is not a duration of the [module's grammar](self), or is not a whole number of
/// seconds (`1500ms`).
pub fn parse_duration(text: &str) -> Result<i64, DurationError> {
    let millis = parse_millis(text)?;
    if millis % 1_000 != 0 {
        return Err(DurationError::new(
            text,
            "the policy counts whole seconds (use s, m, h, d, w, months or y)",
        ));
    }
    i64::try_from(millis / 1_000).map_err(|_| DurationError::new(text, "the number is too large"))
}

/// Parses a duration such as `250ms`, `5s` or `2m` into a [`Duration`] (always > 0), as the
/// command line's timeouts take it.
///
/// # Errors
/// When the text is not a duration of the [module's grammar](self).
pub fn parse_std_duration(text: &str) -> Result<Duration, DurationError> {
    parse_millis(text).map(Duration::from_millis)
}

/// The duration in milliseconds.
fn parse_millis(text: &str) -> Result<u64, DurationError> {
    let fail = |reason| DurationError::new(text, reason);
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
    let millis_per_unit: u64 = match unit {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "m" | "min" | "mins" | "minute" | "minutes" => MINUTE.unsigned_abs() * 1_000,
        "h" | "hour" | "hours" => HOUR.unsigned_abs() * 1_000,
        "d" | "day" | "days" => DAY.unsigned_abs() * 1_000,
        "w" | "week" | "weeks" => WEEK.unsigned_abs() * 1_000,
        "month" | "months" => MONTH.unsigned_abs() * 1_000,
        "y" | "year" | "years" => YEAR.unsigned_abs() * 1_000,
        "" => return Err(fail("a unit is missing (ms, s, m, h, d, w, months, y)")),
        _ => return Err(fail("unknown unit (use ms, s, m, h, d, w, months or y)")),
    };
    let number: u64 = number.parse().map_err(|_| fail("the number is too large"))?;
    if number == 0 {
        return Err(fail("a duration must be longer than zero"));
    }
    number
        .checked_mul(millis_per_unit)
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
            ("1500ms", "whole seconds"),
            ("5 fortnights", "unknown unit"),
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

    #[test]
    fn milliseconds_count_in_the_policy_only_as_whole_seconds() {
        assert_eq!(parse_duration("2000ms"), Ok(2));
        assert_eq!(parse_duration("1000 milliseconds"), Ok(1));
        assert!(parse_duration("999ms").is_err());
    }

    #[test]
    fn timeouts_take_every_unit_to_the_millisecond() {
        let secs = Duration::from_secs;
        assert_eq!(parse_std_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_std_duration("5s"), Ok(secs(5)));
        assert_eq!(parse_std_duration("2m"), Ok(secs(120)));
        assert_eq!(parse_std_duration("1h"), Ok(secs(3_600)));
        assert_eq!(parse_std_duration(" 1 day "), Ok(secs(86_400)));
        assert_eq!(parse_std_duration("12 months"), Ok(secs(31_557_600)));
        for text in ["30m", "1h", "400d", "12 months", "1y", "45s", "2 weeks"] {
            assert_eq!(
                parse_std_duration(text),
                Ok(secs(parse_duration(text).unwrap().unsigned_abs())),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_timeouts_name_the_text() {
        for bad in [
            "",
            "5",
            "s",
            "0s",
            "0ms",
            "-1s",
            "1.5s",
            "5 fortnights",
            "99999999999999999999ms",
            "9999999999999999 years",
        ] {
            let err = parse_std_duration(bad).unwrap_err().to_string();
            assert!(err.contains(&format!("`{bad}`")), "{err}");
        }
    }
}
