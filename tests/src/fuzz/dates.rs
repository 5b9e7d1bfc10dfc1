//! Dates, above all: the `Expires` values of generated `Set-Cookie` headers and the response
//! `Date` headers beside them.
//!
//! Browsers read cookie dates with the RFC 6265bis §5.1.1 token algorithm, each with its own
//! departures (Chromium: a token holding `:` never gives a day or a year; the day only from
//! numeric tokens of at most 2 characters; years from tokens of up to 5 characters; …), and
//! Chromium measures `Expires` against a leniently parsed response `Date`. So the generator makes
//! every shape those readers split on: correct dates in IMF-fixdate (the canonical subset) and in
//! every other order and delimiter, tokens glued with `:` or letters, 1 to 6 digit days and years,
//! two-digit years, leap days on leap and common years, out-of-range fields, and weekdays right,
//! wrong, long or missing.

use super::civil::{
    LONG_MONTHS, LONG_WEEKDAYS, MONTHS, WEEKDAYS, civil_from_unix, imf_fixdate, is_leap_year,
};
use super::rng::FuzzRng;

const DAY: i64 = 86_400;
const YEAR: i64 = 365 * DAY;

/// A moment for an `Expires` or a `Date`, relative to the batch's base time `now`: the past and
/// the future near and far, the edges of the browsers' ranges (1601, 9999, the 400-day cap), leap
/// days.
pub fn moment(rng: &mut FuzzRng, now: i64) -> i64 {
    match rng.index(12) {
        0 => now - rng.between(1, 3600),
        1 => now + rng.between(1, 3600),
        2 => now + rng.between(3600, 30 * DAY),
        3 => now + rng.between(390 * DAY, 410 * DAY),
        4 => now + rng.between(2 * YEAR, 60 * YEAR),
        5 => now - rng.between(DAY, 60 * YEAR),
        6 => rng.pick_copy(&[0, -1, 1, 946_684_800, 2_145_916_800, 4_102_444_800]),
        7 => {
            // A leap day, of a leap year or (pushed past 28 Feb) a common one.
            let year = now.div_euclid(YEAR) + 1970 + rng.between(-40, 40);
            let year = if rng.chance(0.7) {
                year - year.rem_euclid(4)
            } else {
                year
            };
            super::civil::unix_from_civil(year, 2, 28, 12, 0, 0) + DAY
        }
        8 => rng.between(-11_644_473_600 - 10 * YEAR, -11_644_473_600 + 10 * YEAR), // around 1601
        9 => rng.between(253_402_300_799 - 10 * YEAR, 253_402_300_799 + 10 * YEAR), // around 9999
        10 => now + rng.pick_copy(&[0, 3599, 3600, 3601, 1800, 34_560_000, 34_560_001]),
        _ => now + rng.between(-2 * YEAR, 2 * YEAR),
    }
}

/// The calendar fields of a date as strings, before they are put in some order.
struct Fields {
    weekday: Option<String>,
    day: String,
    month: String,
    year: String,
    time: String,
    zone: Option<String>,
}

/// Digits of `n` padded with zeros to `width` (no sign for negatives: the generator's years and
/// days are non-negative).
fn padded(n: i64, width: usize) -> String {
    format!("{:0width$}", n.unsigned_abs())
}

fn weekday_field(rng: &mut FuzzRng, weekday: usize) -> Option<String> {
    match rng.index(8) {
        0 | 1 => None,
        2 => Some(WEEKDAYS[(weekday + 1 + rng.index(6)) % 7].to_owned()), // wrong day
        3 => Some(LONG_WEEKDAYS[weekday].to_owned()),
        4 => Some(WEEKDAYS[weekday].to_lowercase()),
        _ => Some(WEEKDAYS[weekday].to_owned()),
    }
}

