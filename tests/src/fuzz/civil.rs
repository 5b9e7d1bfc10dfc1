//! Calendar arithmetic for the generators: unix seconds to and from a UTC date and time
//! (proleptic Gregorian, any year), and the names browsers read in dates.

/// A UTC date and time, fields unchecked (a generator may push any of them out of range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// The year, e.g. 2026.
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// 0 to 23.
    pub hour: u32,
    /// 0 to 59.
    pub minute: u32,
    /// 0 to 59.
    pub second: u32,
    /// 0 (Monday) to 6 (Sunday).
    pub weekday: u32,
}

/// Short month names as in an IMF-fixdate.
pub const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
/// Long month names.
pub const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Short weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/// Long weekday names, Monday first.
pub const LONG_WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
#[must_use]
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The UTC date and time of unix second `t`.
#[must_use]
pub fn civil_from_unix(t: i64) -> Civil {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // 1970-01-01 was a Thursday (index 3).
    let weekday = (days + 3).rem_euclid(7);
    let narrow = |v: i64| u32::try_from(v).expect("calendar fields are small and positive");
    Civil {
        year,
        month: narrow(month),
        day: narrow(day),
        hour: narrow(secs / 3600),
        minute: narrow(secs % 3600 / 60),
        second: narrow(secs % 60),
        weekday: narrow(weekday),
    }
}

/// Unix seconds of a UTC date and time (fields must be in range).
#[must_use]
pub fn unix_from_civil(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second)
}

/// Whether `year` has a 29 February.
#[must_use]
pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// `t` as an IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`: strict for years 1000 to 9999, other
/// years written as they are (`10000`, `-248`).
#[must_use]
pub fn imf_fixdate(t: i64) -> String {
    let c = civil_from_unix(t);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[c.weekday as usize],
        c.day,
        MONTHS[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates_round_trip() {
        assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(unix_from_civil(2000, 2, 29, 0, 0, 0), 951_782_400);
        assert_eq!(imf_fixdate(-11_644_473_600), "Mon, 01 Jan 1601 00:00:00 GMT");
        for t in [
            -86_400 * 400_000,
            -1,
            0,
            1,
            951_782_400,
            4_102_444_800,
            253_402_300_799,
        ] {
            let c = civil_from_unix(t);
            assert_eq!(
                unix_from_civil(c.year, c.month, c.day, c.hour, c.minute, c.second),
                t
            );
        }
    }

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        assert!(is_leap_year(2000) && is_leap_year(2024) && is_leap_year(1600));
        assert!(!is_leap_year(1900) && !is_leap_year(2100) && !is_leap_year(2026));
    }
}
