//! Cookie name prefixes: `__Secure-` and `__Host-` (§4.1.3, §5.7 step 21), matched
//! case-insensitively as browsers do.

use super::bytes::starts_with_ignore_case;

/// A cookie name prefix that browsers enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CookiePrefix {
    /// `__Secure-`: the cookie must be `Secure` (and so come from a secure origin).
    Secure,
    /// `__Host-`: `Secure`, host-only (no Domain) and path `/`.
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
