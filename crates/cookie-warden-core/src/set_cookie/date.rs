//! Cookie dates: the tolerant token algorithm of draft-ietf-httpbis-rfc6265bis-22 §5.1.1.
//!
//! Browsers do not parse `Expires` as an HTTP date: they split it into tokens at any delimiter and
//! pick the first token that looks like a time, a day of month, a month and a year, in any order.
//! `Thu, 09-Jun-33 10:18:14 GMT`, `09 Jun 2033 10:18:14` and `Jun 9 10:18:14 2033 garbage` all
//! name the same instant.
//!
//! ```
//! use cookie_warden_core::set_cookie::date::parse_cookie_date;
//!
//! assert_eq!(parse_cookie_date(b"Thu, 09-Jun-33 10:18:14 GMT"), Ok(2_001_925_094));
//! assert!(parse_cookie_date(b"2033-06-09T10:18:14Z").is_err());
//! ```

use std::fmt;

use crate::civil::{days_from_civil, days_in_month};

/// Why a cookie date does not parse. Browsers ignore such an `Expires` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DateError {
    /// A time, day of month, month or year is missing, or a field is out of range.
    Invalid,
    /// Everything else is valid, but the year is before 1601 or was written with one digit.
    /// (Chromium reads such a date as one in the past: see [`super::Ambiguities`].)
    YearOutOfRange,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DateError::Invalid => "not a cookie date",
            DateError::YearOutOfRange => "cookie date year before 1601 or of one digit",
        })
    }
}

impl std::error::Error for DateError {}

/// §5.1.1 step 1: the delimiter bytes that split a date into tokens, as a lookup table.
static DELIMITER: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, 0x09 | 0x20..=0x2f | 0x3b..=0x40 | 0x5b..=0x60 | 0x7b..=0x7e);
        b += 1;
    }
    table
};

/// The non-empty tokens of a date, in order, without allocating.
fn tokens(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = input;
    std::iter::from_fn(move || {
        let start = rest.iter().position(|&b| !DELIMITER[usize::from(b)])?;
        let after = &rest[start..];
        let len = after
            .iter()
            .position(|&b| DELIMITER[usize::from(b)])
            .unwrap_or(after.len());
        rest = &after[len..];
        Some(&after[..len])
    })
}

/// Reads 1 to `max` leading digits that are followed by a non-digit or the end
/// (`n*mDIGIT [ non-digit *OCTET ]`); returns the number and the bytes after the digits.
fn leading_digits(token: &[u8], min: usize, max: usize) -> Option<(u32, &[u8])> {
    let mut value = 0u32;
    let mut count = 0;
    for &b in token {
        if !b.is_ascii_digit() {
            break;
        }
        if count == max {
            return None;
        }
        value = value * 10 + u32::from(b - b'0');
        count += 1;
    }
    (count >= min).then_some((value, &token[count..]))
}

