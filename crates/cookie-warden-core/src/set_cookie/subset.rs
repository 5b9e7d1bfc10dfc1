//! The proven subset: the `Set-Cookie` syntax that the draft (this crate's parser), Chromium and
//! Firefox read the same way, so that a header inside it may leave cookie-warden byte for byte.
//! Every other header that leaves is written in canonical form ([`SetCookie::write_canonical`]),
//! which lands inside the subset (see "Stability" below).
//!
//! A list of known browser differences can never be complete; this list of what is allowed can.
//! Each rule below is narrower than what browsers accept, and says why.
//!
//! # The rules
//!
//! A header is inside the subset when all of these hold ([`Outside`] names the first one broken):
//!
//! 1. **Accepted, and no known difference** ([`Outside::Rejected`], [`Outside::Ambiguous`]): a
//!    line some reader drops, or one with an [`Ambiguities`](super::Ambiguities) flag, is read
//!    differently by definition.
//! 2. **`name=value` at the start, with nothing around the `=`** ([`Outside::Separator`]): the
//!    name is an RFC 9110 `token` ([`Outside::Name`]): letters, digits and
//!    ``!#$%&'*+-.^_`|~``, at least one. No reader trims, splits or rejects inside a token, and a
//!    nameless cookie (`value` alone, `=value`) is read in three ways across browsers and drafts.
//! 3. **The value is RFC 6265 `cookie-octet`s, optionally wrapped in one pair of `"`**
//!    ([`Outside::Value`]): printable ASCII without space, `"`, `,`, `;` and `\`. Every reader keeps
//!    those bytes as they are (the quotes too, as part of the value); outside them readers differ
//!    (tabs, controls, bytes over 0x7F, a space that some strip, commas that old parsers split on).
//! 4. **Attributes are separated by exactly `; `** ([`Outside::Separator`]): no space before the
//!    `;`, one after, no empty piece (`;;`), no trailing `;`. Every reader trims the same way only
//!    when there is nothing to trim.
//! 5. **Each attribute is one of the eight known ones, in its canonical spelling, at most once**
//!    ([`Outside::UnknownAttribute`], [`Outside::AttributeSpelling`],
//!    [`Outside::DuplicateAttribute`]): `Path`, `Domain`, `Max-Age`, `Expires`, `Secure`,
//!    `HttpOnly`, `SameSite`, `Partitioned`. Browsers read unknown attributes of their own
//!    (Chromium's `Priority`); duplicates are where "last valid" (the draft) and "last" (Chromium)
//!    part ways; one spelling leaves nothing to case-folding.
//! 6. **Each value is canonical**:
//!    - `Path=` a `/` followed by path bytes only (letters, digits, `-._~!$&'()*+,=:@%/`), at
//!      most 1024 bytes ([`Outside::Path`]): no `?`, `#`, quotes, spaces or non-ASCII that readers
//!      might treat as the end of a path or escape;
//!    - `Domain=` lowercase letters, digits and `-` in dot-separated labels of 1–63 bytes, no
//!      leading or trailing dot or `-`, at most 253 bytes, not an IP address, accepted by the draft
//!      as a domain cookie ([`Outside::Domain`]): no case-folding, no leading dot to strip, no IDN
//!      to convert, no IP address (Chromium makes a Domain equal to an IP host host-only);
//!    - `Max-Age=` `0` or 1–10 digits without a leading zero ([`Outside::MaxAge`]): no sign (the
//!      draft ignores `+60`, Chromium reads 60), no overflow, no leading zeros;
//!    - `Expires=` a strict IMF-fixdate with the right day name and a year 1970–9999
//!      ([`Outside::Expires`], [`crate::http_date::parse_strict_imf_fixdate`]): the §5.1.1 token
//!      algorithm, Chromium's reader (days only from numeric tokens of ≤ 2 characters, years from
//!      tokens of up to 5, no token with `:` giving a day or year …) and Firefox's agree on it, and on
//!      little else (`01 Jan 1999:00 2030 00:00:00`: the draft reads 1999, the browsers 2030;
//!      `02030`: the draft reads no date, the browsers 2030);
//!    - `SameSite=` exactly `Strict`, `Lax` or `None` ([`Outside::SameSite`]);
//!    - `Secure`, `HttpOnly`, `Partitioned` with no `=` at all ([`Outside::FlagValue`]).
//! 7. **Not a deletion, unless it is already a canonical one** ([`Outside::Deletion`]): a deletion
//!    (Max-Age 0, or an Expires not after `now`) is inside only as `name=` (empty value) with
//!    `Max-Age=0` and no `Expires`. Whether a date is "in the past" is exactly where readers
//!    disagree, so a deletion always leaves as a canonical one: empty value, `Max-Age=0`, and the
//!    Path, Domain, Secure and Partitioned it needs to match the cookie it deletes.
//! 8. **An `Expires` only with a stable `Date`** ([`Outside::ExpiresWithLenientDate`]): browsers
//!    measure `Expires` against the response's `Date` (correcting for the server's clock) and read
//!    `Date` leniently; unless the response has no `Date` or one strict IMF-fixdate
//!    ([`ResponseTime::expires_is_stable`]), the lifetime is rewritten as `Max-Age` (against
//!    [`ResponseTime::now`]) and Expires dropped.
//!
//! Rules 1–6 depend on the header (and the request URL) only; 7 and 8 on the response time too.
//!
//! # Stability
//!
//! The canonical form of any accepted cookie whose name and value satisfy rules 2–3 and whose Path
//! and Domain (as the draft reads them) satisfy rule 6, with no ambiguity left, and (rule 7)
//! written as a deletion when it is one or (rule 8) without Expires when the `Date` is lenient, is
//! itself inside the subset: canonical output leaves byte for byte
//! the second time (property-tested below, with the test-only reference parser reading every
//! header inside the subset exactly as the parser does). A name outside rule 2 cannot be rewritten
//! (it is the cookie) and browsers read such names differently (Firefox reads UTF-8 names as
//! Latin-1): `decide` strips such a header. A value, Path or Domain outside those rules cannot be
//! rewritten without changing which cookie is set: such a header leaves canonical but is not proven
//! (`proven: false` in `parse` and `eval`).
//!
//! # Cost
//!
//! For `decide`, nothing on top of the parse. The parser reads a header in the subset's syntax in one strict
//! pass (`strict.rs`), which is also its fast path: the name and value as runs of token bytes and
//! `cookie-octet`s (the value 16 bytes at a time, SSE2 compares on x86_64), each attribute told by
//! its first four bytes read as one word and compared with its canonical spelling, no trimming,
//! no case-folding, no scan for control bytes. Reading a header to the end that way *is* the
//! answer to rules 2–6 (rule 1 and the Domain's part of rule 6 come from the checks against the
//! URL that every parse makes), so `decide` gets it with the parse, and a header outside the
//! syntax is read on by the general algorithm from the piece where the strict pass stopped. The
//! rule-by-rule reading below ([`SetCookie::subset`]) names the first rule a header breaks, for
//! `parse` and `eval` (which pay for it on every header they report on); the two are
//! property-tested to agree. No allocation either way; what each
//! costs: `bench/RESULTS.md`, "The strict pass".
//!
//! ```
//! use cookie_warden_core::http_date::ResponseTime;
//! use cookie_warden_core::request::RequestUrl;
//! use cookie_warden_core::set_cookie::{parse, Outside};
//!
//! let url = RequestUrl { secure: true, host: "example.com", path: "/" };
//! let now = ResponseTime::from(1_700_000_000);
//! assert_eq!(parse(b"sid=1; Path=/; Secure; HttpOnly; SameSite=Lax", &url).subset(now), Ok(()));
//! assert_eq!(parse(b"sid=1; path=/", &url).subset(now), Err(Outside::AttributeSpelling));
//! assert_eq!(parse(b"sid=1;Secure", &url).subset(now), Err(Outside::Separator));
//! assert_eq!(
//!     parse(b"sid=1; Expires=Wed, 01 Jan 02030 00:00:00 GMT", &url).subset(now),
//!     Err(Outside::Expires)
//! );
//! assert_eq!(parse(b"sid=gone; Max-Age=0", &url).subset(now), Err(Outside::Deletion));
//! assert_eq!(parse(b"sid=; Max-Age=0", &url).subset(now), Ok(()));
//! ```