fn day_field(rng: &mut FuzzRng, day: u32) -> String {
    let day = i64::from(day);
    match rng.index(10) {
        0 => day.to_string(),
        1 => padded(day, rng.pick_copy(&[3, 4, 5, 6])),
        2 => rng.pick_copy(&[0, 32, 99, 31, 30, 100]).to_string(),
        3 => format!("{day}{}", rng.pick(&["st", "th", "x", ":"])),
        _ => padded(day, 2),
    }
}

fn month_field(rng: &mut FuzzRng, month: u32) -> String {
    let m = month as usize - 1;
    match rng.index(12) {
        0 => LONG_MONTHS[m].to_owned(),
        1 => MONTHS[m].to_uppercase(),
        2 => MONTHS[m].to_lowercase(),
        3 => format!("{}{}", MONTHS[m], rng.pick(&["x", "uary", "."])),
        4 => MONTHS[m][..2].to_owned(),
        5 => padded(i64::from(month), 2),
        _ => MONTHS[m].to_owned(),
    }
}

fn year_field(rng: &mut FuzzRng, year: i64) -> String {
    match rng.index(12) {
        0 => padded(year.rem_euclid(100), 2),
        1 => padded(year.rem_euclid(100), 1),
        2 => padded(year, rng.pick_copy(&[5, 6])),
        3 => padded(year.rem_euclid(1000), 3),
        4 => rng
            .pick_copy(&[69, 70, 99, 0, 1600, 1601, 9999, 10_000, 99_999, 100_000])
            .to_string(),
        5 => format!("{year}{}", rng.pick(&[":00", "x", "."])),
        _ => padded(year, 4),
    }
}

fn time_field(rng: &mut FuzzRng, hour: u32, minute: u32, second: u32) -> String {
    match rng.index(12) {
        0 => format!("{hour}:{minute}:{second}"),
        1 => format!("{hour:02}:{minute:02}"),
        2 => format!("{hour:02}:{minute:02}:{second:02}:00"),
        3 => rng
            .pick(&[
                "24:00:00",
                "23:60:00",
                "23:59:60",
                "99:99:99",
                "-1:00:00",
                "00:00:00.5",
            ])
            .to_owned(),
        4 => format!("{hour:03}:{minute:02}:{second:02}"),
        5 => format!("{hour:02}{minute:02}{second:02}"),
        _ => format!("{hour:02}:{minute:02}:{second:02}"),
    }
}

/// `t` in IMF-fixdate shape: strict for four-digit years, any other year as it comes.
pub fn fixdate(t: i64) -> String {
    imf_fixdate(t)
}

/// An `Expires` value near `now`: a strict IMF-fixdate about a third of the time, else any of the
/// shapes in the module docs.
pub fn cookie_date(rng: &mut FuzzRng, now: i64) -> String {
    let t = moment(rng, now);
    if rng.chance(0.3) {
        return fixdate(t);
    }
    match rng.index(10) {
        // The issue's own examples and their kin: a token with `:` holding the real year.
        0 => {
            let c = civil_from_unix(t);
            let decoy = rng.between(1970, 2000);
            format!(
                "{:02} {} {decoy}:00 {} {:02}:{:02}:{:02}",
                c.day,
                MONTHS[c.month as usize - 1],
                padded(c.year, 4),
                c.hour,
                c.minute,
                c.second
            )
        }
        1 => {
            let c = civil_from_unix(t);
            format!(
                "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
                WEEKDAYS[c.weekday as usize],
                c.day,
                MONTHS[c.month as usize - 1],
                padded(c.year, rng.pick_copy(&[1, 2, 3, 5, 6])),
                c.hour,
                c.minute,
                c.second
            )
        }
        2 => {
            // Leap day written out for a year that may not have one.
            let year = civil_from_unix(t).year;
            let day = if is_leap_year(year) || rng.chance(0.5) {
                29
            } else {
                30
            };
            format!("{}, {day} Feb {year} 00:00:00 GMT", WEEKDAYS[rng.index(7)])
        }
        3 => rng
            .pick(&[
                "",
                "0",
                "now",
                "Thu, 01 Jan 1970 00:00:00 GMT",
                "Thu, 01-Jan-70 00:00:01 GMT",
                "Fri, 31 Dec 9999 23:59:59 GMT",
                "Mon, 01 Jan 1601 00:00:00 GMT",
                "Sun, 31 Dec 1600 23:59:59 GMT",
                "Sat, 01 Jan 10000 00:00:00 GMT",
                "Wed, 01 Jan 02030 00:00:00 GMT",
                "01 Jan 1999:00 2030 00:00:00",
                "-1",
                "Tue, 29 Feb 2100 00:00:00 GMT",
            ])
            .to_owned(),
        _ => shuffled_date(rng, t),
    }
}

