//! The parsing algorithm (§5.6) and the header-and-URL rejections of the storage model (§5.7).

use super::attributes::{AttributeKind, MAX_ATTRIBUTE_VALUE_LEN, split_cookie_av};
use super::bytes::{contains_byte, find_end_and_equals, has_control_or_tab, has_forbidden_control, trim_wsp};
use super::date::{DateError, parse_cookie_date};
use super::domain::{DomainOutcome, check_domain};
use super::max_age::{MaxAge, parse_max_age};
use super::prefix::{CookiePrefix, is_http_prefixed};
use super::seen::Seen;
use super::strict::{Strict, read};
use super::{Ambiguities, Rejection, SameSite, SetCookie, default_path};
use crate::request::RequestUrl;

/// Browsers drop a line whose name and value together are longer than this (§5.6 step 5).
pub const MAX_NAME_VALUE_LEN: usize = 4096;

/// Parses one `Set-Cookie` header value received in answer to a request for `url`, exactly as
/// draft-ietf-httpbis-rfc6265bis-22 says a browser does. Never panics; allocates only when the
/// effective Domain must be lowercased.
///
/// See the [module documentation](super) for an example.
#[inline]
pub fn parse<'h>(header: &'h [u8], url: &RequestUrl<'_>) -> SetCookie<'h> {
    parse_noting_subset(header, url).0
}

/// [`parse`], and whether the header keeps rules 1–6 of the proven subset (the ones that depend
/// on the header and the URL alone; [`SetCookie::subset`] adds the two that depend on the
/// response time).
///
/// A header in the subset's syntax (the usual one) is read in one strict pass
/// ([`super::strict::read`]), which also answers the question. Any other header is outside: the
/// general algorithm below reads it on from the piece where the strict pass stopped (from the
/// start when the name-value pair is not in the syntax). Every reading ends in the same checks
/// against the URL, and gives the [`SetCookie`] the general algorithm alone gives
/// (property-tested).
#[inline(always)]
pub(crate) fn parse_noting_subset<'h>(header: &'h [u8], url: &RequestUrl<'_>) -> (SetCookie<'h>, bool) {
    let mut seen = Seen::default();
    let mut cookie = SetCookie::unread(header);
    let strict = read(header, &mut cookie, &mut seen);
    let (control, tab) = match strict {
        // No byte the subset's syntax allows is a control byte or a tab.
        Strict::Whole => (false, false),
        Strict::Until(at) => {
            read_attributes(&mut cookie, &mut seen, header, at);
            // The pair and the pieces before `at` hold no control byte and no tab.
            let rest = &header[at..];
            (has_control_or_tab(rest) && has_forbidden_control(rest), false)
        }
        Strict::Nothing => read_line(header, &mut cookie, &mut seen),
    };
    finish(&mut cookie, &seen, url, control, tab);
    // Rule 6 for a Domain: taken as the cookie's domain, not made host-only.
    let proven = strict == Strict::Whole
        && cookie.rejection.is_none()
        && cookie.ambiguities.is_empty()
        && (seen.last_domain.is_none() || cookie.domain.is_some());
    (cookie, proven)
}

/// [`parse`] by the general algorithm alone, without the strict pass: what the tests hold the
/// strict pass to.
#[cfg(test)]
pub(crate) fn parse_general<'h>(header: &'h [u8], url: &RequestUrl<'_>) -> SetCookie<'h> {
    let mut seen = Seen::default();
    let mut cookie = SetCookie::unread(header);
    let (control, tab) = read_line(header, &mut cookie, &mut seen);
    finish(&mut cookie, &seen, url, control, tab);
    cookie
}

/// §5.6 over the whole line by the general algorithm, into an unread `cookie`
/// ([`SetCookie::unread`]): its fields as far as the line gives them (no Domain, rejection or
/// ambiguity yet); and whether the line holds a forbidden control byte, and a tab in the name or
/// value.
#[inline(always)]
fn read_line<'h>(header: &'h [u8], cookie: &mut SetCookie<'h>, seen: &mut Seen<'h>) -> (bool, bool) {
    // §5.6 steps 2–4: the name-value pair is everything before the first `;`, split at its first
    // `=` (without one, the name is empty).
    let (end, equals) = find_end_and_equals(header, 0);
    let (name, value) = if equals < end {
        (trim_wsp(&header[..equals]), trim_wsp(&header[equals + 1..end]))
    } else {
        (&[][..], trim_wsp(&header[..end]))
    };
    cookie.name = name;
    cookie.value = value;
    cookie.unparsed_attributes = &header[end..];
    read_attributes(cookie, seen, header, end);
    control_and_tab(header, name, value)
}

/// Whether the line holds a forbidden control byte, and whether the name or value holds a tab.
/// A line without any byte below 0x20 or 0x7F (the usual one) has neither.
#[inline(always)]
fn control_and_tab(header: &[u8], name: &[u8], value: &[u8]) -> (bool, bool) {
    if has_control_or_tab(header) {
        (
            has_forbidden_control(header),
            contains_byte(name, b'\t') || contains_byte(value, b'\t'),
        )
    } else {
        (false, false)
    }
}

