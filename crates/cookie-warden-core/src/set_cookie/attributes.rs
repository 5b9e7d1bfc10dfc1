//! The raw attributes of a `Set-Cookie` line: which names were seen, how often, and an iterator
//! over them for callers that need the exact text.

use std::fmt;

use super::bytes::{find_end_and_equals, trim_wsp};

/// The largest attribute value a browser honours (§5.6, "cookie-av" step 6); longer ones are
/// ignored as if absent.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 1024;

/// An attribute name as §5.6 recognises it (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AttributeKind {
    /// `Expires`
    Expires,
    /// `Max-Age`
    MaxAge,
    /// `Domain`
    Domain,
    /// `Path`
    Path,
    /// `Secure`
    Secure,
    /// `HttpOnly`
    HttpOnly,
    /// `SameSite`
    SameSite,
    /// `Partitioned` (CHIPS)
    Partitioned,
    /// Any other name, including empty ones (ignored by browsers).
    Unknown,
}

impl AttributeKind {
    /// Classifies an attribute name (already trimmed), ASCII case-insensitively: by length first,
    /// then one compare of the name as a little-endian word with bit 0x20 set in each byte.
    pub fn of(name: &[u8]) -> AttributeKind {
        // Setting bit 0x20 maps a letter onto its lowercase form and no other byte onto a letter;
        // `-` is compared exactly (CR would fold onto it).
        match name.len() {
            4 if short_word(name) | fold_mask(4) == word(b"path") => AttributeKind::Path,
            6 => match short_word(name) | fold_mask(6) {
                folded if folded == word(b"domain") => AttributeKind::Domain,
                folded if folded == word(b"secure") => AttributeKind::Secure,
                _ => AttributeKind::Unknown,
            },
            7 => {
                let name = short_word(name);
                if name | fold_mask(7) == word(b"expires") {
                    AttributeKind::Expires
                } else if name | (fold_mask(7) & !(0x20 << 24)) == word(b"max-age") {
                    AttributeKind::MaxAge
                } else {
                    AttributeKind::Unknown
                }
            }
            8 => match short_word(name) | fold_mask(8) {
                folded if folded == word(b"httponly") => AttributeKind::HttpOnly,
                folded if folded == word(b"samesite") => AttributeKind::SameSite,
                _ => AttributeKind::Unknown,
            },
            11 if short_word(&name[..8]) | fold_mask(8) == word(b"partitio")
                && short_word(&name[7..]) | fold_mask(4) == word(b"oned") =>
            {
                AttributeKind::Partitioned
            }
            _ => AttributeKind::Unknown,
        }
    }

    /// The attribute's canonical spelling (`Max-Age`, `HttpOnly`, …); `None` for unknown ones.
    pub fn canonical_name(self) -> Option<&'static str> {
        Some(match self {
            AttributeKind::Expires => "Expires",
            AttributeKind::MaxAge => "Max-Age",
            AttributeKind::Domain => "Domain",
            AttributeKind::Path => "Path",
            AttributeKind::Secure => "Secure",
            AttributeKind::HttpOnly => "HttpOnly",
            AttributeKind::SameSite => "SameSite",
            AttributeKind::Partitioned => "Partitioned",
            AttributeKind::Unknown => return None,
        })
    }
}

/// Bit 0x20 in each of the low `len` bytes of a word (`len` ≤ 8).
const fn fold_mask(len: u32) -> u64 {
    0x2020_2020_2020_2020 >> (64 - 8 * len)
}

/// A word spelled little-endian, zero-padded (at most eight bytes).
pub(crate) const fn word(spelling: &[u8]) -> u64 {
    let mut value = 0u64;
    let mut i = spelling.len();
    while i > 0 {
        i -= 1;
        value = value << 8 | spelling[i] as u64;
    }
    value
}

/// A name of 4 to 8 bytes as a little-endian word, zero-padded: two 4-byte loads, the second
/// one overlapping the first unless the name has 8 bytes. Other lengths give 0.
#[inline]
pub(crate) fn short_word(name: &[u8]) -> u64 {
    let len = name.len();
    match (name.first_chunk::<4>(), name.last_chunk::<4>()) {
        (Some(head), Some(tail)) if len <= 8 => {
            u64::from(u32::from_le_bytes(*head)) | u64::from(u32::from_le_bytes(*tail)) << (8 * (len - 4))
        }
        _ => 0,
    }
}

/// The first `N` bytes with bit 0x20 set in each: equal to a lowercase word made of letters (and
/// `-`, which CR also folds onto: check such bytes yourself) exactly when the bytes match it
/// ASCII case-insensitively, since a letter folds only with its other case. Shorter input folds
/// as if padded with NUL, which matches no such word.
#[inline]
pub(crate) fn fold_case<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut folded = [0u8; N];
    if let Some(head) = bytes.first_chunk::<N>() {
        folded = *head;
        for b in &mut folded {
            *b |= 0x20;
        }
    }
    folded
}

/// §5.6 "cookie-av" steps 1–5 for the attribute that starts at `from` (just after its `;`): its
/// name and value, trimmed of space and tab (the value empty when there is no `=`), and the index
/// where it ends (of the next `;`, or `bytes.len()`). The usual single space after the `;` is
/// skipped first.
#[inline(always)]
pub(crate) fn split_cookie_av(bytes: &[u8], from: usize) -> (&[u8], &[u8], usize) {
    let start = if bytes.get(from) == Some(&b' ') {
        from + 1
    } else {
        from
    };
    let (end, equals) = find_end_and_equals(bytes, start);
    if equals < end {
        (
            trim_wsp(&bytes[start..equals]),
            trim_wsp(&bytes[equals + 1..end]),
            end,
        )
    } else {
        (trim_wsp(&bytes[start..end]), &[], end)
    }
}

