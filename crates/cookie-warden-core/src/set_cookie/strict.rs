//! The strict pass: one reading of a header written in the proven subset's syntax (rules 2–6 of
//! the [subset](super::subset)), which is how almost every header of a well-behaved upstream is
//! written. It reads such a header into the same fields as the general algorithm of §5.6 would,
//! and stops at the first piece outside that syntax: the general algorithm then goes on from
//! there, with what the strict pass read (or from the start, when the name-value pair is not
//! in the syntax).
//!
//! It is [`super::parse`]'s fast path, and its answer is `decide`'s: a header it reads to the end
//! needs no second look to be let through byte for byte (only the checks against the URL, which
//! both readings share, and rules 7–8). Because the syntax is strict, the pass is simple and
//! cheap:
//!
//! - the name is a run of token bytes, which must end at a `=`; the value a run of
//!   `cookie-octet`s (16 bytes a step with SSE2 on x86_64), optionally between one pair of `"`,
//!   which must end at a `;` or the end; nothing is trimmed, since neither can hold space or tab;
//! - the pieces are separated by exactly `; `, and each is told by its first four bytes read as
//!   one word, then compared with its canonical spelling: a flag or a SameSite has a known
//!   length, an Expires is 29 bytes, a Max-Age a run of digits; a Path or a Domain runs to the
//!   next `;` and must be canonical as a whole. Each attribute at most once;
//! - no byte is left unread, and none of the bytes the syntax allows is a control byte or a tab,
//!   so a line read to the end needs no scan for those.
//!
//! A piece is taken only once it is known to be canonical and to end at a `;` or the end, so that
//! what the pass has read when it stops is exactly what the general algorithm would have read of
//! the pieces before: it can go on from the `;` before the piece the pass stopped at. The two
//! readings give the same [`SetCookie`] for every header (property-tested, here and against the
//! test-only reference parser); and the pass reads to the end every header that keeps rules 1–6
//! (also tested), so that a header it does not read to the end is outside the subset.

use super::attributes::short_word;
use super::bytes::{position_of_either, tail_word, word_at};
use super::max_age::{MaxAge, parse_max_age};
use super::seen::Seen;
use super::subset::{COOKIE_OCTET, TCHAR, canonical_domain, canonical_max_age, canonical_path, class_of};
use super::{SameSite, SetCookie};
use crate::http_date::parse_strict_imf_fixdate;

/// How far the strict pass read a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Strict {
    /// To the end: the header is in the subset's syntax.
    Whole,
    /// The name-value pair and the pieces before the `;` at this index, where the first piece
    /// outside the syntax starts: the general algorithm goes on from there.
    Until(usize),
    /// Not the name-value pair: the cookie is untouched, and the general algorithm reads the
    /// header from the start.
    Nothing,
}

/// Reads `header` as far as it is written in the subset's syntax (rules 2–6 but for the checks
/// against the URL) into an unread `cookie` ([`SetCookie::unread`]), noting the last Path and
/// Domain and the valid Max-Age and Expires in `seen` as the general reading does.
#[inline(always)]
pub(super) fn read<'h>(header: &'h [u8], cookie: &mut SetCookie<'h>, seen: &mut Seen<'h>) -> Strict {
    let len = header.len();
    // Rule 2: a token, then `=`.
    let Some(name_len) = header.iter().position(|&b| class_of(b) & TCHAR == 0) else {
        return Strict::Nothing;
    };
    if name_len == 0 || header[name_len] != b'=' {
        return Strict::Nothing;
    }
    // Rule 3: cookie-octets, or cookie-octets between one pair of `"`; then `;` or the end, where
    // the general algorithm ends the pair too.
    let value_start = name_len + 1;
    let value_end = if header.get(value_start) == Some(&b'"') {
        let closing = cookie_octets_end(header, value_start + 1);
        if header.get(closing) != Some(&b'"') {
            return Strict::Nothing;
        }
        closing + 1
    } else {
        cookie_octets_end(header, value_start)
    };
    if value_end < len && header[value_end] != b';' {
        return Strict::Nothing;
    }
    cookie.name = &header[..name_len];
    cookie.value = &header[value_start..value_end];
    cookie.unparsed_attributes = &header[value_end..];
    // Rules 4–6: `; ` and a canonical attribute, up to the end. `at` is at a `;`.
    let mut at = value_end;
    while at < len {
        if header.get(at + 1) != Some(&b' ') {
            return Strict::Until(at);
        }
        match attribute(header, at + 2, cookie, seen) {
            Some(end) => at = end,
            None => return Strict::Until(at),
        }
    }
    Strict::Whole
}

