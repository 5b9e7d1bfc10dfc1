//! The response `Date` header, read as unix seconds: the `now` against which a cookie's `Expires`
//! is measured (browsers correct for the server's clock this way).
//!
//! Accepts the three HTTP-date forms every recipient must accept (RFC 9110 §5.6.7): the preferred
//! IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, the obsolete RFC 850 form
//! `Sunday, 06-Nov-94 08:49:37 GMT` and the asctime form `Sun Nov  6 08:49:37 1994`. Leading and
//! trailing spaces and tabs are ignored. The day name must be a real day name, but is not checked
//! against the date (recipients commonly ignore it). A two-digit RFC 850 year is read as 1970–2069:
//! RFC 9110's "more than 50 years in the future" rule needs a clock, which this crate does not
//! read. Anything else is `None`.
//!
//! [`ResponseTime`] is the one rule every shell (the layer, the proxy through it, `eval`, `audit`)
//! uses to turn a response's `Date` headers and its own clock into the time a decision is made at:
//! see its documentation.
//!
//! ```
//! use cookie_warden_core::http_date::parse_http_date;
//!
//! assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(784111777));
//! assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), Some(784111777));
//! assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), Some(784111777));
//! assert_eq!(parse_http_date(b"yesterday"), None);
//! ```

use crate::civil::days_from_civil;
use crate::cookie_header::trim_ows;

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

/// How a response states its `Date`, as far as reading `Expires` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseDate {
    /// No `Date` header: browsers measure `Expires` against their own clock, and so does the
    /// caller.
    Absent,
    /// Exactly one `Date` header, a strict IMF-fixdate ([`parse_strict_imf_fixdate`]): every reader
    /// gets the same instant from it, so an `Expires` measured against it means the same to all.
    Strict,
    /// One `Date` that is not a strict IMF-fixdate (`UTC` for `GMT`, a one-digit day, the RFC 850 or
    /// asctime forms, ISO 8601 …), or several `Date` headers. Chromium and Firefox read such a
    /// `Date` leniently and correct `Expires` by it; the draft has no reading of it. An `Expires`
    /// then means different lifetimes to different readers, so it must not leave as it came.
    Lenient,
}

/// The time a response's cookies are judged at: `now` (unix seconds) and how the response's
/// `Date` was given. Built by [`ResponseTime::of_response`], the one rule for every shell; the core
/// reads no clock, so the caller passes its own.
///
/// - `Date` absent: `now` is the caller's clock (browsers use theirs);
/// - one strict IMF-fixdate `Date`: `now` is that date (browsers correct `Expires` by it, as the
///   decision does by measuring against it);
/// - anything else (lenient): `now` is the caller's clock, and any header carrying `Expires` leaves
///   in canonical form with its lifetime written as `Max-Age` computed against `now` and Expires
///   dropped, so that no reading depends on the `Date`.
///
/// A plain `i64` converts into a `ResponseTime` with [`ResponseDate::Absent`]: `now` is trusted as
/// the browser's clock.
///
/// ```
/// use cookie_warden_core::http_date::{ResponseDate, ResponseTime};
///
/// let clock = 1_700_000_000;
/// let strict = ResponseTime::of_response([&b"Sun, 06 Nov 1994 08:49:37 GMT"[..]], clock);
/// assert_eq!((strict.now, strict.date), (784_111_777, ResponseDate::Strict));
/// let lenient = ResponseTime::of_response([&b"Sun, 06 Nov 1994 08:49:37 UTC"[..]], clock);
/// assert_eq!((lenient.now, lenient.date), (clock, ResponseDate::Lenient));
/// let absent = ResponseTime::of_response(std::iter::empty::<&[u8]>(), clock);
/// assert_eq!((absent.now, absent.date), (clock, ResponseDate::Absent));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResponseTime {
    /// Unix seconds that `Expires` is measured against.
    pub now: i64,
    /// How the response gave its `Date`.
    pub date: ResponseDate,
}