/// The fields of `t`, each possibly mangled, in a random order with random delimiters.
fn shuffled_date(rng: &mut FuzzRng, t: i64) -> String {
    let c = civil_from_unix(t);
    let fields = Fields {
        weekday: weekday_field(rng, c.weekday as usize),
        day: day_field(rng, c.day),
        month: month_field(rng, c.month),
        year: year_field(rng, c.year),
        time: time_field(rng, c.hour, c.minute, c.second),
        zone: match rng.index(6) {
            0 => None,
            1 => Some(rng.pick(&["UTC", "+0000", "PST", "Z", "gmt", "GMT+1"]).to_owned()),
            _ => Some("GMT".to_owned()),
        },
    };
    let mut parts = vec![fields.day, fields.month, fields.year, fields.time];
    if rng.chance(0.6) {
        rng.shuffle(&mut parts);
    }
    if rng.chance(0.15) {
        // A token glued from two fields, as in `Jan2030` or `1999:00`.
        let i = rng.index(parts.len() - 1);
        let next = parts.remove(i + 1);
        let glue = rng.pick(&["", ":", "x"]);
        parts[i] = format!("{}{glue}{next}", parts[i]);
    }
    if rng.chance(0.1) {
        let at = rng.index(parts.len() + 1);
        parts.insert(
            at,
            rng.pick(&["junk", "12:00", "2040", "7", "1:2:3", "Jan"])
                .to_owned(),
        );
    }
    let mut out = String::new();
    if let Some(weekday) = fields.weekday {
        out.push_str(&weekday);
        out.push_str(rng.pick(&[", ", ",", " ", ",  "]));
    }
    let delimiter = rng.pick(&[" ", " ", " ", "-", "/", ",", "  ", "\t", ".", " , ", "_"]);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(if rng.chance(0.1) {
                rng.pick(&[" ", "-", "!"])
            } else {
                delimiter
            });
        }
        out.push_str(part);
    }
    if let Some(zone) = fields.zone {
        out.push(' ');
        out.push_str(&zone);
    }
    out
}

/// The response's `Date` headers (none, one or two values) for a batch whose cookies are dated
/// around `now`: strict IMF-fixdate, and the forms a lenient reader (Chromium's) also accepts.
pub fn response_dates(rng: &mut FuzzRng, now: i64) -> Vec<String> {
    match rng.index(10) {
        0 => Vec::new(),
        1 => vec![response_date(rng, now), response_date(rng, now)],
        2 | 3 => vec![imf_fixdate(now)],
        _ => vec![response_date(rng, now)],
    }
}