/// The index of the first byte at or after `from` (≤ `bytes.len()`) that is not a
/// `cookie-octet`, or `bytes.len()`: SSE2 compares on x86_64 for a line of 16 bytes or more,
/// the byte table otherwise.
#[inline(always)]
fn cookie_octets_end(bytes: &[u8], from: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if bytes.len() >= 16 {
        return super::sse2::cookie_octets_end(bytes, from);
    }
    cookie_octets_end_portable(bytes, from)
}

/// [`cookie_octets_end`] a byte at a time.
#[inline(always)]
fn cookie_octets_end_portable(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| class_of(b) & COOKIE_OCTET == 0)
        .map_or(bytes.len(), |offset| from + offset)
}

/// Reads the canonical attribute at `at` (just after a `; `), one `cookie` has none of yet
/// (rule 5), that ends at a `;` or the end of the line: takes it into `cookie` and `seen` as the
/// general algorithm does, and gives the index of that end. `None`, with nothing taken, for any
/// other piece.
///
/// One dispatch on the first four bytes read as a word, then a compare of the name's eight bytes
/// (zero-padded, so that a piece cut short never matches).
#[inline(always)]
fn attribute<'h>(
    header: &'h [u8],
    at: usize,
    cookie: &mut SetCookie<'h>,
    seen: &mut Seen<'h>,
) -> Option<usize> {
    use super::attributes::word as name;
    const fn low(bytes: u32) -> u64 {
        u64::MAX >> (64 - 8 * bytes)
    }
    const SECU: u32 = name(b"Secu") as u32;
    const HTTP: u32 = name(b"Http") as u32;
    const PART: u32 = name(b"Part") as u32;
    const SAME: u32 = name(b"Same") as u32;
    const PATH: u32 = name(b"Path") as u32;
    const MAX_: u32 = name(b"Max-") as u32;
    const EXPI: u32 = name(b"Expi") as u32;
    const DOMA: u32 = name(b"Doma") as u32;

    // The piece must end where the caller needs it to: at a `;` or the end.
    let ends = |end: usize| (end == header.len() || header[end] == b';').then_some(end);
    let piece = &header[at..];
    let head = head_word(piece);
    let counts = &mut cookie.attributes;
    match head as u32 {
        SECU if head & low(6) == name(b"Secure") && counts.secure == 0 => {
            let end = ends(at + 6)?;
            counts.secure = 1;
            cookie.secure = true;
            Some(end)
        }
        HTTP if head == name(b"HttpOnly") && counts.http_only == 0 => {
            let end = ends(at + 8)?;
            counts.http_only = 1;
            cookie.http_only = true;
            Some(end)
        }
        PART if head == name(b"Partitio") && piece.get(8..11) == Some(b"ned") && counts.partitioned == 0 => {
            let end = ends(at + 11)?;
            counts.partitioned = 1;
            cookie.partitioned = true;
            Some(end)
        }
        SAME if head == name(b"SameSite") && counts.same_site == 0 => {
            let (same_site, len) = match piece.get(8..) {
                Some([b'=', b'S', b't', b'r', b'i', b'c', b't', ..]) => (SameSite::Strict, 15),
                Some([b'=', b'L', b'a', b'x', ..]) => (SameSite::Lax, 12),
                Some([b'=', b'N', b'o', b'n', b'e', ..]) => (SameSite::None, 13),
                _ => return None,
            };
            let end = ends(at + len)?;
            counts.same_site = 1;
            cookie.same_site = same_site;
            Some(end)
        }
        PATH if head & low(5) == name(b"Path=") && counts.path == 0 => {
            let (end, path) = value_to_semicolon(header, at + 5, canonical_path)?;
            counts.path = 1;
            cookie.path = Some(path);
            seen.last_path = Some(path);
            Some(end)
        }
        MAX_ if head == name(b"Max-Age=") && counts.max_age == 0 => {
            let digits = piece[8..]
                .iter()
                .take(11)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let value = &piece[8..8 + digits];
            let end = ends(at + 8 + digits)?;
            if !canonical_max_age(value) {
                return None;
            }
            let MaxAge::Seconds(seconds) = parse_max_age(value) else {
                return None;
            };
            counts.max_age = 1;
            cookie.max_age = Some(seconds);
            seen.valid_max_age();
            Some(end)
        }
        EXPI if head == name(b"Expires=") && counts.expires == 0 => {
            let value = piece.get(8..8 + IMF_FIXDATE_LEN)?;
            let end = ends(at + 8 + IMF_FIXDATE_LEN)?;
            // On a strict IMF-fixdate the draft's reading (what the general algorithm stores) is
            // the same instant: tested below on every day of the years it allows.
            let date = parse_strict_imf_fixdate(value)?;
            counts.expires = 1;
            cookie.expires = Some(date);
            seen.valid_expires();
            Some(end)
        }
        DOMA if head & low(7) == name(b"Domain=") && counts.domain == 0 => {
            let (end, domain) = value_to_semicolon(header, at + 7, canonical_domain)?;
            counts.domain = 1;
            seen.last_domain = Some(domain);
            Some(end)
        }
        _ => None,
    }
}

