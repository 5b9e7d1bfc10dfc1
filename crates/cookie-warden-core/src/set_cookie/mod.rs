//! A browser-exact `Set-Cookie` parser: draft-ietf-httpbis-rfc6265bis-22 §5.1.1 (cookie dates),
//! §5.6 (parsing) and the §5.7 rejections that depend only on the header and the request URL, plus
//! the CHIPS rule that `Partitioned` needs `Secure`.
//!
//! [`parse`] works over bytes, borrows from the header and allocates nothing unless a Domain
//! attribute has to be lowercased. It never fails: a line a browser would drop comes back with
//! [`SetCookie::rejection`] set (and every field parsed as far as the algorithm goes), so that the
//! caller can say why. [`SetCookie::ambiguities`] flags every known place where Chromium reads the
//! same bytes differently from the draft, and [`SetCookie::write_canonical`] writes the cookie back as
//! one clean header.
//!
//! ```
//! use cookie_warden_core::request::RequestUrl;
//! use cookie_warden_core::set_cookie::{parse, Rejection, SameSite};
//!
//! let url = RequestUrl { secure: true, host: "www.example.com", path: "/app/login" };
//! let cookie = parse(b" sid = abc ; Path=/app; Max-Age=60; Max-Age=oops; Secure; SameSite=lax", &url);
//! assert_eq!(cookie.rejection, None);
//! assert_eq!((cookie.name, cookie.value), (&b"sid"[..], &b"abc"[..]));
//! assert_eq!(cookie.max_age, Some(60)); // the draft keeps the last *valid* Max-Age …
//! assert!(cookie.ambiguities.max_age_invalid_after_valid); // … Chromium does not.
//! assert_eq!(cookie.same_site, SameSite::Lax);
//!
//! let mut out = Vec::new();
//! cookie.write_canonical(&mut out);
//! assert_eq!(out, b"sid=abc; Path=/app; Max-Age=60; Secure; SameSite=Lax");
//!
//! let insecure = RequestUrl { secure: false, ..url };
//! assert_eq!(parse(b"sid=abc; Secure", &insecure).rejection, Some(Rejection::SecureFromInsecureOrigin));
//! ```
//!
//! The `Debug` output of [`SetCookie`] never shows the cookie's value.

mod ambiguity;
mod attributes;
mod bytes;
pub mod date;
pub mod domain;
pub mod max_age;
mod parse;
pub mod prefix;
#[cfg(test)]
mod reference;
mod rejection;
mod seen;
mod serialize;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2;
mod strict;
pub mod subset;

use std::borrow::Cow;
use std::fmt;

pub use ambiguity::Ambiguities;
pub use attributes::{AttributeCounts, AttributeKind, MAX_ATTRIBUTE_VALUE_LEN, RawAttribute, RawAttributes};
pub(crate) use bytes::{half_at, word_at};
pub(crate) use parse::parse_noting_subset;
pub(crate) use parse::rejection;
pub use parse::{MAX_NAME_VALUE_LEN, parse};
pub use rejection::Rejection;
pub use serialize::{ImfFixdate, Iso8601, write_imf_fixdate};
pub use subset::Outside;

use crate::request::RequestUrl;
use max_age::MAX_AGE_LIMIT;

/// The `SameSite` enforcement a browser applies (§5.6.7): the last SameSite attribute decides, and
/// an unrecognised value (or none) means `Default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None` (needs `Secure`).
    None,
    /// No SameSite attribute, or the last one's value was not recognised: the browser's default.
    Default,
}

impl SameSite {
    /// `Strict`, `Lax`, `None` or `Default`, as in the conformance corpus and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
            SameSite::Default => "Default",
        }
    }

    /// Reads a SameSite attribute value (trimmed), ASCII case-insensitively.
    pub fn from_attribute_value(value: &[u8]) -> SameSite {
        match value.len() {
            6 if attributes::fold_case::<6>(value) == *b"strict" => SameSite::Strict,
            3 if attributes::fold_case::<3>(value) == *b"lax" => SameSite::Lax,
            4 if attributes::fold_case::<4>(value) == *b"none" => SameSite::None,
            _ => SameSite::Default,
        }
    }
}

impl fmt::Display for SameSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a cookie expires, as a browser computes it at the moment it stores the cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// No valid Max-Age or Expires: the cookie lasts until the browser session ends.
    Session,
    /// Max-Age ≤ 0 or an Expires not after `now`: storing it deletes any cookie of that name.
    Expired,
    /// Expires at this unix time (already capped at `now` + 400 days).
    At(i64),
}

