//! The canonical writer: one clean `Set-Cookie` header per cookie, each attribute once, and the
//! IMF-fixdate formatter for `Expires`.

use std::fmt;

use super::prefix::CookiePrefix;
use super::{SameSite, SetCookie};
use crate::civil::civil_from_days;

impl SetCookie<'_> {
    /// Appends the cookie as one canonical header value to `out`: `name=value`, then each kept
    /// attribute once, in this order: `Path`, `Domain`, `Max-Age`, `Expires` (IMF-fixdate, and
    /// only without a Max-Age: a valid Max-Age wins over any Expires in every reader, so writing
    /// both adds nothing but a date to disagree on), `Secure`, `HttpOnly`, `SameSite` (omitted for
    /// `Default`), `Partitioned`.
    ///
    /// A nameless cookie is written as its value alone, or as `=value` when the value holds `=`,
    /// so that it parses back as the same nameless cookie. For an accepted cookie, parsing the
    /// output with the same URL gives back the same name, value and attributes (property-tested).
    /// Writing a rejected cookie is allowed but means nothing to a browser.
    ///
    /// ```
    /// use cookie_warden_core::request::RequestUrl;
    /// use cookie_warden_core::set_cookie::parse;
    ///
    /// let url = RequestUrl { secure: true, host: "example.com", path: "/" };
    /// let cookie = parse(b"id=1; secure; SECURE; expires=thu, 09-jun-33 10:18:14; domain=.Example.com", &url);
    /// let mut out = Vec::new();
    /// cookie.write_canonical(&mut out);
    /// assert_eq!(out, b"id=1; Domain=example.com; Expires=Thu, 09 Jun 2033 10:18:14 GMT; Secure");
    /// ```
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        if !self.name.is_empty() {
            out.extend_from_slice(self.name);
            out.push(b'=');
        } else if memchr::memchr(b'=', self.value).is_some() {
            out.push(b'=');
        }
        out.extend_from_slice(self.value);
        if let Some(path) = self.canonical_path() {
            out.extend_from_slice(b"; Path=");
            out.extend_from_slice(path);
        }
        if let Some(domain) = &self.domain {
            out.extend_from_slice(b"; Domain=");
            out.extend_from_slice(domain.as_bytes());
        }
        if let Some(seconds) = self.max_age {
            out.extend_from_slice(b"; Max-Age=");
            write_decimal(seconds, out);
        }
        if let (None, Some(at)) = (self.max_age, self.expires) {
            out.extend_from_slice(b"; Expires=");
            write_imf_fixdate(at, out);
        }
        if self.secure {
            out.extend_from_slice(b"; Secure");
        }
        if self.http_only {
            out.extend_from_slice(b"; HttpOnly");
        }
        if self.same_site != SameSite::Default {
            out.extend_from_slice(b"; SameSite=");
            out.extend_from_slice(self.same_site.as_str().as_bytes());
        }
        if self.partitioned {
            out.extend_from_slice(b"; Partitioned");
        }
    }

    /// [`SetCookie::write_canonical`] into a new buffer.
    pub fn to_canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.name.len() + self.value.len() + 96);
        self.write_canonical(&mut out);
        out
    }
}

impl<'h> SetCookie<'h> {
    /// The Path the canonical form writes: [`SetCookie::path`], or `/` for a `__Host-` cookie whose
    /// Path attribute the draft replaced by the default path. An accepted `__Host-` cookie has the
    /// path `/` and must carry a Path attribute (§5.7 step 21), so the canonical form writes the
    /// one value that the draft and Chromium (which wants a literal `Path=/`) both accept.
    pub(crate) fn canonical_path(&self) -> Option<&'h [u8]> {
        match self.path {
            None if self.attributes.path > 0 && CookiePrefix::of(self.name) == Some(CookiePrefix::Host) => {
                Some(b"/")
            }
            path => path,
        }
    }
}

