//! Cookie name prefixes: `__Secure-` and `__Host-` (§4.1.3, §5.7 step 21), and the layered-cookies
//! draft's `__Http-` and `__Host-Http-`, all matched case-insensitively as browsers do.
//!
//! `__Http-` and `__Host-Http-` (draft-ietf-httpbis-layered-cookies, "sane-set-cookie") are
//! enforced by Debian's Chromium 156.0.8078.114 and by Firefox ESR 153.8.0, measured over DevTools
//! and WebDriver BiDi on 2026-12-03 (`tests/tests/browser_prefixes.rs`,
//! `chromium_enforces_the_http_prefixes_and_the_explicit_host_path`): both drop a `__Http-` line
//! without `Secure` or without `HttpOnly` and a `__Host-Http-` line without `HttpOnly`, whatever
//! the case of the prefix, from a header or from `document.cookie`; Chromium also drops a nameless
//! cookie whose value starts with `__Http-` (Firefox reads that line as a name without a value).
//! [`is_http_prefixed`] is the parser's test for them.

use super::bytes::starts_with_ignore_case;

/// A cookie name prefix that browsers enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CookiePrefix {
    /// `__Secure-`: the cookie must be `Secure` (and so come from a secure origin).
    Secure,
    /// `__Host-` (and so `__Host-Http-` too): `Secure`, host-only (no Domain) and an explicit
    /// Path attribute that gives the path `/`.
    Host,
}

impl CookiePrefix {
    /// The prefix a name (or a nameless cookie's value) starts with, ASCII case-insensitively.
    ///
    /// ```
    /// use cookie_warden_core::set_cookie::prefix::CookiePrefix;
    ///
    /// assert_eq!(CookiePrefix::of(b"__HOST-sid"), Some(CookiePrefix::Host));
    /// assert_eq!(CookiePrefix::of(b"__secure-x"), Some(CookiePrefix::Secure));
    /// assert_eq!(CookiePrefix::of(b"__Hostsid"), None);
    /// ```
    #[inline]
    pub fn of(name: &[u8]) -> Option<CookiePrefix> {
        // Most names do not start with `_`: one byte test, inline.
        if name.first() == Some(&b'_') {
            Self::of_underscored(name)
        } else {
            None
        }
    }

    #[inline(never)]
    fn of_underscored(name: &[u8]) -> Option<CookiePrefix> {
        if starts_with_ignore_case(name, b"__Secure-") {
            Some(CookiePrefix::Secure)
        } else if starts_with_ignore_case(name, b"__Host-") {
            Some(CookiePrefix::Host)
        } else {
            None
        }
    }

    /// The prefix as it is usually written.
    pub fn as_str(self) -> &'static str {
        match self {
            CookiePrefix::Secure => "__Secure-",
            CookiePrefix::Host => "__Host-",
        }
    }
}

/// The name (or a nameless cookie's value) starts with `__Http-` or `__Host-Http-`, ASCII
/// case-insensitively: the cookie must be `HttpOnly` (and, like every such name, `Secure`).
///
/// ```
/// use cookie_warden_core::set_cookie::prefix::is_http_prefixed;
///
/// assert!(is_http_prefixed(b"__Http-sid") && is_http_prefixed(b"__host-http-sid"));
/// assert!(is_http_prefixed(b"__HTTP-"));
/// assert!(!is_http_prefixed(b"__HttpX-sid") && !is_http_prefixed(b"__Secure-Http-sid"));
/// assert!(!is_http_prefixed(b"__Host-sid") && !is_http_prefixed(b"sid"));
/// ```
#[inline]
pub fn is_http_prefixed(name: &[u8]) -> bool {
    // Most names do not start with `_`: one byte test, inline.
    name.first() == Some(&b'_') && is_http_prefixed_underscored(name)
}

#[inline(never)]
fn is_http_prefixed_underscored(name: &[u8]) -> bool {
    starts_with_ignore_case(name, b"__Http-") || starts_with_ignore_case(name, b"__Host-Http-")
}

#[cfg(test)]
mod tests {
    use super::super::{Rejection, parse};
    use crate::request::RequestUrl;