use std::fmt;

use super::attributes::MAX_ATTRIBUTE_VALUE_LEN;
use super::bytes::position_of_either;
use super::{AttributeKind, SetCookie};
use crate::http_date::{ResponseTime, parse_strict_imf_fixdate};

/// The first rule of the proven subset that a header breaks (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outside {
    /// A browser drops the line.
    Rejected,
    /// A known difference between the draft and a browser ([`super::Ambiguities`]).
    Ambiguous,
    /// The name is empty or not an RFC 9110 token.
    Name,
    /// The value is not `cookie-octet`s (optionally in one pair of `"`).
    Value,
    /// Space or tab around the `=` of the pair or around `;`, a separator other than `; `, an
    /// empty piece or a trailing `;`.
    Separator,
    /// An attribute that is not one of the eight known ones.
    UnknownAttribute,
    /// A known attribute in another spelling (`path`, `SECURE`, `Max-age`).
    AttributeSpelling,
    /// A known attribute more than once.
    DuplicateAttribute,
    /// A Path that does not start with `/`, holds other than plain path bytes or is over 1024 bytes.
    Path,
    /// A Domain that is not lowercase LDH labels accepted as a domain cookie.
    Domain,
    /// A Max-Age other than `0` or 1–10 digits without a leading zero.
    MaxAge,
    /// An Expires that is not a strict IMF-fixdate with a year 1970–9999.
    Expires,
    /// A SameSite other than `Strict`, `Lax` or `None`.
    SameSite,
    /// `Secure`, `HttpOnly` or `Partitioned` with a value.
    FlagValue,
    /// A deletion not in canonical form (empty value, `Max-Age=0`, no Expires).
    Deletion,
    /// An Expires in a response whose `Date` is not absent or one strict IMF-fixdate.
    ExpiresWithLenientDate,
}