/// Appends a signed decimal number without going through `fmt`.
fn write_decimal(value: i64, out: &mut Vec<u8>) {
    if value < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// Appends `unix` seconds as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7).
///
/// Years outside 0000–9999 are clamped to that range's ends so the output always has the fixed
/// form; every date [`super::date::parse_cookie_date`] returns is inside it.
///
/// ```
/// use cookie_warden_core::set_cookie::write_imf_fixdate;
///
/// let mut out = Vec::new();
/// write_imf_fixdate(784_111_777, &mut out);
/// assert_eq!(out, b"Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
pub fn write_imf_fixdate(unix: i64, out: &mut Vec<u8>) {
    out.extend_from_slice(&imf_fixdate_bytes(unix));
}

/// [`write_imf_fixdate`] into a fixed array: no allocation.
pub(crate) fn imf_fixdate_bytes(unix: i64) -> [u8; 29] {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
    ];
    let two = |n: i64| [b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8];
    let (days, secs) = clamp_split(unix);
    let (year, month, day) = civil_from_days(days);
    let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    out[..3].copy_from_slice(DAYS[days.rem_euclid(7) as usize]);
    out[5..7].copy_from_slice(&two(day));
    out[8..11].copy_from_slice(MONTHS[month as usize - 1]);
    out[12..14].copy_from_slice(&two(year / 100));
    out[14..16].copy_from_slice(&two(year % 100));
    out[17..19].copy_from_slice(&two(secs / 3600));
    out[20..22].copy_from_slice(&two(secs / 60 % 60));
    out[23..25].copy_from_slice(&two(secs % 60));
    out
}

/// Displays unix seconds as an IMF-fixdate; see [`write_imf_fixdate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImfFixdate(pub i64);

impl fmt::Display for ImfFixdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let out = imf_fixdate_bytes(self.0);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

/// Displays unix seconds as an ISO-8601 UTC instant, `2033-06-09T10:18:14Z` (the conformance
/// corpus's and the CLI's form). Years are clamped to 0000–9999 as in [`write_imf_fixdate`].
///
/// ```
/// use cookie_warden_core::set_cookie::Iso8601;
///
/// assert_eq!(Iso8601(2_001_925_094).to_string(), "2033-06-09T10:18:14Z");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iso8601(pub i64);

impl fmt::Display for Iso8601 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (days, secs) = clamp_split(self.0);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// 0000-01-01 00:00:00 UTC, the first second a four-digit year can write.
const FIRST_WRITABLE_SECOND: i64 = -62_167_219_200;
/// 9999-12-31 23:59:59 UTC, the last second a four-digit year can write.
const LAST_WRITABLE_SECOND: i64 = 253_402_300_799;

/// Clamps unix seconds to years 0000–9999 and splits them into (days since 1970, second of day).
fn clamp_split(unix: i64) -> (i64, i64) {
    let unix = unix.clamp(FIRST_WRITABLE_SECOND, LAST_WRITABLE_SECOND);
    (unix.div_euclid(86_400), unix.rem_euclid(86_400))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::days_from_civil;

    #[test]
    fn the_writable_range_is_years_0_to_9999() {
        assert_eq!(FIRST_WRITABLE_SECOND, days_from_civil(0, 1, 1) * 86_400);
        assert_eq!(
            LAST_WRITABLE_SECOND,
            days_from_civil(9999, 12, 31) * 86_400 + 86_399
        );
    }
    use crate::set_cookie::date::parse_cookie_date;

    fn imf(unix: i64) -> String {
        ImfFixdate(unix).to_string()
    }

    #[test]
    fn known_dates() {
        assert_eq!(imf(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(imf(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(imf(-11_644_473_600), "Mon, 01 Jan 1601 00:00:00 GMT");
        assert_eq!(imf(253_402_300_799), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(imf(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn round_trips_through_the_cookie_date_parser() {
        let mut unix = -11_644_473_600;
        while unix < 253_402_300_799 {
            assert_eq!(parse_cookie_date(imf(unix).as_bytes()), Ok(unix), "{}", imf(unix));
            unix += 7_777_777;
        }
    }

    #[test]
    fn iso8601() {
        assert_eq!(Iso8601(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Iso8601(-11_644_473_600).to_string(), "1601-01-01T00:00:00Z");
        assert_eq!(Iso8601(i64::MAX).to_string(), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn decimals() {
        for n in [0, 7, 10, 34_560_000, -3, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            write_decimal(n, &mut out);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }
}