/// One `Set-Cookie` line as a browser reads it. See the [module documentation](self).
///
/// Fields follow the conventions of the conformance corpus (`corpus/README.md`). When
/// [`SetCookie::rejection`] is set, the browser drops the line and the other fields only say what
/// the parse got as far as it went.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SetCookie<'h> {
    /// The cookie name, trimmed of space and tab; empty for a nameless cookie.
    pub name: &'h [u8],
    /// The cookie value, trimmed of space and tab. Never printed by this type's `Debug`.
    pub value: &'h [u8],
    /// The last valid Max-Age in seconds, clamped to 400 days (34 560 000), `0` for zero or
    /// negative; `None` when there is no valid Max-Age. It wins over any Expires.
    pub max_age: Option<i64>,
    /// The last valid Expires as unix seconds (UTC), unclamped; `None` when there is none.
    pub expires: Option<i64>,
    /// A `Secure` attribute is present.
    pub secure: bool,
    /// An `HttpOnly` attribute is present.
    pub http_only: bool,
    /// A `Partitioned` attribute is present (CHIPS).
    pub partitioned: bool,
    /// The SameSite enforcement (the last SameSite attribute decides).
    pub same_site: SameSite,
    /// The last Path attribute's value, when it starts with `/`. `None` means the default path
    /// applies: either there was no Path attribute, or the last one was empty or did not start with
    /// `/` (§5.6.4; then [`SetCookie::path_attribute_defaulted`] is `true`).
    pub path: Option<&'h [u8]>,
    /// The effective Domain, lowercased, one leading dot dropped; `None` for a host-only cookie.
    /// Borrowed from the header unless it had to be lowercased.
    pub domain: Option<Cow<'h, str>>,
    /// Why a browser drops the whole line; `None` when it stores the cookie.
    pub rejection: Option<Rejection>,
    /// Places where Chromium reads this line differently from the draft.
    pub ambiguities: Ambiguities,
    /// How many attributes of each kind the line carries (duplicates, oversized ones, unknown ones).
    pub attributes: AttributeCounts,
    /// The unparsed attributes: empty or starting at the first `;`.
    pub(crate) unparsed_attributes: &'h [u8],
    /// The whole header as received (empty for a cookie rebuilt by a fix): what
    /// [`SetCookie::subset`] reads.
    pub(crate) header: &'h [u8],
}

impl fmt::Debug for SetCookie<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetCookie")
            .field("name", &String::from_utf8_lossy(self.name))
            .field("value", &format_args!("<redacted {} bytes>", self.value.len()))
            .field("max_age", &self.max_age)
            .field("expires", &self.expires)
            .field("secure", &self.secure)
            .field("http_only", &self.http_only)
            .field("partitioned", &self.partitioned)
            .field("same_site", &self.same_site)
            .field("path", &self.path.map(String::from_utf8_lossy))
            .field("domain", &self.domain)
            .field("rejection", &self.rejection)
            .field("ambiguities", &self.ambiguities)
            .field("attributes", &self.attributes)
            .finish_non_exhaustive()
    }
}

impl<'h> SetCookie<'h> {
    /// The cookie of `header` before anything of it is read: no name, no value, no attribute.
    #[inline(always)]
    pub(super) fn unread(header: &'h [u8]) -> Self {
        SetCookie {
            name: &[],
            value: &[],
            max_age: None,
            expires: None,
            secure: false,
            http_only: false,
            partitioned: false,
            same_site: SameSite::Default,
            path: None,
            domain: None,
            rejection: None,
            ambiguities: Ambiguities::default(),
            attributes: AttributeCounts::default(),
            unparsed_attributes: &[],
            header,
        }
    }

    /// The browser stores this cookie (no [`SetCookie::rejection`]).
    pub fn is_accepted(&self) -> bool {
        self.rejection.is_none()
    }

    /// The last Path attribute was present but empty or not starting with `/`, so the cookie's
    /// path is the default path, set explicitly by that attribute (§5.6.4).
    pub fn path_attribute_defaulted(&self) -> bool {
        self.path.is_none() && self.attributes.path > 0
    }

    /// The cookie's path as the browser stores it: the Path attribute or the request's default path.
    pub fn effective_path<'a>(&'a self, url: &RequestUrl<'a>) -> &'a [u8] {
        self.path.unwrap_or_else(|| default_path(url.path).as_bytes())
    }