fn response_date(rng: &mut FuzzRng, now: i64) -> String {
    let t = match rng.index(6) {
        0 => now - DAY,
        1 => now - rng.between(YEAR, 40 * YEAR),
        2 => now + rng.between(DAY, 2 * YEAR),
        3 => now - rng.between(60, 3600),
        _ => now,
    };
    let c = civil_from_unix(t);
    let (wd, mon) = (WEEKDAYS[c.weekday as usize], MONTHS[c.month as usize - 1]);
    let (y, d) = (c.year, c.day);
    let hms = format!("{:02}:{:02}:{:02}", c.hour, c.minute, c.second);
    match rng.index(12) {
        0 => format!("{wd}, {d:02} {mon} {y} {hms} UTC"),
        1 => format!("{wd}, {d} {mon} {y} {hms} GMT"),
        2 => format!("{d:02} {mon} {y} {hms} GMT"),
        3 => format!("{d:02}-{mon}-{y}"),
        4 => imf_fixdate(t).to_lowercase(),
        5 => format!("{y:04}-{:02}-{d:02}T{hms}Z", c.month),
        6 => format!(
            "{}, {d:02}-{mon}-{:02} {hms} GMT",
            LONG_WEEKDAYS[c.weekday as usize],
            y % 100
        ),
        7 => format!("{wd} {mon} {d:>2} {hms} {y}"),
        8 => format!("{wd}, {d:02} {mon} {y} {hms}"),
        9 => rng
            .pick(&["yesterday", "0", "", "Thu, 01 Jan 1970 00:00:00 GMT"])
            .to_owned(),
        _ => imf_fixdate(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_796_270_400; // 2026-12-03 04:00:00 UTC

    #[test]
    fn the_same_seed_gives_the_same_dates() {
        let draw = |seed| {
            let mut rng = FuzzRng::new(seed);
            (0..200).map(|_| cookie_date(&mut rng, NOW)).collect::<Vec<_>>()
        };
        assert_eq!(draw(5), draw(5));
        assert_ne!(draw(5), draw(6));
    }

    #[test]
    fn cookie_dates_cover_the_shapes_that_browsers_split_on() {
        let mut rng = FuzzRng::new(42);
        let dates: Vec<String> = (0..5000).map(|_| cookie_date(&mut rng, NOW)).collect();
        let has = |f: &dyn Fn(&str) -> bool| dates.iter().filter(|d| f(d)).count();
        let strict = has(&|d| cookie_warden_core::http_date::parse_http_date(d.as_bytes()).is_some());
        assert!(strict > 1000, "strict IMF-fixdates: {strict}");
        assert!(has(&|d| d.split([' ', ',']).any(|t| t.contains(':') && t.len() > 8)) > 50);
        assert!(
            has(&|d| d
                .split(' ')
                .any(|t| t.len() == 5 && t.bytes().all(|b| b.is_ascii_digit())))
                > 20
        );
        assert!(
            has(&|d| d
                .split(' ')
                .any(|t| t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit())))
                > 20
        );
        assert!(has(&|d| d.contains(" Feb ") && d.contains("29")) > 20);
        assert!(has(&|d| d.contains('-') || d.contains('/')) > 200);
        assert!(has(&|d| d.contains('\t')) > 10);
        assert!(has(&|d| d.contains("24:00:00") || d.contains("23:60:00")) > 10);
        assert!(has(&|d| d.contains("UTC")) > 10);
        // Weekday absent: starts with a digit.
        assert!(has(&|d| d.starts_with(|c: char| c.is_ascii_digit())) > 200);
    }

    #[test]
    fn response_dates_come_in_many_forms_including_none_and_two() {
        let mut rng = FuzzRng::new(9);
        let all: Vec<Vec<String>> = (0..2000).map(|_| response_dates(&mut rng, NOW)).collect();
        assert!(all.iter().any(Vec::is_empty));
        assert!(all.iter().any(|d| d.len() == 2));
        let flat: Vec<&String> = all.iter().flatten().collect();
        assert!(flat.iter().any(|d| d.ends_with(" UTC")));
        assert!(flat.iter().any(|d| d.contains('T') && d.ends_with('Z')));
        assert!(flat.iter().any(|d| d.contains(", 3 Dec 2026")));
        assert!(flat.iter().any(|d| d.starts_with("thu, 03 dec 2026")));
        assert!(flat.iter().any(|d| d.as_str() == "03-Dec-2026"));
        assert!(flat.iter().any(|d| d.as_str() == imf_fixdate(NOW)));
    }

    #[test]
    fn fixdate_is_strict_for_four_digit_years_only() {
        assert_eq!(fixdate(NOW), "Thu, 03 Dec 2026 04:00:00 GMT");
        assert!(fixdate(-70_000_000_000).contains(" -"));
        assert!(fixdate(253_402_300_800).contains(" 10000 "));
    }
}