/// The checks against the URL, the same after either reading: the Domain (§5.6.3, §5.7), the
/// known differences from Chromium and the first reason a browser drops the line.
#[inline(always)]
fn finish<'h>(cookie: &mut SetCookie<'h>, seen: &Seen<'h>, url: &RequestUrl<'_>, control: bool, tab: bool) {
    let mut domain_rejection = None;
    if let Some(raw) = seen.last_domain {
        match check_domain(raw, url.host) {
            DomainOutcome::HostOnly => {}
            DomainOutcome::Domain(domain) => cookie.domain = Some(domain),
            DomainOutcome::Rejected(why) => domain_rejection = Some(why),
        }
    }
    let (name, value) = (cookie.name, cookie.value);
    let prefix = CookiePrefix::of(name);
    cookie.ambiguities = Ambiguities {
        max_age_invalid_after_valid: seen.max_age_last_invalid_after_valid,
        max_age_plus_sign: seen.max_age_last_plus,
        expires_invalid_after_valid: seen.expires_last_invalid_after_valid,
        expires_year_out_of_range: seen.expires_last_year_out_of_range,
        tab_in_name_or_value: tab,
        nameless_value_has_equals: name.is_empty() && contains_byte(value, b'='),
        host_prefix_path_not_slash: prefix == Some(CookiePrefix::Host) && seen.last_path != Some(b"/"),
        host_prefix_domain_attribute: prefix == Some(CookiePrefix::Host)
            && seen.last_domain.is_some_and(|domain| !domain.is_empty()),
    };
    cookie.rejection = rejection(cookie, control, prefix, url, domain_rejection);
}

/// §5.6 "cookie-av" steps 1–7 over the attributes: `header[at..]` is empty or starts at the
/// first `;`.
#[inline]
fn read_attributes<'h>(cookie: &mut SetCookie<'h>, seen: &mut Seen<'h>, header: &'h [u8], mut at: usize) {
    while at < header.len() {
        let (name, value, end) = split_cookie_av(header, at + 1);
        at = end;
        if value.len() > MAX_ATTRIBUTE_VALUE_LEN {
            cookie.attributes.oversize = cookie.attributes.oversize.saturating_add(1);
            continue;
        }
        let kind = AttributeKind::of(name);
        cookie.attributes.add(kind);
        match kind {
            AttributeKind::Expires => match parse_cookie_date(value) {
                Ok(at) => {
                    cookie.expires = Some(at);
                    seen.valid_expires();
                }
                Err(why) => {
                    seen.expires_last_invalid_after_valid = seen.expires_valid_before;
                    seen.expires_last_year_out_of_range = why == DateError::YearOutOfRange;
                }
            },
            AttributeKind::MaxAge => match parse_max_age(value) {
                MaxAge::Seconds(seconds) => {
                    cookie.max_age = Some(seconds);
                    seen.valid_max_age();
                }
                invalid => {
                    seen.max_age_last_invalid_after_valid = seen.max_age_valid_before;
                    seen.max_age_last_plus = invalid == MaxAge::PlusSign;
                }
            },
            AttributeKind::Domain => seen.last_domain = Some(value),
            AttributeKind::Path => {
                seen.last_path = Some(value);
                cookie.path = value.starts_with(b"/").then_some(value);
            }
            AttributeKind::Secure => cookie.secure = true,
            AttributeKind::HttpOnly => cookie.http_only = true,
            AttributeKind::SameSite => cookie.same_site = SameSite::from_attribute_value(value),
            AttributeKind::Partitioned => cookie.partitioned = true,
            AttributeKind::Unknown => {}
        }
    }
}

/// The first reason, in the draft's order, why a browser drops the line (also how `decide` checks a
/// fix it builds without parsing it again).
pub(crate) fn rejection(
    cookie: &SetCookie<'_>,
    control: bool,
    prefix: Option<CookiePrefix>,
    url: &RequestUrl<'_>,
    domain_rejection: Option<Rejection>,
) -> Option<Rejection> {
    if control {
        return Some(Rejection::ControlCharacter);
    }
    if cookie.name.len() + cookie.value.len() > MAX_NAME_VALUE_LEN {
        return Some(Rejection::NameValueTooLong);
    }
    if cookie.name.is_empty() && cookie.value.is_empty() {
        return Some(Rejection::EmptyNameAndValue);
    }
    if domain_rejection.is_some() {
        return domain_rejection;
    }
    if cookie.secure && !url.secure {
        return Some(Rejection::SecureFromInsecureOrigin);
    }
    if cookie.same_site == SameSite::None && !cookie.secure {
        return Some(Rejection::SameSiteNoneWithoutSecure);
    }
    match prefix {
        Some(CookiePrefix::Secure) if !cookie.secure => return Some(Rejection::SecurePrefix),
        Some(CookiePrefix::Host)
            if !cookie.secure
                || cookie.domain.is_some()
                || (cookie.path.is_none() && cookie.attributes.path == 0)
                || cookie.path.unwrap_or(default_path(url.path).as_bytes()) != b"/" =>
        {
            return Some(Rejection::HostPrefix);
        }
        _ => {}
    }
    if is_http_prefixed(cookie.name) && !(cookie.secure && cookie.http_only) {
        return Some(Rejection::HttpPrefix);
    }
    if cookie.name.is_empty() && (CookiePrefix::of(cookie.value).is_some() || is_http_prefixed(cookie.value))
    {
        return Some(Rejection::NamelessPrefix);
    }
    if cookie.partitioned && !cookie.secure {
        return Some(Rejection::PartitionedWithoutSecure);
    }
    None
}
