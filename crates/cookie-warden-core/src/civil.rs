//! The proleptic Gregorian calendar the core's dates need, in one place: days since the Unix
//! epoch from a civil date and back (Howard Hinnant's algorithms,
//! <https://howardhinnant.github.io/date_algorithms.html>), and the length of a month. Used by the
//! cookie-date parser (`set_cookie::date`), the HTTP `Date` reader (`http_date`) and the
//! canonical writer (`set_cookie::serialize`). The binary uses `jiff` for its timestamps; the core
//! keeps these few lines to stay dependency-free and allocation-free on the parse path.

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The number of days in `month` of `year` (proleptic Gregorian).
pub(crate) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The inverse of `days_from_civil` (Howard Hinnant's `civil_from_days`): (year, month, day).
pub(crate) fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates_round_trip_over_the_years_cookies_use() {
        // 1601-01-01 (the draft's earliest year) to 9999-12-31, every day.
        let first = days_from_civil(1601, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        for days in first..=last {
            let (year, month, day) = civil_from_days(days);
            let (month, day) = (u32::try_from(month).unwrap(), u32::try_from(day).unwrap());
            assert!((1..=12).contains(&month) && day >= 1);
            assert!(
                day <= days_in_month(u32::try_from(year).unwrap(), month),
                "{year}-{month}-{day}"
            );
            assert_eq!(days_from_civil(year, month, day), days);
        }
    }

    #[test]
    fn known_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 4), 30);
    }
}