impl Outside {
    /// The snake_case name, for JSON and details.
    pub fn as_str(self) -> &'static str {
        match self {
            Outside::Rejected => "rejected",
            Outside::Ambiguous => "ambiguous",
            Outside::Name => "name",
            Outside::Value => "value",
            Outside::Separator => "separator",
            Outside::UnknownAttribute => "unknown_attribute",
            Outside::AttributeSpelling => "attribute_spelling",
            Outside::DuplicateAttribute => "duplicate_attribute",
            Outside::Path => "path",
            Outside::Domain => "domain",
            Outside::MaxAge => "max_age",
            Outside::Expires => "expires",
            Outside::SameSite => "same_site",
            Outside::FlagValue => "flag_value",
            Outside::Deletion => "deletion",
            Outside::ExpiresWithLenientDate => "expires_with_lenient_date",
        }
    }
}

impl fmt::Display for Outside {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Byte classes, one bit each, in one table.
pub(super) const TCHAR: u8 = 1;
pub(super) const COOKIE_OCTET: u8 = 2;
const PATH_BYTE: u8 = 4;
const LDH: u8 = 8;
/// A byte of a canonical Domain: [`LDH`] or `.`.
const DOMAIN_BYTE: u8 = 16;

static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let alnum = c.is_ascii_alphanumeric();
        let mut class = 0;
        if alnum
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            )
        {
            class |= TCHAR;
        }
        // RFC 6265 §4.1.1: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
        if matches!(c, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E) {
            class |= COOKIE_OCTET;
        }
        // RFC 3986 pchar without percent-decoding questions: unreserved, sub-delims, `:@%/`.
        if alnum
            || matches!(
                c,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b'='
                    | b':'
                    | b'@'
                    | b'%'
                    | b'/'
            )
        {
            class |= PATH_BYTE;
        }
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' {
            class |= LDH | DOMAIN_BYTE;
        }
        if c == b'.' {
            class |= DOMAIN_BYTE;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// A non-empty RFC 9110 token: a name inside the subset. A name that is not one cannot be
/// rewritten (it is the cookie), so `decide` strips an allowed header with such a name.
pub fn is_token(name: &[u8]) -> bool {
    !name.is_empty() && all_in(name, TCHAR)
}

/// Whether every byte of `bytes` is in `class`: a branch-free fold (one load and one `and` a
/// byte), since the bytes are almost always fine.
#[inline(always)]
fn all_in(bytes: &[u8], class: u8) -> bool {
    bytes.iter().fold(class, |acc, &b| acc & CLASS[usize::from(b)]) != 0
}

/// The classes (bits of [`TCHAR`], [`COOKIE_OCTET`] …) of a byte.
#[inline(always)]
pub(super) fn class_of(b: u8) -> u8 {
    CLASS[usize::from(b)]
}

impl SetCookie<'_> {
    /// Whether this header, as parsed, lies inside the proven subset for a response at `time`:
    /// `Ok(())`, or the first rule it breaks. See the [module docs](self) for the rules and why.
    ///
    /// Meaningful only for a `SetCookie` returned by [`super::parse`] (it reads the header's bytes).
    pub fn subset(&self, time: impl Into<ResponseTime>) -> Result<(), Outside> {
        self.first_broken_rule()?;
        self.subset_at(time.into())
    }

    /// Rules 7–8 of the subset, the ones that depend on the response time, for a header that
    /// keeps rules 1–6.
    #[inline]
    pub(crate) fn subset_at(&self, time: ResponseTime) -> Result<(), Outside> {
        if self.is_deletion(time.now)
            && !(self.value.is_empty() && self.max_age == Some(0) && self.attributes.expires == 0)
        {
            return Err(Outside::Deletion);
        }
        if self.attributes.expires > 0 && !time.expires_is_stable() {
            return Err(Outside::ExpiresWithLenientDate);
        }
        Ok(())
    }

    /// [`SetCookie::subset`] is `Ok`: the header may leave byte for byte.
    pub fn proven(&self, time: impl Into<ResponseTime>) -> bool {
        self.subset(time).is_ok()
    }

    /// Rules 1–6 read one by one, in order: `Ok`, or the first rule the header breaks. (`parse`
    /// answers the same question for `decide` in its strict pass: `strict.rs`.)
    fn first_broken_rule(&self) -> Result<(), Outside> {
        if self.rejection.is_some() {
            return Err(Outside::Rejected);
        }
        if !self.ambiguities.is_empty() {
            return Err(Outside::Ambiguous);
        }
        let line = self.header;
        // The pair: a token, `=`, the value, then the end or the first `;` (where the parser
        // found the attributes to start).
        let pair_end = line.len() - self.unparsed_attributes.len();
        let name_len = self.name.len();
        let pair_is_plain = name_len > 0
            && line.get(name_len) == Some(&b'=')
            && line.as_ptr() == self.name.as_ptr()
            && name_len + 1 + self.value.len() == pair_end;
        if !pair_is_plain {
            return Err(self.pair_problem(Outside::Name));
        }
        if !all_in(self.name, TCHAR) {
            return Err(Outside::Name);
        }
        let unquoted = match self.value {
            [b'"', inner @ .., b'"'] => inner,
            value => value,
        };
        if !all_in(unquoted, COOKIE_OCTET) {
            return Err(Outside::Value);
        }
        read_attributes(self.unparsed_attributes, self)
    }

    /// What is wrong with a pair that is not `name=value` from the first byte to the first `;`:
    /// whitespace the parser trimmed ([`Outside::Separator`]), else `otherwise`.
    #[cold]
    fn pair_problem(&self, otherwise: Outside) -> Outside {
        let line = self.header;
        let pair = &line[..line.len() - self.unparsed_attributes.len()];
        let trimmed = pair.first().is_some_and(|b| matches!(b, b' ' | b'\t'))
            || pair.last().is_some_and(|b| matches!(b, b' ' | b'\t'))
            || pair
                .windows(2)
                .any(|w| matches!(w, [b' ' | b'\t', b'='] | [b'=', b' ' | b'\t']));
        if trimmed && !self.name.is_empty() {
            Outside::Separator
        } else {
            otherwise
        }
    }
}