    /// The attributes as written, in order, including invalid, unknown and oversized ones.
    pub fn raw_attributes(&self) -> RawAttributes<'h> {
        RawAttributes::new(self.unparsed_attributes)
    }

    /// The cookie's expiry when stored at `now` (unix seconds): a valid Max-Age wins, else the last
    /// valid Expires; either is capped at 400 days from `now`.
    pub fn expiry(&self, now: i64) -> Expiry {
        let cap = now.saturating_add(MAX_AGE_LIMIT);
        match (self.max_age, self.expires) {
            (Some(seconds), _) if seconds <= 0 => Expiry::Expired,
            (Some(seconds), _) => Expiry::At(now.saturating_add(seconds).min(cap)),
            (None, Some(at)) if at <= now => Expiry::Expired,
            (None, Some(at)) => Expiry::At(at.min(cap)),
            (None, None) => Expiry::Session,
        }
    }

    /// Storing this cookie at `now` deletes any cookie of the same name (Max-Age ≤ 0 or an
    /// Expires not after `now`).
    pub fn is_deletion(&self, now: i64) -> bool {
        self.expiry(now) == Expiry::Expired
    }

    /// The cookie's lifetime in seconds when stored at `now`: `None` for a session cookie, `0` for
    /// a deletion, else at most 400 days.
    pub fn lifetime(&self, now: i64) -> Option<i64> {
        match self.expiry(now) {
            Expiry::Session => None,
            Expiry::Expired => Some(0),
            Expiry::At(at) => Some(at - now),
        }
    }

    /// A copy with [`SetCookie::path`] replaced, possibly by a shorter-lived path (a policy's):
    /// handy before [`SetCookie::write_canonical`], for example `Some(b"/")` for a `__Host-`
    /// cookie (see [`Ambiguities::host_prefix_path_not_slash`]).
    pub fn with_path<'a>(&self, path: Option<&'a [u8]>) -> SetCookie<'a>
    where
        'h: 'a,
    {
        SetCookie { path, ..self.clone() }
    }
}

