//! The response `Date` header, read as unix seconds: the `now` against which a cookie's `Expires`
//! is measured (browsers correct for the server's clock this way).
//!
//! Accepts the three HTTP-date forms every recipient must accept (RFC 9110 §5.6.7): the preferred
//! IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
//! `Sunday, 06-Nov-94 08:49:37 GMT` and the asctime form `Sun Nov  6 08:49:37 1994`. Leading and
//! trailing spaces and tabs are ignored. The day name must be a real day name, but is not checked
//! against the date (recipients commonly ignore it). A two-digit RFC 850 year is read as 1970–2069:
//! RFC 9110's "more than 50 years in the future" rule needs a clock, which this crate does not
//! read. Anything else is `None`: the caller then uses its own clock.
//!
//! ```
//! use cookie_warden_core::http_date::parse_http_date;
//!
//! assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
//! assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(784111777));
//! assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), Some(784111777));
//! assert_eq!(parse_http_date(b"yesterday"), None);
//! ```

use crate::cookie_header::trim_ows;
use crate::set_cookie::date::days_from_civil;

const SHORT_DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const LONG_DAYS: [&[u8]; 7] = [
    b"Monday",
    b"Tuesday",
    b"Wednesday",
    b"Thursday",
    b"Friday",
    b"Saturday",
    b"Sunday",
];
const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Parses an HTTP-date into unix seconds; `None` when it is not one (see the module docs).
pub fn parse_http_date(value: &[u8]) -> Option<i64> {
    let value = trim_ows(value);
    parse_imf_fixdate(value)
        .or_else(|| parse_rfc850(value))
        .or_else(|| parse_asctime(value))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
fn parse_imf_fixdate(v: &[u8]) -> Option<i64> {
    let [d0, d1, d2, b',', b' ', rest @ ..] = v else {
        return None;
    };
    if !SHORT_DAYS.contains(&&[*d0, *d1, *d2][..]) {
        return None;
    }
    let [dd0, dd1, b' ', m0, m1, m2, b' ', y0, y1, y2, y3, b' ', rest @ ..] = rest else {
        return None;
    };
    let day = two_digits(*dd0, *dd1)?;
    let month = month(&[*m0, *m1, *m2])?;
    let year = i64::from(two_digits(*y0, *y1)?) * 100 + i64::from(two_digits(*y2, *y3)?);
    let (seconds_of_day, rest) = time_of_day(rest)?;
    if rest != b" GMT" {
        return None;
    }
    unix_seconds(year, month, day, seconds_of_day)
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`
fn parse_rfc850(v: &[u8]) -> Option<i64> {
    let comma = memchr::memchr(b',', v)?;
    if !LONG_DAYS.contains(&&v[..comma]) {
        return None;
    }
    let [
        b',',
        b' ',
        dd0,
        dd1,
        b'-',
        m0,
        m1,
        m2,
        b'-',
        y0,
        y1,
        b' ',
        rest @ ..,
    ] = &v[comma..]
    else {
        return None;
    };
    let day = two_digits(*dd0, *dd1)?;
    let month = month(&[*m0, *m1, *m2])?;
    let yy = i64::from(two_digits(*y0, *y1)?);
    let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
    let (seconds_of_day, rest) = time_of_day(rest)?;
    if rest != b" GMT" {
        return None;
    }
    unix_seconds(year, month, day, seconds_of_day)
}

/// `Sun Nov  6 08:49:37 1994`
fn parse_asctime(v: &[u8]) -> Option<i64> {
    let [d0, d1, d2, b' ', m0, m1, m2, b' ', dd0, dd1, b' ', rest @ ..] = v else {
        return None;
    };
    if !SHORT_DAYS.contains(&&[*d0, *d1, *d2][..]) {
        return None;
    }
    let month = month(&[*m0, *m1, *m2])?;
    let day = match (*dd0, *dd1) {
        (b' ', d) => digit(d)?,
        (a, b) => two_digits(a, b)?,
    };
    let (seconds_of_day, rest) = time_of_day(rest)?;
    let [b' ', y0, y1, y2, y3] = rest else { return None };
    let year = i64::from(two_digits(*y0, *y1)?) * 100 + i64::from(two_digits(*y2, *y3)?);
    unix_seconds(year, month, day, seconds_of_day)
}

/// `08:49:37` at the start of `v`: the seconds since midnight and what follows.
fn time_of_day(v: &[u8]) -> Option<(i64, &[u8])> {
    let [h0, h1, b':', m0, m1, b':', s0, s1, rest @ ..] = v else {
        return None;
    };
    let (h, m, s) = (
        two_digits(*h0, *h1)?,
        two_digits(*m0, *m1)?,
        two_digits(*s0, *s1)?,
    );
    // RFC 9110 allows a leap second (60).
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some((i64::from(h) * 3600 + i64::from(m) * 60 + i64::from(s), rest))
}

fn digit(b: u8) -> Option<u8> {
    b.is_ascii_digit().then(|| b - b'0')
}

fn two_digits(a: u8, b: u8) -> Option<u8> {
    Some(digit(a)? * 10 + digit(b)?)
}

fn month(name: &[u8; 3]) -> Option<u8> {
    let index = MONTHS.iter().position(|m| *m == name)?;
    u8::try_from(index + 1).ok()
}

/// Unix seconds of a proleptic Gregorian UTC date and time; `None` for a day the month lacks.
fn unix_seconds(year: i64, month: u8, day: u8, seconds_of_day: i64) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    Some(days_from_civil(year, u32::from(month), u32::from(day)) * 86_400 + seconds_of_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_three_forms_alike() {
        for v in [
            &b"Sun, 06 Nov 1994 08:49:37 GMT"[..],
            b"Sunday, 06-Nov-94 08:49:37 GMT",
            b"Sun Nov  6 08:49:37 1994",
            b"  Sun, 06 Nov 1994 08:49:37 GMT\t",
        ] {
            assert_eq!(
                parse_http_date(v),
                Some(784_111_777),
                "{}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn knows_the_epoch_and_leap_days() {
        assert_eq!(parse_http_date(b"Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date(b"Thu, 29 Feb 2024 12:00:00 GMT"),
            Some(1_709_208_000)
        );
        assert_eq!(
            parse_http_date(b"Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(951_782_400)
        );
        assert_eq!(parse_http_date(b"Wed, 31 Dec 1969 23:59:59 GMT"), Some(-1));
        assert_eq!(parse_http_date(b"Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date(b"Sunday, 01-Jan-69 00:00:00 GMT"),
            Some(3_124_224_000)
        );
        assert_eq!(parse_http_date(b"Thu Feb 29 12:00:00 2024"), Some(1_709_208_000));
    }

    #[test]
    fn refuses_what_is_not_an_http_date() {
        for v in [
            &b""[..],
            b"now",
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 06 Nov 1994 08:49:37",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 94 08:49:37 GMT",
            b"Xyz, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Foo 1994 08:49:37 GMT",
            b"Sun, 31 Nov 1994 08:49:37 GMT",
            b"Sun, 29 Feb 1900 08:49:37 GMT",
            b"Sun, 00 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 06 Nov 1994 08:60:00 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT extra",
            b"Sunday, 06-Nov-1994 08:49:37 GMT",
            b"Sun Nov 6 08:49:37 1994",
            b"Sun Nov  6 08:49:37 94",
            b"1994-11-06T08:49:37Z",
        ] {
            assert_eq!(parse_http_date(v), None, "{}", String::from_utf8_lossy(v));
        }
    }
}