/// Rules 4–6 over the attributes: `rest` is empty or starts at the first `;`.
#[inline]
fn read_attributes(mut rest: &[u8], cookie: &SetCookie<'_>) -> Result<(), Outside> {
    let mut seen = 0u8;
    while !rest.is_empty() {
        // `rest` starts with `;`: exactly one space must follow, then the attribute.
        if rest.get(1) != Some(&b' ') {
            return Err(Outside::Separator);
        }
        let end = position_of_either(rest, 2, b';', b';');
        let piece = &rest[2..end];
        rest = &rest[end..];
        let (kind, value) = canonical_attribute(piece)?;
        let bit = 1u8 << (kind as u8);
        if seen & bit != 0 {
            return Err(Outside::DuplicateAttribute);
        }
        seen |= bit;
        check_value(kind, value, cookie)?;
    }
    Ok(())
}

/// The attribute kind and value of one piece in canonical spelling (`Path=/x`, `Secure`), or why
/// it is not one: one dispatch on the first byte, then fixed-length compares.
#[inline]
fn canonical_attribute(piece: &[u8]) -> Result<(Known, &[u8]), Outside> {
    let (kind, name_len) = match piece.first() {
        Some(b'P') if piece.starts_with(b"Path=") => (Known::Path, 5),
        Some(b'P') if piece == b"Partitioned" => return Ok((Known::Partitioned, &[])),
        Some(b'D') if piece.starts_with(b"Domain=") => (Known::Domain, 7),
        Some(b'M') if piece.starts_with(b"Max-Age=") => (Known::MaxAge, 8),
        Some(b'E') if piece.starts_with(b"Expires=") => (Known::Expires, 8),
        Some(b'S') if piece == b"Secure" => return Ok((Known::Secure, &[])),
        Some(b'S') if piece.starts_with(b"SameSite=") => (Known::SameSite, 9),
        Some(b'H') if piece == b"HttpOnly" => return Ok((Known::HttpOnly, &[])),
        _ => return Err(not_canonical(piece)),
    };
    Ok((kind, &piece[name_len..]))
}