/// `time = hms-time [ non-digit *OCTET ]`, `hms-time = time-field ":" time-field ":" time-field`.
fn parse_time(token: &[u8]) -> Option<(u32, u32, u32)> {
    let (hour, rest) = leading_digits(token, 1, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (minute, rest) = leading_digits(rest, 1, 2)?;
    let rest = rest.strip_prefix(b":")?;
    let (second, _) = leading_digits(rest, 1, 2)?;
    Some((hour, minute, second))
}

/// `month = ( "jan" / … / "dec" ) *OCTET`, case-insensitive; 1-based.
fn parse_month(token: &[u8]) -> Option<u32> {
    let [a, b, c, ..] = *token else { return None };
    // Setting bit 0x20 lowercases letters and folds no letter onto another; the month names are
    // all letters, so equality after folding is a case-insensitive match.
    const fn folded(name: &[u8; 3]) -> u32 {
        u32::from_le_bytes([name[0], name[1], name[2], 0]) | 0x0020_2020
    }
    const JAN: u32 = folded(b"jan");
    const FEB: u32 = folded(b"feb");
    const MAR: u32 = folded(b"mar");
    const APR: u32 = folded(b"apr");
    const MAY: u32 = folded(b"may");
    const JUN: u32 = folded(b"jun");
    const JUL: u32 = folded(b"jul");
    const AUG: u32 = folded(b"aug");
    const SEP: u32 = folded(b"sep");
    const OCT: u32 = folded(b"oct");
    const NOV: u32 = folded(b"nov");
    const DEC: u32 = folded(b"dec");
    Some(match folded(&[a, b, c]) {
        JAN => 1,
        FEB => 2,
        MAR => 3,
        APR => 4,
        MAY => 5,
        JUN => 6,
        JUL => 7,
        AUG => 8,
        SEP => 9,
        OCT => 10,
        NOV => 11,
        DEC => 12,
        _ => return None,
    })
}

/// Parses a cookie date (§5.1.1) into unix seconds (UTC). Allocates nothing.
///
/// The usual IMF-fixdate form (`Wed, 09 Jun 2033 10:18:14 GMT`) takes a fast path that reads the
/// fields at their fixed places; anything else goes through the token algorithm. Both give the same
/// result for every input (property-tested).
///
/// # Errors
///
/// [`DateError::YearOutOfRange`] when only the year is wrong (before 1601, or one digit);
/// [`DateError::Invalid`] for anything else that is not a cookie date.
pub fn parse_cookie_date(input: &[u8]) -> Result<i64, DateError> {
    match imf_fixdate_fields(input) {
        Some(fields) => fields.finish(),
        None => parse_cookie_date_full(input),
    }
}

/// The fields the token algorithm has found so far.
#[derive(Default)]
struct Found {
    time: Option<(u32, u32, u32)>,
    day_of_month: Option<u32>,
    month: Option<u32>,
    year: Option<u32>,
    one_digit_year_candidate: bool,
}

impl Found {
    /// §5.1.1 steps 3–7: the range checks and the instant.
    fn finish(self) -> Result<i64, DateError> {
        let (Some((hour, minute, second)), Some(day), Some(month)) =
            (self.time, self.day_of_month, self.month)
        else {
            return Err(DateError::Invalid);
        };
        if !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
            return Err(DateError::Invalid);
        }
        let year = match self.year {
            Some(y @ 70..=99) => y + 1900,
            Some(y @ 0..=69) => y + 2000,
            Some(y) => y,
            None if self.one_digit_year_candidate => return Err(DateError::YearOutOfRange),
            None => return Err(DateError::Invalid),
        };
        if day > days_in_month(year, month) {
            return Err(DateError::Invalid);
        }
        if year < 1601 {
            return Err(DateError::YearOutOfRange);
        }
        let days = days_from_civil(i64::from(year), month, day);
        Ok(days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second))
    }
}

/// The value of two ASCII digits, or `None`.
#[inline]
fn two_digits(pair: [u8; 2]) -> Option<u32> {
    let [tens, ones] = pair;
    (tens.is_ascii_digit() && ones.is_ascii_digit())
        .then(|| u32::from(tens - b'0') * 10 + u32::from(ones - b'0'))
}

/// The fast path: when `input` starts with `Wdy, DD Mon YYYY HH:MM:SS` (`Wdy` three letters that
/// are not a month, `Mon` a month) followed by the end or a non-digit, these are exactly the fields
/// the token algorithm finds (its tokens are `Wdy`, `DD`, `Mon`, `YYYY`, then the time; once all
/// four fields are found it ignores every later token). `None` means: take the token algorithm.
#[inline]
fn imf_fixdate_fields(input: &[u8]) -> Option<Found> {
    let &[
        w1,
        w2,
        w3,
        b',',
        b' ',
        d1,
        d2,
        b' ',
        m1,
        m2,
        m3,
        b' ',
        y1,
        y2,
        y3,
        y4,
        b' ',
        h1,
        h2,
        b':',
        n1,
        n2,
        b':',
        s1,
        s2,
        ref rest @ ..,
    ] = input
    else {
        return None;
    };
    if rest.first().is_some_and(u8::is_ascii_digit)
        || ![w1, w2, w3].iter().all(u8::is_ascii_alphabetic)
        || parse_month(&[w1, w2, w3]).is_some()
    {
        return None;
    }
    let month = parse_month(&[m1, m2, m3])?;
    let day = two_digits([d1, d2])?;
    let year = two_digits([y1, y2])? * 100 + two_digits([y3, y4])?;
    let time = (
        two_digits([h1, h2])?,
        two_digits([n1, n2])?,
        two_digits([s1, s2])?,
    );
    Some(Found {
        time: Some(time),
        day_of_month: Some(day),
        month: Some(month),
        year: Some(year),
        one_digit_year_candidate: false,
    })
}

