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
mod rejection;
mod serialize;

use std::borrow::Cow;
use std::fmt;

pub use ambiguity::Ambiguities;
pub use attributes::{AttributeCounts, AttributeKind, MAX_ATTRIBUTE_VALUE_LEN, RawAttribute, RawAttributes};
pub use parse::{MAX_NAME_VALUE_LEN, parse};
pub use rejection::Rejection;
pub use serialize::{ImfFixdate, Iso8601, write_imf_fixdate};

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

    /// The same cookie with every borrow turned owned-compatible for a shorter lifetime: handy to
    /// set [`SetCookie::path`] from a policy before [`SetCookie::write_canonical`].
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