/// Why a piece is not a canonical attribute: a flag with a value, an empty or padded piece
/// ([`Outside::Separator`]), a known name spelled otherwise, or an unknown name.
#[cold]
fn not_canonical(piece: &[u8]) -> Outside {
    let name_end = piece.iter().position(|&b| b == b'=').unwrap_or(piece.len());
    let name = &piece[..name_end];
    if matches!(name, b"Secure" | b"HttpOnly" | b"Partitioned") {
        return Outside::FlagValue;
    }
    let trimmed = super::bytes::trim_wsp(name);
    if trimmed.is_empty()
        || trimmed.len() != name.len()
        || piece.last().is_some_and(|b| matches!(b, b' ' | b'\t'))
    {
        return Outside::Separator;
    }
    match AttributeKind::of(trimmed) {
        AttributeKind::Unknown => Outside::UnknownAttribute,
        _ => Outside::AttributeSpelling,
    }
}

/// The eight attributes, numbered for a bit set of those seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    Path,
    Domain,
    MaxAge,
    Expires,
    SameSite,
    Secure,
    HttpOnly,
    Partitioned,
}

/// Rule 6: the attribute's value is canonical.
#[inline]
fn check_value(kind: Known, value: &[u8], cookie: &SetCookie<'_>) -> Result<(), Outside> {
    let ok = match kind {
        Known::Path => canonical_path(value),
        Known::Domain => canonical_domain_of(value, cookie),
        Known::MaxAge => canonical_max_age(value),
        Known::Expires => parse_strict_imf_fixdate(value).is_some(),
        Known::SameSite => canonical_same_site(value),
        Known::Secure | Known::HttpOnly | Known::Partitioned => true,
    };
    if ok {
        return Ok(());
    }
    Err(match kind {
        Known::Path => Outside::Path,
        Known::Domain => Outside::Domain,
        Known::MaxAge => Outside::MaxAge,
        Known::Expires => Outside::Expires,
        Known::SameSite => Outside::SameSite,
        Known::Secure | Known::HttpOnly | Known::Partitioned => Outside::FlagValue,
    })
}

/// A canonical Path value (rule 6): `/`, then path bytes only, at most 1024 bytes.
#[inline(always)]
pub(super) fn canonical_path(value: &[u8]) -> bool {
    value.first() == Some(&b'/') && value.len() <= MAX_ATTRIBUTE_VALUE_LEN && all_in(value, PATH_BYTE)
}