/// How many attributes of each kind a line carries, valid or not. Attributes whose value is over
/// 1024 bytes are ignored by browsers before their name is looked at: they count only in
/// [`AttributeCounts::oversize`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct AttributeCounts {
    /// `Expires` attributes (valid or not).
    pub expires: u16,
    /// `Max-Age` attributes (valid or not).
    pub max_age: u16,
    /// `Domain` attributes.
    pub domain: u16,
    /// `Path` attributes.
    pub path: u16,
    /// `Secure` attributes.
    pub secure: u16,
    /// `HttpOnly` attributes.
    pub http_only: u16,
    /// `SameSite` attributes (recognised value or not).
    pub same_site: u16,
    /// `Partitioned` attributes.
    pub partitioned: u16,
    /// Attributes with any other name, including empty ones (`;;`).
    pub unknown: u16,
    /// Attributes dropped because their value is longer than 1024 bytes.
    pub oversize: u16,
}

impl AttributeCounts {
    /// Counts one attribute of `kind`.
    pub(crate) fn add(&mut self, kind: AttributeKind) {
        let slot = match kind {
            AttributeKind::Expires => &mut self.expires,
            AttributeKind::MaxAge => &mut self.max_age,
            AttributeKind::Domain => &mut self.domain,
            AttributeKind::Path => &mut self.path,
            AttributeKind::Secure => &mut self.secure,
            AttributeKind::HttpOnly => &mut self.http_only,
            AttributeKind::SameSite => &mut self.same_site,
            AttributeKind::Partitioned => &mut self.partitioned,
            AttributeKind::Unknown => &mut self.unknown,
        };
        *slot = slot.saturating_add(1);
    }

    /// The kinds of known attribute that appear more than once (in the canonical order).
    pub fn duplicates(&self) -> impl Iterator<Item = AttributeKind> + '_ {
        [
            (self.path, AttributeKind::Path),
            (self.domain, AttributeKind::Domain),
            (self.max_age, AttributeKind::MaxAge),
            (self.expires, AttributeKind::Expires),
            (self.secure, AttributeKind::Secure),
            (self.http_only, AttributeKind::HttpOnly),
            (self.same_site, AttributeKind::SameSite),
            (self.partitioned, AttributeKind::Partitioned),
        ]
        .into_iter()
        .filter_map(|(count, kind)| (count > 1).then_some(kind))
    }
}

/// One attribute exactly as written (name and value trimmed of space and tab only).
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RawAttribute<'h> {
    /// The name as written (any case).
    pub name: &'h [u8],
    /// The value as written; empty when there was no `=`.
    pub value: &'h [u8],
    /// What the name means to a browser.
    pub kind: AttributeKind,
    /// The value is longer than 1024 bytes, so browsers ignore this attribute.
    pub oversize: bool,
}

impl fmt::Debug for RawAttribute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value may hold cookie data (comma-joined headers): show its length only.
        f.debug_struct("RawAttribute")
            .field("name", &String::from_utf8_lossy(self.name))
            .field("value_len", &self.value.len())
            .field("kind", &self.kind)
            .field("oversize", &self.oversize)
            .finish()
    }
}

/// Iterator over the attributes of a line, in order (see [`super::SetCookie::raw_attributes`]).
#[derive(Clone)]
pub struct RawAttributes<'h> {
    /// What is left, starting at a `;` (or empty).
    rest: &'h [u8],
}

impl<'h> RawAttributes<'h> {
    /// Iterates the attributes of `unparsed`, which is empty or starts with `;`.
    pub(crate) fn new(unparsed: &'h [u8]) -> Self {
        RawAttributes { rest: unparsed }
    }
}

impl fmt::Debug for RawAttributes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawAttributes")
            .field("remaining_len", &self.rest.len())
            .finish()
    }
}

impl<'h> Iterator for RawAttributes<'h> {
    type Item = RawAttribute<'h>;

    fn next(&mut self) -> Option<RawAttribute<'h>> {
        self.rest.first()?;
        let (name, value, end) = split_cookie_av(self.rest, 1);
        self.rest = &self.rest[end..];
        Some(RawAttribute {
            name,
            value,
            kind: AttributeKind::of(name),
            oversize: value.len() > MAX_ATTRIBUTE_VALUE_LEN,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_insensitive_and_exact() {
        for (name, kind) in [
            (&b"path"[..], AttributeKind::Path),
            (b"PaTh", AttributeKind::Path),
            (b"Domain", AttributeKind::Domain),
            (b"SECURE", AttributeKind::Secure),
            (b"expires", AttributeKind::Expires),
            (b"Max-Age", AttributeKind::MaxAge),
            (b"HttpOnly", AttributeKind::HttpOnly),
            (b"samesite", AttributeKind::SameSite),
            (b"Partitioned", AttributeKind::Partitioned),
            (b"PARTITIONED", AttributeKind::Partitioned),
        ] {
            assert_eq!(AttributeKind::of(name), kind, "{}", String::from_utf8_lossy(name));
        }
        for other in [
            &b""[..],
            b"pat",
            b"paths",
            b"max\rage",
            b"max age",
            b"Max_Age",
            b"Secure ",
            b"partitionex",
            b"partitionedx",
            b"Http Only",
            b"p@th",
            b"\x10ATH",
        ] {
            assert_eq!(
                AttributeKind::of(other),
                AttributeKind::Unknown,
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }
}