impl ResponseTime {
    /// The one rule: `dates` are the values of the response's `Date` headers (all of them, in
    /// order), `clock` the caller's clock in unix seconds. See the type's documentation.
    pub fn of_response<'a>(dates: impl IntoIterator<Item = &'a [u8]>, clock: i64) -> ResponseTime {
        let mut dates = dates.into_iter();
        let Some(first) = dates.next() else {
            return ResponseTime {
                now: clock,
                date: ResponseDate::Absent,
            };
        };
        match parse_strict_imf_fixdate(first) {
            Some(now) if dates.next().is_none() => ResponseTime {
                now,
                date: ResponseDate::Strict,
            },
            _ => ResponseTime {
                now: clock,
                date: ResponseDate::Lenient,
            },
        }
    }

    /// An `Expires` measured against this time means the same to every reader (the `Date` is
    /// absent or strict).
    pub fn expires_is_stable(&self) -> bool {
        self.date != ResponseDate::Lenient
    }
}

impl From<i64> for ResponseTime {
    /// `now` as the browser's clock: [`ResponseDate::Absent`].
    fn from(now: i64) -> Self {
        ResponseTime {
            now,
            date: ResponseDate::Absent,
        }
    }
}

/// The strict IMF-fixdate of RFC 9110 §5.6.7, and nothing else: exactly
/// `Wdy, DD Mon YYYY HH:MM:SS GMT` (29 bytes, no surrounding space), the day name the right one for
/// the date, a real day of the month, hours 00–23, minutes and seconds 00–59 (no leap second), and
/// a year 1970–9999. Every `Date` and cookie-date reader (the draft's, Chromium's, Firefox's) gets
/// the same instant from such a string, which is why the proven subset allows no other.
///
/// ```
/// use cookie_warden_core::http_date::parse_strict_imf_fixdate;
///
/// assert_eq!(parse_strict_imf_fixdate(b"Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777));
/// assert_eq!(parse_strict_imf_fixdate(b"Mon, 06 Nov 1994 08:49:37 GMT"), None); // wrong day name
/// assert_eq!(parse_strict_imf_fixdate(b"Sun, 06 Nov 1994 08:49:37 UTC"), None);
/// assert_eq!(parse_strict_imf_fixdate(b"Sun Nov  6 08:49:37 1994"), None);
/// ```
pub fn parse_strict_imf_fixdate(v: &[u8]) -> Option<i64> {
    // Every byte in its place: one pattern, no search.
    let [
        w0,
        w1,
        w2,
        b',',
        b' ',
        d0,
        d1,
        b' ',
        m0,
        m1,
        m2,
        b' ',
        y0,
        y1,
        y2,
        y3,
        b' ',
        h0,
        h1,
        b':',
        n0,
        n1,
        b':',
        s0,
        s1,
        b' ',
        b'G',
        b'M',
        b'T',
    ] = *v
    else {
        return None;
    };
    let day = two_digits(d0, d1)?;
    let month = month(&[m0, m1, m2])?;
    let year = i64::from(two_digits(y0, y1)?) * 100 + i64::from(two_digits(y2, y3)?);
    let (hour, minute, second) = (two_digits(h0, h1)?, two_digits(n0, n1)?, two_digits(s0, s1)?);
    if !(1970..=9999).contains(&year) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let seconds_of_day = i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    let at = unix_seconds(year, month, day, seconds_of_day)?;
    // 1970-01-01 was a Thursday.
    let weekday = (at.div_euclid(86_400) + 3).rem_euclid(7);
    (SHORT_DAYS[weekday as usize] == [w0, w1, w2]).then_some(at)
}

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
    fn strict_imf_fixdate_only() {
        assert_eq!(
            parse_strict_imf_fixdate(b"Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(0)
        );
        assert_eq!(
            parse_strict_imf_fixdate(b"Wed, 21 Oct 2026 07:28:00 GMT"),
            Some(1_792_567_680)
        );
        assert_eq!(
            parse_strict_imf_fixdate(b"Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(253_402_300_799)
        );
        for v in [
            &b"Wed, 31 Dec 1969 23:59:59 GMT"[..],
            b"Thu, 01 Jan 1970 00:00:60 GMT",
            b" Thu, 01 Jan 1970 00:00:00 GMT",
            b"Thu, 01 Jan 1970 00:00:00 GMT ",
            b"Fri, 01 Jan 1970 00:00:00 GMT",
            b"thu, 01 Jan 1970 00:00:00 GMT",
            b"Thu, 01 jan 1970 00:00:00 GMT",
            b"Thu, 01 Jan 1970 00:00:00 gmt",
            b"Thursday, 01-Jan-70 00:00:00 GMT",
            b"Thu Jan  1 00:00:00 1970",
            b"Thu, 1 Jan 1970 00:00:00 GMT",
            b"Wed, 01 Jan 02030 00:00:00 GMT",
            b"2026-10-21T07:28:00Z",
        ] {
            assert_eq!(
                parse_strict_imf_fixdate(v),
                None,
                "{}",
                String::from_utf8_lossy(v)
            );
        }
    }

    #[test]
    fn response_time_is_one_rule() {
        let clock = 1_700_000_000;
        let strict = &b"Wed, 21 Oct 2026 07:28:00 GMT"[..];
        let of = |dates: &[&[u8]]| ResponseTime::of_response(dates.iter().copied(), clock);
        assert_eq!(
            of(&[]),
            ResponseTime {
                now: clock,
                date: ResponseDate::Absent
            }
        );
        assert_eq!(
            of(&[strict]),
            ResponseTime {
                now: 1_792_567_680,
                date: ResponseDate::Strict
            }
        );
        for lenient in [
            &[&b"Wed, 21 Oct 2026 07:28:00 UTC"[..]][..],
            &[b"Wednesday, 21-Oct-26 07:28:00 GMT"],
            &[b"21 Oct 2026 07:28:00"],
            &[b"garbage"],
            &[strict, strict],
        ] {
            let time = of(lenient);
            assert_eq!(
                time,
                ResponseTime {
                    now: clock,
                    date: ResponseDate::Lenient
                }
            );
            assert!(!time.expires_is_stable());
        }
        assert_eq!(
            ResponseTime::from(5),
            ResponseTime {
                now: 5,
                date: ResponseDate::Absent
            }
        );
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

    /// The strict reader is the lenient IMF-fixdate reader narrowed to years 1970–9999, seconds
    /// to 59 and the right day name: on every date with one byte changed to any other.
    #[test]
    fn strict_is_the_imf_fixdate_reader_narrowed() {
        fn narrowed(v: &[u8]) -> Option<i64> {
            let at = parse_imf_fixdate(v)?;
            let year = i64::from(two_digits(v[12], v[13])?) * 100 + i64::from(two_digits(v[14], v[15])?);
            let second = two_digits(v[23], v[24])?;
            let weekday = (at.div_euclid(86_400) + 3).rem_euclid(7);
            ((1970..=9999).contains(&year) && second <= 59 && SHORT_DAYS[weekday as usize] == &v[..3])
                .then_some(at)
        }
        for date in [
            &b"Thu, 01 Jan 1970 00:00:00 GMT"[..],
            b"Thu, 29 Feb 2024 23:59:59 GMT",
            b"Fri, 31 Dec 9999 23:59:59 GMT",
            b"Wed, 09 Jun 2033 10:18:14 GMT",
        ] {
            for at in 0..date.len() {
                for b in 0..=255u8 {
                    let mut v = date.to_vec();
                    v[at] = b;
                    assert_eq!(
                        parse_strict_imf_fixdate(&v),
                        narrowed(&v),
                        "{}",
                        String::from_utf8_lossy(&v)
                    );
                }
            }
        }
    }
}