/// The default path of a request path (§5.1.4): up to, not including, its last `/`; `/` when the
/// path is empty, does not start with `/`, or holds only one `/`.
///
/// ```
/// use cookie_warden_core::set_cookie::default_path;
///
/// assert_eq!(default_path("/dir/page"), "/dir");
/// assert_eq!(default_path("/page"), "/");
/// assert_eq!(default_path(""), "/");
/// assert_eq!(default_path("/a/b/"), "/a/b");
/// ```
pub fn default_path(request_path: &str) -> &str {
    if !request_path.starts_with('/') {
        return "/";
    }
    match request_path.rfind('/') {
        Some(0) | None => "/",
        Some(last) => &request_path[..last],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: RequestUrl<'static> = RequestUrl {
        secure: true,
        host: "www.example.com",
        path: "/dir/page",
    };
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn expiry_prefers_max_age_and_caps_at_400_days() {
        let expiry = |header: &str| parse(header.as_bytes(), &URL).expiry(NOW);
        assert_eq!(expiry("a=1"), Expiry::Session);
        assert_eq!(expiry("a=1; Max-Age=60"), Expiry::At(NOW + 60));
        assert_eq!(expiry("a=1; Max-Age=0"), Expiry::Expired);
        assert_eq!(
            expiry("a=1; Max-Age=-5; Expires=Wed, 09 Jun 2100 10:18:14 GMT"),
            Expiry::Expired
        );
        assert_eq!(
            expiry("a=1; Max-Age=60; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            Expiry::At(NOW + 60)
        );
        assert_eq!(
            expiry("a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            Expiry::Expired
        );
        assert_eq!(
            expiry("a=1; Expires=Wed, 09 Jun 2100 10:18:14 GMT"),
            Expiry::At(NOW + MAX_AGE_LIMIT)
        );
        let in_a_day = parse(b"a=1; Expires=Wed, 15 Nov 2023 22:13:20 GMT", &URL);
        assert_eq!(in_a_day.expiry(NOW), Expiry::At(NOW + 86_400));
        assert_eq!(in_a_day.lifetime(NOW), Some(86_400));
        assert!(!in_a_day.is_deletion(NOW));
        assert!(in_a_day.is_deletion(NOW + 86_400));
        assert_eq!(parse(b"a=1; Max-Age=0", &URL).lifetime(NOW), Some(0));
        assert_eq!(parse(b"a=1", &URL).lifetime(NOW), None);
    }

    #[test]
    fn paths() {
        let cookie = parse(b"a=1; Path=/x; Path=nope", &URL);
        assert_eq!(cookie.path, None);
        assert!(cookie.path_attribute_defaulted());
        assert_eq!(cookie.effective_path(&URL), b"/dir");
        let cookie = parse(b"a=1; Path=nope; Path=/x", &URL);
        assert_eq!(
            (cookie.path, cookie.path_attribute_defaulted()),
            (Some(&b"/x"[..]), false)
        );
        let cookie = parse(b"a=1", &URL);
        assert_eq!((cookie.path, cookie.path_attribute_defaulted()), (None, false));
        assert_eq!(cookie.effective_path(&URL), b"/dir");
    }

    #[test]
    fn host_prefix_canonical_form_with_explicit_path() {
        let root = RequestUrl { path: "/", ..URL };
        let cookie = parse(b"__Host-sid=1; Secure; Path=foo", &root);
        assert_eq!(cookie.rejection, None);
        assert!(cookie.ambiguities.host_prefix_path_not_slash);
        let fixed = cookie.with_path(Some(b"/")).to_canonical();
        assert_eq!(fixed, b"__Host-sid=1; Path=/; Secure");
        let again = parse(&fixed, &root);
        assert_eq!(again.rejection, None);
        assert!(again.ambiguities.is_empty());
    }

    #[test]
    fn counts_and_raw_attributes() {
        let long = "x".repeat(1025);
        let header =
            format!("a=1; secure; SECURE; Max-Age=1; max-age=x; Foo=bar; ;Path={long}; SameSite=Lax");
        let cookie = parse(header.as_bytes(), &URL);
        let counts = cookie.attributes;
        assert_eq!(
            (counts.secure, counts.max_age, counts.unknown, counts.oversize),
            (2, 2, 2, 1)
        );
        assert_eq!((counts.path, counts.same_site, counts.domain), (0, 1, 0));
        assert_eq!(
            counts.duplicates().collect::<Vec<_>>(),
            [AttributeKind::MaxAge, AttributeKind::Secure]
        );
        let raw: Vec<_> = cookie
            .raw_attributes()
            .map(|a| (a.name, a.kind, a.oversize))
            .collect();
        assert_eq!(raw.len(), 8);
        assert_eq!(raw[0], (&b"secure"[..], AttributeKind::Secure, false));
        assert_eq!(raw[3], (&b"max-age"[..], AttributeKind::MaxAge, false));
        assert_eq!(raw[5], (&b""[..], AttributeKind::Unknown, false));
        assert_eq!(raw[6], (&b"Path"[..], AttributeKind::Path, true));
    }

    #[test]
    fn debug_redacts_the_value() {
        let cookie = parse(b"sid=s3cr3t-v4lue; Path=/", &URL);
        let debug = format!("{cookie:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(
            debug.contains("sid") && debug.contains("redacted 12 bytes"),
            "{debug}"
        );
    }

    #[test]
    fn rejections_in_draft_order() {
        let insecure = RequestUrl { secure: false, ..URL };
        let reject = |header: &str, url: &RequestUrl<'_>| parse(header.as_bytes(), url).rejection;
        assert_eq!(
            reject("a=\u{7f}; Secure", &insecure),
            Some(Rejection::ControlCharacter)
        );
        assert_eq!(
            reject(&format!("a={}", "v".repeat(4096)), &URL),
            Some(Rejection::NameValueTooLong)
        );
        assert_eq!(reject(" = ; Secure", &URL), Some(Rejection::EmptyNameAndValue));
        assert_eq!(
            reject("a=1; Domain=other.com; Secure", &insecure),
            Some(Rejection::DomainMismatch)
        );
        assert_eq!(
            reject("a=1; SameSite=None; Secure", &insecure),
            Some(Rejection::SecureFromInsecureOrigin)
        );
        assert_eq!(
            reject("a=1; SameSite=None", &URL),
            Some(Rejection::SameSiteNoneWithoutSecure)
        );
        assert_eq!(reject("__Secure-a=1", &URL), Some(Rejection::SecurePrefix));
        assert_eq!(
            reject("__Host-a=1; Secure; Path=/; Domain=example.com", &URL),
            Some(Rejection::HostPrefix)
        );
        assert_eq!(reject("__Host-a=1; Secure", &URL), Some(Rejection::HostPrefix));
        assert_eq!(reject("__secure-a", &URL), Some(Rejection::NamelessPrefix));
        assert_eq!(
            reject("a=1; Partitioned", &URL),
            Some(Rejection::PartitionedWithoutSecure)
        );
        assert_eq!(reject("a=1; Partitioned; Secure", &URL), None);
        assert_eq!(Rejection::NameValueTooLong.as_str(), "name_value_too_long");
        assert!(Rejection::NameValueTooLong.is_oversize() && !Rejection::HostPrefix.is_oversize());
    }
}