/// The token algorithm of §5.1.1 for any input.
pub(crate) fn parse_cookie_date_full(input: &[u8]) -> Result<i64, DateError> {
    let mut found = Found::default();
    for token in tokens(input) {
        // Only a month starts with a letter; time, day and year start with a digit.
        if !token[0].is_ascii_digit() {
            if found.month.is_none() {
                found.month = parse_month(token);
            }
            continue;
        }
        if found.time.is_none()
            && let Some(hms) = parse_time(token)
        {
            found.time = Some(hms);
            continue;
        }
        if found.day_of_month.is_none()
            && let Some((day, _)) = leading_digits(token, 1, 2)
        {
            found.day_of_month = Some(day);
            continue;
        }
        if found.year.is_none() {
            if let Some((y, _)) = leading_digits(token, 2, 4) {
                found.year = Some(y);
                continue;
            }
            if leading_digits(token, 1, 1).is_some() {
                found.one_digit_year_candidate = true;
            }
        }
    }
    found.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_instants() {
        assert_eq!(parse_cookie_date(b"Thu, 01 Jan 1970 00:00:00 GMT"), Ok(0));
        assert_eq!(
            parse_cookie_date(b"Wed, 09 Jun 2021 10:18:14 GMT"),
            Ok(1_623_233_894)
        );
        assert_eq!(
            parse_cookie_date(b"Sat, 01 Jan 1601 00:00:00 GMT"),
            Ok(-11_644_473_600)
        );
        assert_eq!(
            parse_cookie_date(b"Fri, 31 Dec 9999 23:59:59 GMT"),
            Ok(253_402_300_799)
        );
    }

    #[test]
    fn tolerant_forms() {
        let want = Ok(2_001_925_094);
        assert_eq!(parse_cookie_date(b"Thu, 09-Jun-33 10:18:14 GMT"), want);
        assert_eq!(parse_cookie_date(b"09 Jun 2033 10:18:14"), want);
        assert_eq!(parse_cookie_date(b"Jun 9 10:18:14 2033 garbage"), want);
        assert_eq!(parse_cookie_date(b"thu, 09 jun 2033 10:18:14 gmt"), want);
    }

    #[test]
    fn rejects_out_of_range_fields() {
        assert_eq!(
            parse_cookie_date(b"Wed, 09 Jun 2033 10:18:60 GMT"),
            Err(DateError::Invalid)
        );
        assert_eq!(
            parse_cookie_date(b"Wed, 09 Jun 2033 24:00:00 GMT"),
            Err(DateError::Invalid)
        );
        assert_eq!(
            parse_cookie_date(b"Wed, 30 Feb 2033 10:00:00 GMT"),
            Err(DateError::Invalid)
        );
        assert_eq!(
            parse_cookie_date(b"Wed, 32 Jan 2033 10:00:00 GMT"),
            Err(DateError::Invalid)
        );
        assert_eq!(parse_cookie_date(b"garbage"), Err(DateError::Invalid));
        assert_eq!(parse_cookie_date(b""), Err(DateError::Invalid));
    }

    #[test]
    fn year_out_of_range_is_told_apart() {
        assert_eq!(
            parse_cookie_date(b"Thu, 10-Sep-0 20:00:00 GMT"),
            Err(DateError::YearOutOfRange)
        );
        assert_eq!(
            parse_cookie_date(b"Thu, 10 Sep 1600 20:00:00 GMT"),
            Err(DateError::YearOutOfRange)
        );
        assert_eq!(
            parse_cookie_date(b"Thu, 10 Sep 0100 20:00:00 GMT"),
            Err(DateError::YearOutOfRange)
        );
    }

    #[test]
    fn leap_days() {
        assert!(parse_cookie_date(b"29 Feb 2024 00:00:00").is_ok());
        assert_eq!(
            parse_cookie_date(b"29 Feb 2023 00:00:00"),
            Err(DateError::Invalid)
        );
        assert_eq!(
            parse_cookie_date(b"29 Feb 2100 00:00:00"),
            Err(DateError::Invalid)
        );
        assert!(parse_cookie_date(b"29 Feb 2000 00:00:00").is_ok());
    }
}

