//! `Max-Age` values: draft-ietf-httpbis-rfc6265bis-22 §5.6.2.

/// Browsers cap every cookie's lifetime at 400 days (§5.5, §5.6.1, §5.6.2): 34 560 000 seconds.
pub const MAX_AGE_LIMIT: i64 = 400 * 24 * 60 * 60;

/// The meaning of one `Max-Age` attribute value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaxAge {
    /// A valid value: seconds, clamped to [`MAX_AGE_LIMIT`], and `0` for zero or negative.
    Seconds(i64),
    /// Not valid per §5.6.2: browsers following the draft ignore the attribute.
    Invalid,
    /// `+` followed by digits: invalid per the draft, but Chromium reads the number
    /// (see [`super::Ambiguities::max_age_plus_sign`]).
    PlusSign,
}

/// Reads a `Max-Age` value (already trimmed of space and tab) per §5.6.2: an optional `-`, then one
/// or more digits and nothing else. Arbitrarily long numbers saturate before clamping.
///
/// ```
/// use cookie_warden_core::set_cookie::max_age::{parse_max_age, MaxAge};
///
/// assert_eq!(parse_max_age(b"3600"), MaxAge::Seconds(3600));
/// assert_eq!(parse_max_age(b"-5"), MaxAge::Seconds(0));
/// assert_eq!(parse_max_age(b"99999999999999999999"), MaxAge::Seconds(34_560_000));
/// assert_eq!(parse_max_age(b"60s"), MaxAge::Invalid);
/// assert_eq!(parse_max_age(b"+60"), MaxAge::PlusSign);
/// ```
pub fn parse_max_age(value: &[u8]) -> MaxAge {
    let (negative, digits) = match value {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => {
            return if !rest.is_empty() && rest.iter().all(u8::is_ascii_digit) {
                MaxAge::PlusSign
            } else {
                MaxAge::Invalid
            };
        }
        _ => (false, value),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return MaxAge::Invalid;
    }
    if negative {
        return MaxAge::Seconds(0);
    }
    let seconds = digits.iter().fold(0i64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
    });
    MaxAge::Seconds(seconds.min(MAX_AGE_LIMIT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_negative_are_zero() {
        assert_eq!(parse_max_age(b"0"), MaxAge::Seconds(0));
        assert_eq!(parse_max_age(b"-0"), MaxAge::Seconds(0));
        assert_eq!(parse_max_age(b"-99999999999999999999999"), MaxAge::Seconds(0));
    }

    #[test]
    fn leading_zeros_and_clamp() {
        assert_eq!(parse_max_age(b"00060"), MaxAge::Seconds(60));
        assert_eq!(parse_max_age(b"34560001"), MaxAge::Seconds(MAX_AGE_LIMIT));
    }

    #[test]
    fn invalid_forms() {
        for bad in [
            &b""[..],
            b"-",
            b"+",
            b"6 0",
            b"50,399",
            b"abc",
            b"1e3",
            b"--1",
            b"+-1",
        ] {
            assert_eq!(
                parse_max_age(bad),
                MaxAge::Invalid,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