/// A canonical Max-Age value (rule 6): `0`, or 1–10 digits without a leading zero.
#[inline(always)]
pub(super) fn canonical_max_age(value: &[u8]) -> bool {
    match value {
        [b'0'] => true,
        [b'1'..=b'9', rest @ ..] => rest.len() <= 9 && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// A canonical SameSite value (rule 6): exactly `Strict`, `Lax` or `None`.
#[inline(always)]
fn canonical_same_site(value: &[u8]) -> bool {
    matches!(value, b"Strict" | b"Lax" | b"None")
}

/// A canonical Domain value that the parser took as the cookie's domain (not host-only, not
/// rewritten by lowercasing or dropping a dot).
#[inline]
fn canonical_domain_of(value: &[u8], cookie: &SetCookie<'_>) -> bool {
    canonical_domain(value) && cookie.domain.as_deref().is_some_and(|d| d.as_bytes() == value)
}

/// Lowercase LDH labels of 1–63 bytes, not starting or ending with `-`, separated by single dots,
/// at most 253 bytes in all, the last label not all digits (an IP address, which readers treat
/// apart). The bytes are tested as a whole through the table, then the label edges pair by pair.
pub(super) fn canonical_domain(value: &[u8]) -> bool {
    let (Some(&first), Some(&last)) = (value.first(), value.last()) else {
        return false;
    };
    value.len() <= 253
        && all_in(value, DOMAIN_BYTE)
        && !matches!(first, b'.' | b'-')
        && !matches!(last, b'.' | b'-')
        && labels_are_plain(value)
}

/// No empty label, none that starts or ends with `-` or is longer than 63 bytes, and the last
/// one not all digits, in a value of [`DOMAIN_BYTE`]s that neither starts nor ends with `.`.
#[inline]
fn labels_are_plain(value: &[u8]) -> bool {
    let mut label_start = 0;
    for (at, &b) in value.iter().enumerate() {
        if b == b'.' {
            if at - label_start > 63 || value[at - 1] == b'-' || matches!(value[at + 1], b'.' | b'-') {
                return false;
            }
            label_start = at + 1;
        }
    }
    let last = &value[label_start..];
    last.len() <= 63 && !last.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http_date::ResponseDate;
    use crate::request::RequestUrl;
    use crate::set_cookie::{parse, parse_noting_subset};

    const URL: RequestUrl<'static> = RequestUrl {
        secure: true,
        host: "www.example.com",
        path: "/dir/page",
    };
    const NOW: i64 = 1_700_000_000;

    fn subset(header: &str) -> Result<(), Outside> {
        let (cookie, proven) = parse_noting_subset(header.as_bytes(), &URL);
        assert_eq!(
            proven,
            cookie.first_broken_rule().is_ok(),
            "the strict pass and the rule-by-rule reading disagree on {header:?}"
        );
        cookie.subset(NOW)
    }

    /// The one-pass Domain check against a plain reading of its rule.
    #[test]
    fn canonical_domain_is_the_rule() {
        fn rule(value: &[u8]) -> bool {
            let last = value.rsplit(|&b| b == b'.').next().unwrap_or_default();
            value.len() <= 253
                && !last.iter().all(u8::is_ascii_digit)
                && value.split(|&b| b == b'.').all(|label| {
                    (1..=63).contains(&label.len())
                        && label[0] != b'-'
                        && label[label.len() - 1] != b'-'
                        && all_in(label, LDH)
                })
        }
        let alphabet = [b'a', b'z', b'0', b'9', b'-', b'.', b'A', b'_', b' '];
        // Every string of up to five bytes over the alphabet.
        let mut strings = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u8>> = strings
                .iter()
                .filter(|s| s.len() == strings.last().map_or(0, Vec::len))
                .flat_map(|s| alphabet.iter().map(move |&b| [s.as_slice(), &[b]].concat()))
                .collect();
            strings.extend(longer);
        }
        let label = |n: usize| "a".repeat(n);
        for long in [
            format!("{}.com", label(63)),
            format!("{}.com", label(64)),
            format!("{}.{}.{}.{}", label(63), label(63), label(63), label(61)),
            format!("{}.{}.{}.{}", label(63), label(63), label(63), label(62)),
            "10.0.0.1".to_owned(),
            "a.1".to_owned(),
            "1.a".to_owned(),
        ] {
            strings.push(long.into_bytes());
        }
        for value in strings {
            assert_eq!(
                canonical_domain(&value),
                rule(&value),
                "{:?}",
                String::from_utf8_lossy(&value)
            );
        }
    }

    #[test]
    fn inside() {
        for header in [
            "sid=1",
            "sid=",
            "sid=\"quoted\"",
            "a.b-c_d~e!=x%20y/z:w",
            "sid=abc; Path=/; Domain=example.com; Max-Age=3600; Secure; HttpOnly; SameSite=Lax; Partitioned",
            "sid=abc; SameSite=None; Secure",
            "sid=abc; Secure; Path=/a/b",
            "sid=abc; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
            "sid=abc; Max-Age=9999999999",
            "sid=; Max-Age=0",
            "sid=; Path=/; Domain=www.example.com; Max-Age=0; Secure",
            "__Host-sid=1; Path=/; Secure",
        ] {
            assert_eq!(subset(header), Ok(()), "{header}");
        }
    }

    #[test]
    fn outside_with_the_first_reason() {
        for (header, why) in [
            ("sid=1; Secure", Ok(())),
            ("sid=1; Domain=other.com", Err(Outside::Rejected)),
            ("sid=1; Max-Age=60; Max-Age=x", Err(Outside::Ambiguous)),
            ("=1", Err(Outside::Name)),
            ("nameless", Err(Outside::Name)),
            ("s(d=1", Err(Outside::Name)),
            (" sid=1", Err(Outside::Separator)),
            ("sid =1", Err(Outside::Separator)),
            ("sid= 1", Err(Outside::Separator)),
            ("sid=1 ; Secure", Err(Outside::Separator)),
            ("sid=1;Secure", Err(Outside::Separator)),
            ("sid=1;  Secure", Err(Outside::Separator)),
            ("sid=1; Secure;", Err(Outside::Separator)),
            ("sid=1; Secure; ", Err(Outside::Separator)),
            ("sid=1; ; Secure", Err(Outside::Separator)),
            ("sid=1; Secure ", Err(Outside::Separator)),
            ("sid=a b", Err(Outside::Value)),
            ("sid=a,b", Err(Outside::Value)),
            ("sid=a\\b", Err(Outside::Value)),
            ("sid=\"a", Err(Outside::Value)),
            ("sid=\u{e9}", Err(Outside::Value)),
            ("sid=1; Priority=High", Err(Outside::UnknownAttribute)),
            ("sid=1; secure", Err(Outside::AttributeSpelling)),
            ("sid=1; path=/", Err(Outside::AttributeSpelling)),
            ("sid=1; Max-age=5", Err(Outside::AttributeSpelling)),
            ("sid=1; Path =/", Err(Outside::Separator)),
            ("sid=1; Secure; Secure", Err(Outside::DuplicateAttribute)),
            ("sid=1; Path=/; Path=/a", Err(Outside::DuplicateAttribute)),
            ("sid=1; Path=a", Err(Outside::Path)),
            ("sid=1; Path=", Err(Outside::Path)),
            ("sid=1; Path=/a b", Err(Outside::Path)),
            ("sid=1; Path=/a?b", Err(Outside::Path)),
            ("sid=1; Domain=.example.com", Err(Outside::Domain)),
            ("sid=1; Domain=Example.com", Err(Outside::Domain)),
            ("sid=1; Domain=", Err(Outside::Domain)),
            ("sid=1; Max-Age=+60", Err(Outside::Ambiguous)),
            ("sid=1; Max-Age=060", Err(Outside::MaxAge)),
            ("sid=1; Max-Age=12345678901", Err(Outside::MaxAge)),
            ("sid=1; Max-Age=-1", Err(Outside::MaxAge)),
            ("sid=1; Max-Age=x", Err(Outside::MaxAge)),
            (
                "sid=1; Expires=Wed, 01 Jan 02030 00:00:00 GMT",
                Err(Outside::Expires),
            ),
            (
                "sid=1; Expires=01 Jan 1999:00 2030 00:00:00",
                Err(Outside::Expires),
            ),
            (
                "sid=1; Expires=Thu, 21 Oct 2026 07:28:00 GMT",
                Err(Outside::Expires),
            ),
            (
                "sid=1; Expires=Wed, 21-Oct-2026 07:28:00 GMT",
                Err(Outside::Expires),
            ),
            ("sid=1; SameSite=lax", Err(Outside::SameSite)),
            ("sid=1; SameSite=Bogus", Err(Outside::SameSite)),
            ("sid=1; Secure=yes", Err(Outside::FlagValue)),
            ("sid=1; HttpOnly=", Err(Outside::FlagValue)),
            ("sid=1; Max-Age=0", Err(Outside::Deletion)),
            (
                "sid=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                Err(Outside::Deletion),
            ),
            (
                "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
                Err(Outside::Deletion),
            ),
            ("sid=; Expires=Wed, 21 Oct 2026 07:28:00 GMT", Ok(())),
        ] {
            assert_eq!(subset(header), why, "{header}");
        }
    }

    #[test]
    fn expires_needs_a_stable_date() {
        let cookie = parse(b"sid=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT", &URL);
        let at = |date| ResponseTime { now: NOW, date };
        assert_eq!(cookie.subset(at(ResponseDate::Absent)), Ok(()));
        assert_eq!(cookie.subset(at(ResponseDate::Strict)), Ok(()));
        assert_eq!(
            cookie.subset(at(ResponseDate::Lenient)),
            Err(Outside::ExpiresWithLenientDate)
        );
        let max_age = parse(b"sid=1; Max-Age=60", &URL);
        assert!(max_age.proven(at(ResponseDate::Lenient)));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use crate::http_date::{ResponseDate, ResponseTime};
    use crate::request::RequestUrl;
    use crate::set_cookie::parse::parse_general;
    use crate::set_cookie::{ImfFixdate, parse, parse_noting_subset, reference};

    fn url() -> impl Strategy<Value = RequestUrl<'static>> {
        (
            any::<bool>(),
            prop::sample::select(vec!["www.example.com", "example.com", "10.0.0.1"]),
            prop::sample::select(vec!["/", "/dir/page", "/a/b/"]),
        )
            .prop_map(|(secure, host, path)| RequestUrl { secure, host, path })
    }

    /// Headers near the subset: mostly canonical pieces, some off by a byte.
    fn header() -> impl Strategy<Value = String> {
        let name = prop_oneof![
            4 => "[A-Za-z0-9_.~!-]{1,8}",
            1 => prop::sample::select(vec!["__Host-sid", "__Secure-s", "__host-x", "", " a", "a b", "a\tb"]).prop_map(str::to_owned),
        ];
        let value = prop_oneof![
            4 => "[!#-+./0-9:<-\\[\\]-~]{0,12}",
            1 => "[!#-+./0-9:<-\\[\\]-~]{15,40}",
            1 => "[!-~]{15,40}",
            1 => "\"[A-Za-z0-9]{0,4}\"",
            1 => "[ -~\t]{0,6}",
        ];
        let date = prop_oneof![
            3 => (0i64..300_000_000_000).prop_map(|at| ImfFixdate(at - 12_000_000_000).to_string()),
            1 => prop::sample::select(vec![
                "Wed, 01 Jan 02030 00:00:00 GMT",
                "01 Jan 1999:00 2030 00:00:00",
                "Thu, 21 Oct 2026 07:28:00 GMT",
                "Wed, 21 Oct 2026 07:28:00 UTC",
            ])
            .prop_map(str::to_owned),
        ];
        let attribute = prop_oneof![
            prop::sample::select(vec![
                "Path=/",
                "Path=/dir",
                "Path=/a b",
                "path=/",
                "Path=",
                "Domain=example.com",
                "Domain=www.example.com",
                "Domain=.example.com",
                "Domain=EXAMPLE.com",
                "Max-Age=0",
                "Max-Age=60",
                "Max-Age=-1",
                "Max-Age=+5",
                "Max-Age=0060",
                "Max-Age=99999999999",
                "Secure",
                "secure",
                "Secure=1",
                "HttpOnly",
                "SameSite=Lax",
                "SameSite=Strict",
                "SameSite=None",
                "SameSite=lax",
                "Partitioned",
                "Priority=High",
                "",
            ])
            .prop_map(str::to_owned),
            date.prop_map(|d| format!("Expires={d}")),
        ];
        let separator = prop_oneof![8 => Just("; "), 1 => Just(";"), 1 => Just(" ; ")];
        (
            name,
            value,
            prop::collection::vec((separator, attribute), 0..6),
            prop::sample::select(vec!["", ";", " "]),
        )
            .prop_map(|(name, value, attributes, tail)| {
                let mut header = format!("{name}={value}");
                for (separator, attribute) in attributes {
                    header.push_str(separator);
                    header.push_str(&attribute);
                }
                header.push_str(tail);
                header
            })
    }

    fn time() -> impl Strategy<Value = ResponseTime> {
        (
            prop::sample::select(vec![1_700_000_000i64, 0, 2_000_000_000]),
            prop::sample::select(vec![
                ResponseDate::Absent,
                ResponseDate::Strict,
                ResponseDate::Lenient,
            ]),
        )
            .prop_map(|(now, date)| ResponseTime { now, date })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        /// The strict pass reads a header exactly as the general algorithm does, and says it
        /// keeps rules 1–6 exactly when the rule-by-rule reading does.
        #[test]
        fn the_strict_pass_agrees_with_the_rules(header in header(), url in url()) {
            let (cookie, proven) = parse_noting_subset(header.as_bytes(), &url);
            prop_assert_eq!(&cookie, &parse_general(header.as_bytes(), &url), "{:?}", header);
            prop_assert_eq!(
                proven,
                cookie.first_broken_rule().is_ok(),
                "{:?}: {:?}",
                header,
                cookie.first_broken_rule()
            );
        }

        /// Inside the subset, the reference parser (a plain reading of the draft) reads exactly
        /// what the parser reads.
        #[test]
        fn inside_the_subset_the_reference_parser_agrees(header in header(), url in url(), time in time()) {
            let cookie = parse(header.as_bytes(), &url);
            if cookie.proven(time) {
                let mut model = reference::parse(header.as_bytes(), &url);
                model.header = cookie.header;
                prop_assert_eq!(&cookie, &model, "{:?}", header);
            }
        }

        /// The canonical form of an accepted, unambiguous cookie with a subset name and value — as a
        /// deletion when it is one, without Expires under a lenient Date — is inside the subset.
        #[test]
        fn canonical_output_is_inside_the_subset(header in header(), url in url(), time in time()) {
            let cookie = parse(header.as_bytes(), &url);
            if cookie.rejection.is_some() || !cookie.ambiguities.is_empty() {
                return Ok(());
            }
            let pair_ok = !cookie.name.is_empty()
                && cookie.name.iter().all(|&b| super::CLASS[usize::from(b)] & super::TCHAR != 0)
                && {
                    let v = match cookie.value {
                        [b'"', inner @ .., b'"'] => inner,
                        v => v,
                    };
                    v.iter().all(|&b| super::CLASS[usize::from(b)] & super::COOKIE_OCTET != 0)
                };
            if !pair_ok {
                return Ok(());
            }
            let mut canonical = cookie.clone();
            if cookie.is_deletion(time.now) {
                canonical.value = b"";
                canonical.max_age = Some(0);
                canonical.expires = None;
            } else if !time.expires_is_stable() && cookie.expires.is_some() {
                canonical.max_age = cookie.lifetime(time.now);
                canonical.expires = None;
            }
            // A Path the canonical form keeps must itself be canonical (a policy's always is).
            if canonical.path.is_some_and(|p| !super::all_in(p, super::PATH_BYTE) || p.len() > super::MAX_ATTRIBUTE_VALUE_LEN) {
                return Ok(());
            }
            let bytes = canonical.to_canonical();
            let again = parse(&bytes, &url);
            prop_assert_eq!(again.subset(time), Ok(()), "{:?} -> {:?}", header, String::from_utf8_lossy(&bytes));
            let mut twice = Vec::new();
            again.write_canonical(&mut twice);
            prop_assert_eq!(twice, bytes);
        }
    }
}