/// A Path's or a Domain's value: from `from` to the next `;` or the end (so the piece ends there),
/// and `canonical` as a whole. Its end and the value.
#[inline(always)]
fn value_to_semicolon(
    header: &[u8],
    from: usize,
    canonical: impl Fn(&[u8]) -> bool,
) -> Option<(usize, &[u8])> {
    let end = position_of_either(header, from, b';', b';');
    let value = &header[from..end];
    canonical(value).then_some((end, value))
}

/// The length of a strict IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
const IMF_FIXDATE_LEN: usize = 29;

/// The first eight bytes of `bytes` as a little-endian word, zero-padded past the end: one load,
/// the attribute-name reader's two overlapping 4-byte loads for 4–7 bytes, or the byte scanner's
/// padded tail below that.
#[inline(always)]
fn head_word(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    if len >= 8 {
        word_at(bytes, 0)
    } else if len >= 4 {
        short_word(bytes)
    } else {
        tail_word(bytes, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::RequestUrl;
    use crate::set_cookie::parse::parse_general;

    const URL: RequestUrl<'static> = RequestUrl {
        secure: true,
        host: "www.example.com",
        path: "/dir/page",
    };

    /// The strict pass reads `header` to the end (and, to the end or not, the parse is the
    /// general algorithm's).
    fn reads(header: &str) -> bool {
        let mut seen = Seen::default();
        let mut cookie = SetCookie::unread(header.as_bytes());
        let strict = read(header.as_bytes(), &mut cookie, &mut seen);
        let (cookie, _) = super::super::parse_noting_subset(header.as_bytes(), &URL);
        assert_eq!(cookie, parse_general(header.as_bytes(), &URL), "{header:?}");
        strict == Strict::Whole
    }

    #[test]
    fn the_octet_scans_agree_on_every_length_and_position() {
        // `~` (0x7E) sits next to DEL at the top of the octets.
        for (len, fill) in (0..48).flat_map(|len| [(len, b'x'), (len, b'~')]) {
            let clean = vec![fill; len];
            for from in 0..=len {
                assert_eq!(cookie_octets_end(&clean, from), len, "{len} from {from}");
            }
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut bytes = clean.clone();
                    bytes[at] = b;
                    let octet = class_of(b) & COOKIE_OCTET != 0;
                    for from in 0..=len {
                        let want = if octet || at < from { len } else { at };
                        assert_eq!(
                            cookie_octets_end(&bytes, from),
                            want,
                            "{b:#x} at {at} of {len} from {from}"
                        );
                        assert_eq!(
                            cookie_octets_end_portable(&bytes, from),
                            want,
                            "{b:#x} at {at} of {len} from {from}"
                        );
                    }
                }
            }
        }
    }

    /// What lets the strict pass take a strict IMF-fixdate's instant for the draft's: on every
    /// day of the years the subset allows (every day to 2200, every 13th after), at a time of
    /// day that moves with the day, and on every second of one day, they agree.
    #[test]
    fn on_a_strict_imf_fixdate_the_draft_reads_the_same_instant() {
        use crate::http_date::parse_strict_imf_fixdate;
        use crate::set_cookie::date::parse_cookie_date;
        use crate::set_cookie::serialize::imf_fixdate_bytes;

        let last_day = 2_932_896; // 9999-12-31
        let days = (0..=84_006)
            .chain((84_007..=last_day).step_by(13))
            .chain([last_day]);
        let seconds = days
            .map(|day| day * 86_400 + (day * 7_919) % 86_400)
            .chain((0..86_400).map(|second| 11_016 * 86_400 + second))
            .chain([last_day * 86_400 + 86_399]);
        for at in seconds {
            let date = imf_fixdate_bytes(at);
            assert_eq!(
                parse_strict_imf_fixdate(&date),
                Some(at),
                "{}",
                String::from_utf8_lossy(&date)
            );
            assert_eq!(
                parse_cookie_date(&date),
                Ok(at),
                "{}",
                String::from_utf8_lossy(&date)
            );
        }
        assert_eq!(
            &imf_fixdate_bytes(last_day * 86_400 + 86_399),
            b"Fri, 31 Dec 9999 23:59:59 GMT"
        );
        assert!(reads("sid=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT"));
        assert!(reads("sid=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
        assert!(!reads("sid=1; Expires=Wed, 31 Dec 1969 23:59:59 GMT"));
    }

    #[test]
    fn reads_every_piece_to_its_end() {
        let long = "0123456789abcdefABCDEF-_.~!#$%&'*+^`|";
        for (header, read) in [
            ("sid=1", true),
            ("sid=", true),
            ("sid=\"\"", true),
            ("sid=\"quoted\"", true),
            ("sid=\"", false),
            ("sid=\"a\"b", false),
            ("sid=a\"", false),
            ("=1", false),
            ("sid", false),
            (" sid=1", false),
            ("sid =1", false),
            ("sid= 1", false),
            ("sid=1 ", false),
            ("sid=1;", false),
            ("sid=1; ", false),
            ("sid=1;Secure", false),
            ("sid=1;  Secure", false),
            ("sid=1 ; Secure", false),
            ("sid=1; SameSite=Lax; Secure", true),
            ("sid=1; SameSite=Strict", true),
            ("sid=1; SameSite=None; Secure", true),
            ("sid=1; SameSite=Laxx", false),
            ("sid=1; SameSite=Strictly", false),
            ("sid=1; SameSite=Non", false),
            ("sid=1; SameSite=", false),
            ("sid=1; SameSite=lax", false),
            ("sid=1; SecureX", false),
            ("sid=1; Secure=", false),
            ("sid=1; secure", false),
            ("sid=1; Secure; Secure", false),
            ("sid=1; HttpOnlyy", false),
            ("sid=1; Secure; Partitionedx", false),
            ("sid=1; Secure; Partitioned", true),
            ("sid=1; Pathx=/", false),
            ("sid=1; Path=/a;Secure", false),
            ("sid=1; Path=/a; Max-Age=60; HttpOnly", true),
            ("sid=1; Path=/a; Path=/b", false),
            ("sid=1; Max-Age=60x", false),
            ("sid=1; Max-Age=", false),
            ("sid=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT", true),
            ("sid=1; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure", true),
            ("sid=1; Expires=Wed, 21 Oct 2026 07:28:00 GMTx", false),
            ("sid=1; Expires=Wed, 21 Oct 2026 07:28:00 GM", false),
            ("sid=1; Expires=Thu, 21 Oct 2026 07:28:00 GMT", false),
            ("sid=1; Expires=Wed, 01 Jan 02030 00:00:00 GMT", false),
            ("sid=1; Domain=example.com; Secure", true),
            ("sid=1; Domain=example.comx", true),
            ("sid=1; Domain", false),
            ("sid=1; Path", false),
            ("sid=1; Path=/a ; Secure", false),
            ("sid=1; Path= /a; Secure", false),
            ("sid=1; Path=/a ", false),
            ("sid=1; Path=a; Secure", false),
            ("sid=1; Path=/a?b", false),
            ("sid=1; Domain=example.com ; Secure", false),
            ("sid=1; Domain= example.com", false),
            ("sid=1; Domain=.example.com", false),
            ("sid=1; Domain=Example.com", false),
            ("sid=1; Domain=10.0.0.1", false),
            ("sid=1; Domain=example.com; Path=/", true),
            ("sid=1; Max-Age=1234567890", true),
            ("sid=1; Max-Age=12345678901", false),
            ("sid=1; Max-Age=0060", false),
            ("sid=; Max-Age=0", true),
            ("sid=1; Max-Age=60 ", false),
            ("sid=1; Max-Age=60; Secure", true),
            ("sid=1; Max-Age=-60", false),
            ("sid=1; Max-Age=+60", false),
            ("sid=1; SameSite=Lax ; Secure", false),
            ("sid=1; Partitione; Secure", false),
            ("sid=1; Secure; Partitioned ", false),
            ("sid=1; Priority=High", false),
            ("sid=1; S", false),
            ("sid=1; Se", false),
            ("sid=1; Secur", false),
            ("sid=1; HttpOnl", false),
            ("sid=1; Path=", false),
            ("sid=1; Path=/", true),
            ("s=1; Path=/", true),
            ("sid=1\t; Secure", false),
            ("sid=1\u{0}; Secure", false),
            ("sid=caf\u{e9}", false),
        ] {
            assert_eq!(reads(header), read, "{header}");
        }
        // Values of 16 bytes and more are read in blocks: a bad byte anywhere counts.
        for len in 0..=long.len() {
            let value = &long[..len];
            assert!(reads(&format!("sid={value}; Secure")), "{value}");
            assert!(reads(&format!("sid={value}")), "{value}");
            for at in 0..len {
                for bad in [' ', '"', ',', '\\', ';', '\u{7f}', '\u{e9}', '\t'] {
                    let mut value = value.to_owned();
                    value.replace_range(at..=at, &bad.to_string());
                    assert!(!reads(&format!("sid={value}; Secure")), "{value:?}");
                }
            }
        }
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;
    use crate::request::RequestUrl;
    use crate::set_cookie::ImfFixdate;
    use crate::set_cookie::date::parse_cookie_date;

    const URL: RequestUrl<'static> = RequestUrl {
        secure: true,
        host: "www.example.com",
        path: "/",
    };

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

        /// An Expires is read by the strict pass exactly when it is a strict IMF-fixdate, and
        /// then as the instant the general algorithm reads.
        #[test]
        fn an_expires_is_read_exactly_when_it_is_a_strict_imf_fixdate(
            at in -20_000_000_000i64..300_000_000_000,
            day_name in prop::option::of(prop::sample::select(vec!["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "mon"])),
        ) {
            let mut date = ImfFixdate(at).to_string();
            if let Some(day_name) = day_name {
                date.replace_range(..3, day_name);
            }
            let header = format!("sid=1; Expires={date}");
            let mut seen = Seen::default();
            let mut cookie = SetCookie::unread(header.as_bytes());
            let strict = read(header.as_bytes(), &mut cookie, &mut seen);
            prop_assert_eq!(
                strict == Strict::Whole,
                parse_strict_imf_fixdate(date.as_bytes()).is_some(),
                "{}",
                date
            );
            if strict == Strict::Whole {
                // The draft's reader gives the instant the strict reader gave.
                prop_assert_eq!(cookie.expires, parse_cookie_date(date.as_bytes()).ok());
            }
            prop_assert_eq!(
                super::super::parse(header.as_bytes(), &URL),
                super::super::parse::parse_general(header.as_bytes(), &URL)
            );
        }
    }
}