    /// A request whose default path is `/`, so that a missing Path attribute would still give `/`.
    const ROOT: RequestUrl<'static> = RequestUrl {
        secure: true,
        host: "www.example.com",
        path: "/",
    };

    fn reject(header: &str) -> Option<Rejection> {
        parse(header.as_bytes(), &ROOT).rejection
    }

    #[test]
    fn host_prefix_needs_a_path_attribute() {
        // draft-22 §5.7: "the cookie-attribute-list contains an attribute with an attribute-name
        // of "Path"", even where the default path is `/` (web-platform-tests, Chromium 156).
        assert_eq!(reject("__Host-nopath=1; Secure"), Some(Rejection::HostPrefix));
        assert_eq!(
            reject("__HOST-nopath=1; Secure; HttpOnly"),
            Some(Rejection::HostPrefix)
        );
        // An oversized Path attribute is not in the attribute list either.
        let long = format!("__Host-sid=1; Secure; Path=/{}", "a".repeat(1024));
        assert_eq!(reject(&long), Some(Rejection::HostPrefix));
        // With a Path attribute that gives `/` it is stored.
        assert_eq!(reject("__Host-sid=1; Secure; Path=/"), None);
        assert_eq!(reject("__host-sid=1; Secure; path=/"), None);
        // The draft's default-path substitution still counts as a Path attribute (Chromium
        // differs: the `host_prefix_path_not_slash` ambiguity).
        let defaulted = parse(b"__Host-sid=1; Secure; Path=foo", &ROOT);
        assert_eq!(defaulted.rejection, None);
        assert!(defaulted.ambiguities.host_prefix_path_not_slash);
        assert_eq!(reject("__Host-sid=1; Secure; Path="), None);
    }

    #[test]
    fn host_prefix_canonical_form_keeps_a_path_attribute() {
        // The draft accepts these (the Path attribute defaults to `/`); the canonical form must
        // still carry a Path attribute, and `Path=/` is the one Chromium accepts too.
        for header in ["__Host-sid=1; Secure; Path=foo", "__host-sid=1; Secure; Path="] {
            let cookie = parse(header.as_bytes(), &ROOT);
            assert_eq!(cookie.rejection, None, "{header}");
            let canonical = cookie.to_canonical();
            assert!(canonical.ends_with(b"=1; Path=/; Secure"), "{header}");
            let again = parse(&canonical, &ROOT);
            assert_eq!(again.rejection, None, "{header}");
            assert!(again.ambiguities.is_empty(), "{header}");
        }
        // Other names keep the default path implicit.
        assert_eq!(parse(b"sid=1; Path=foo", &ROOT).to_canonical(), b"sid=1");
    }

    #[test]
    fn host_prefix_with_a_host_only_domain_attribute_is_ambiguous() {
        let localhost = RequestUrl {
            host: "localhost",
            ..ROOT
        };
        for (header, url) in [
            ("__Host-sid=1; Secure; Path=/; Domain=.", &ROOT),
            ("__Host-sid=1; Secure; Path=/; Domain=localhost", &localhost),
            (
                "__host-http-sid=1; Secure; HttpOnly; Path=/; Domain=LOCALHOST",
                &localhost,
            ),
        ] {
            let cookie = parse(header.as_bytes(), url);
            assert_eq!((cookie.rejection, &cookie.domain), (None, &None), "{header}");
            assert!(cookie.ambiguities.host_prefix_domain_attribute, "{header}");
            let canonical = cookie.to_canonical();
            let again = parse(&canonical, url);
            assert!(
                again.ambiguities.is_empty() && again.rejection.is_none(),
                "{header}"
            );
        }
        // An empty last Domain is no Domain for Chromium either (measured).
        let empty = parse(b"__Host-sid=1; Secure; Path=/; Domain=", &ROOT);
        assert!(empty.ambiguities.is_empty() && empty.rejection.is_none());
        // A real domain cookie is dropped by every reading.
        let domain = parse(b"__Host-sid=1; Secure; Path=/; Domain=example.com", &ROOT);
        assert_eq!(domain.rejection, Some(Rejection::HostPrefix));
        assert!(
            !parse(b"sid=1; Domain=.", &ROOT)
                .ambiguities
                .host_prefix_domain_attribute
        );
    }

    #[test]
    fn http_prefix_needs_secure_and_http_only() {
        assert_eq!(reject("__Http-sid=1; Secure; HttpOnly"), None);
        assert_eq!(
            reject("__Http-sid=1; Secure; HttpOnly; Path=/x; Domain=example.com"),
            None
        );
        assert_eq!(reject("__Http-sid=1; Secure"), Some(Rejection::HttpPrefix));
        assert_eq!(reject("__Http-sid=1; HttpOnly"), Some(Rejection::HttpPrefix));
        assert_eq!(reject("__Http-sid=1"), Some(Rejection::HttpPrefix));
        assert_eq!(reject("__http-sid=1; Secure"), Some(Rejection::HttpPrefix));
        assert_eq!(reject("__HTTP-=1; Secure"), Some(Rejection::HttpPrefix));
        // Lookalikes are ordinary names.
        assert_eq!(reject("__HttpX-sid=1; Secure"), None);
        assert_eq!(reject("__Secure-Http-sid=1; Secure"), None);
        assert_eq!(reject("_Http-sid=1"), None);
    }

    #[test]
    fn host_http_prefix_needs_the_host_rules_then_http_only() {
        assert_eq!(reject("__Host-Http-sid=1; Secure; HttpOnly; Path=/"), None);
        assert_eq!(
            reject("__host-http-sid=1; Secure; Path=/"),
            Some(Rejection::HttpPrefix)
        );
        assert_eq!(
            reject("__Host-Http-sid=1; Secure; Path=/"),
            Some(Rejection::HttpPrefix)
        );
        // The `__Host-` rules come first.
        assert_eq!(
            reject("__Host-Http-sid=1; HttpOnly; Path=/"),
            Some(Rejection::HostPrefix)
        );
        assert_eq!(
            reject("__Host-Http-sid=1; Secure; HttpOnly"),
            Some(Rejection::HostPrefix)
        );
        assert_eq!(
            reject("__Host-Http-sid=1; Secure; HttpOnly; Path=/; Domain=example.com"),
            Some(Rejection::HostPrefix)
        );
    }

    #[test]
    fn nameless_value_with_http_prefix_is_dropped() {
        // Chromium 156 drops these even with Secure and HttpOnly.
        assert_eq!(
            reject("__Http-x; Secure; HttpOnly"),
            Some(Rejection::NamelessPrefix)
        );
        assert_eq!(
            reject("=__http-x; Secure; HttpOnly"),
            Some(Rejection::NamelessPrefix)
        );
        assert_eq!(
            reject("__Host-Http-x; Secure; Path=/"),
            Some(Rejection::NamelessPrefix)
        );
        assert_eq!(reject("__HttpX; Secure"), None);
    }

    #[test]
    fn rejection_names() {
        assert_eq!(Rejection::HttpPrefix.as_str(), "http_prefix");
        assert!(!Rejection::HttpPrefix.is_oversize());
    }
}