#[cfg(test)]
mod fast_path_props {
    use proptest::prelude::*;

    use super::*;

    /// IMF-fixdate-like strings: each field drawn from valid, edge and wrong values, each separator
    /// usually right and sometimes another delimiter or a letter or digit, with assorted tails.
    fn fixdate_like() -> impl Strategy<Value = Vec<u8>> {
        let letters = prop_oneof![
            prop::sample::select(vec![
                "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "wed", "THU", "Jan", "jun", "Dec", "Xyz",
                "Ma", "May", "1ue", " ed",
            ])
            .prop_map(str::to_owned),
            "[A-Za-z0-9 ,:-]{3}",
        ];
        let two = prop_oneof!["[0-9]{2}", "[0-9]{1,3}", "[0-9a ]{2}"];
        let four = prop_oneof![
            "[0-9]{4}",
            "(0000|0069|0070|0099|0100|1600|1601|1969|1970|2038|9999)",
            "[0-9]{2,5}"
        ];
        let separator =
            |usual: &'static str| prop_oneof![8 => Just(usual.to_owned()), 1 => "[ -/:;-@a-z0-9]"];
        let tail = prop_oneof![
            Just(String::new()),
            Just(" GMT".to_owned()),
            Just(" gmt".to_owned()),
            Just("GMT".to_owned()),
            "[ -~]{0,8}",
            " [0-9]{1,4}",
        ];
        (
            (
                letters.clone(),
                separator(","),
                separator(" "),
                two.clone(),
                separator(" "),
            ),
            (letters, separator(" "), four, separator(" ")),
            (two.clone(), separator(":"), two.clone(), separator(":"), two),
            tail,
        )
            .prop_map(|((w, c, s1, d, s2), (m, s3, y, s4), (h, c1, n, c2, s), tail)| {
                format!("{w}{c}{s1}{d}{s2}{m}{s3}{y}{s4}{h}{c1}{n}{c2}{s}{tail}").into_bytes()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8192, ..ProptestConfig::default() })]

        #[test]
        fn fast_path_agrees_with_the_token_algorithm(input in fixdate_like()) {
            let full = parse_cookie_date_full(&input);
            if let Some(found) = imf_fixdate_fields(&input) {
                prop_assert_eq!(found.finish(), full);
            }
            prop_assert_eq!(parse_cookie_date(&input), full);
        }

        /// Date-shaped text with a few arbitrary bytes written over it, so that the fast path is
        /// really taken (random bytes alone would almost never look like a date).
        #[test]
        fn fast_path_agrees_on_arbitrary_bytes(
            input in (fixdate_like(), prop::collection::vec((any::<usize>(), any::<u8>()), 1..4))
                .prop_map(|(mut text, overwrites)| {
                    for (at, byte) in overwrites {
                        if !text.is_empty() {
                            let at = at % text.len();
                            text[at] = byte;
                        }
                    }
                    text
                })
        ) {
            prop_assert_eq!(parse_cookie_date(&input), parse_cookie_date_full(&input));
        }

        #[test]
        fn fast_path_takes_every_valid_imf_fixdate(at in -11_644_473_600i64..253_402_300_800) {
            let text = crate::set_cookie::ImfFixdate(at).to_string();
            prop_assert!(imf_fixdate_fields(text.as_bytes()).is_some(), "{}", text);
            prop_assert_eq!(parse_cookie_date(text.as_bytes()), Ok(at));
            prop_assert_eq!(parse_cookie_date_full(text.as_bytes()), Ok(at));
        }
    }
}
