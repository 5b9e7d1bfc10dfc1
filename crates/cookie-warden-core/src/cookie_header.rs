//! The request `Cookie` header: split into pairs as browsers serialise it, and re-joined.
//!
//! Browsers send `name=value` pairs separated by `"; "` (draft-ietf-httpbis-rfc6265bis-22 §5.8.3):
//! a cookie with an empty name is sent as its value alone (no `=`), so a pair without `=` is a
//! nameless cookie here, not a cookie named by the text. Other clients may separate pairs with `;`
//! alone or put spaces and tabs around them; those are skipped, but nothing inside a pair is
//! trimmed, so a name with odd spacing stays a different name (fail closed: it matches no rule).
//! Empty pairs (`a=1;;b=2`) are skipped.
//!
//! Re-joining keeps each kept pair's bytes exactly as they arrived and separates them with `"; "`.
//!
//! # Pairs hidden behind commas
//!
//! Browsers never split a `Cookie` header on `,`, and allow `,` inside a cookie's value, but some
//! server-side parsers do split on it (RFC 2965 used `,` between cookies; Rack did before
//! CVE-2020-8184, and others still do). To such a parser `sid=1,tracker=2` is two cookies, `sid`
//! and `tracker`. [`hidden_pairs`] names the pairs such a parser would read inside one pair, so
//! that they can be judged too: each piece of the pair after a `,` that holds a `=` (spaces and
//! tabs around the piece skipped, its name the bytes before the first `=`). Quotes do not protect a
//! comma (a naive splitter ignores them), and a piece without `=` is no pair (a value that lists
//! words, `necessary,statistics`, hides nothing). A piece that starts with `=` hides a nameless
//! pair.
//!
//! ```
//! use cookie_warden_core::cookie_header::{join, pairs};
//!
//! let header = b"sid=abc; _ga=GA1.2; theme=dark";
//! let names: Vec<&[u8]> = pairs(header).map(|p| p.name).collect();
//! assert_eq!(names, [&b"sid"[..], b"_ga", b"theme"]);
//!
//! let mut out = Vec::new();
//! join(pairs(header).filter(|p| p.name != b"_ga"), &mut out);
//! assert_eq!(out, b"sid=abc; theme=dark");
//! ```

use std::fmt;

/// One `name=value` pair of a `Cookie` header. Its `Debug` output never shows the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CookiePair<'h> {
    /// The name: the bytes before the first `=`; empty for a nameless cookie (a pair without `=`).
    pub name: &'h [u8],
    /// The value: the bytes after the first `=`, or the whole pair when it holds no `=`.
    pub value: &'h [u8],
    /// The whole pair as it arrived (without the separators around it), for re-joining.
    pub raw: &'h [u8],
}

impl fmt::Debug for CookiePair<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookiePair")
            .field("name", &String::from_utf8_lossy(self.name))
            .field("value", &"<redacted>")
            .finish()
    }
}

/// The pairs of a `Cookie` header value, in order. Allocates nothing.
pub fn pairs(header: &[u8]) -> Pairs<'_> {
    Pairs { rest: header }
}

/// Iterator over the pairs of a `Cookie` header; see [`pairs`].
#[derive(Clone)]
pub struct Pairs<'h> {
    rest: &'h [u8],
}

impl fmt::Debug for Pairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pairs(<redacted>)")
    }
}

impl<'h> Iterator for Pairs<'h> {
    type Item = CookiePair<'h>;

    fn next(&mut self) -> Option<CookiePair<'h>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let raw = trim_ows(split_off(&mut self.rest, b';'));
            if raw.is_empty() {
                continue;
            }
            let pair = match memchr::memchr(b'=', raw) {
                Some(at) => CookiePair {
                    name: &raw[..at],
                    value: &raw[at + 1..],
                    raw,
                },
                None => CookiePair {
                    name: &raw[..0],
                    value: raw,
                    raw,
                },
            };
            return Some(pair);
        }
    }
}

impl std::iter::FusedIterator for Pairs<'_> {}

/// The value of the first pair named exactly `name`, if any. Browsers send the cookie with the
/// longest Path first, so the first is the most specific one. The value is a part of `header`
/// (a subslice, never a copy), so its place in the header can be worked out from it.
pub fn find<'h>(header: &'h [u8], name: &[u8]) -> Option<&'h [u8]> {
    pairs(header)
        .find(|pair| pair.name == name)
        .map(|pair| pair.value)
}

/// The pairs that a parser splitting on `,` as well as `;` would read inside `pair`, besides the
/// pair itself (see the module docs): each piece after a `,` that holds a `=`. Allocates nothing;
/// a pair without `,` costs one scan for it.
///
/// ```
/// use cookie_warden_core::cookie_header::{hidden_pairs, pairs};
///
/// let pair = pairs(b"sid=1, tracker=2,x,=y").next().unwrap();
/// let hidden: Vec<&[u8]> = hidden_pairs(&pair).map(|p| p.name).collect();
/// assert_eq!(hidden, [&b"tracker"[..], b""]);
///
/// let consent = pairs(b"cookie_consent=necessary,statistics").next().unwrap();
/// assert_eq!(hidden_pairs(&consent).count(), 0);
/// ```
pub fn hidden_pairs<'h>(pair: &CookiePair<'h>) -> HiddenPairs<'h> {
    let mut rest = pair.raw;
    split_off(&mut rest, b',');
    HiddenPairs { rest }
}

/// Iterator over the pairs hidden behind commas in one pair; see [`hidden_pairs`].
#[derive(Clone)]
pub struct HiddenPairs<'h> {
    /// What follows the last `,` consumed.
    rest: &'h [u8],
}

impl fmt::Debug for HiddenPairs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HiddenPairs(<redacted>)")
    }
}

impl<'h> Iterator for HiddenPairs<'h> {
    type Item = CookiePair<'h>;

    fn next(&mut self) -> Option<CookiePair<'h>> {
        while !self.rest.is_empty() {
            let raw = trim_ows(split_off(&mut self.rest, b','));
            if let Some(at) = memchr::memchr(b'=', raw) {
                return Some(CookiePair {
                    name: &raw[..at],
                    value: &raw[at + 1..],
                    raw,
                });
            }
        }
        None
    }
}

impl std::iter::FusedIterator for HiddenPairs<'_> {}

/// Appends `kept` pairs to `out`, each exactly as it arrived, separated by `"; "`.
///
/// `out` is appended to, not cleared; when it is not empty, a `"; "` is written first, so the pairs
/// of several `Cookie` header fields (HTTP/2 may split one header into several) can be joined into
/// one.
pub fn join<'h>(kept: impl IntoIterator<Item = CookiePair<'h>>, out: &mut Vec<u8>) {
    for pair in kept {
        if !out.is_empty() {
            out.extend_from_slice(b"; ");
        }
        out.extend_from_slice(pair.raw);
    }
}

/// The bytes of `rest` before the first `separator` (all of them when there is none); `rest`
/// keeps what follows the separator.
fn split_off<'h>(rest: &mut &'h [u8], separator: u8) -> &'h [u8] {
    let bytes: &'h [u8] = rest;
    match memchr::memchr(separator, bytes) {
        Some(at) => {
            *rest = &bytes[at + 1..];
            &bytes[..at]
        }
        None => {
            *rest = &bytes[bytes.len()..];
            bytes
        }
    }
}

/// `bytes` without leading and trailing spaces and tabs.
pub(crate) fn trim_ows(mut bytes: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = bytes {
        bytes = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = bytes {
        bytes = rest;
    }
    bytes
}
