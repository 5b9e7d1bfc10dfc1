//! What Chromium's cookie store holds, as read over DevTools, minus the values.
//!
//! [`StoredCookie`] has no value field at all, so no assertion message, `Debug` output or panic in
//! a browser test can print a cookie's value.

use chromiumoxide::cdp::browser_protocol::network::{Cookie, CookieSameSite};

/// The `SameSite` the store recorded for a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredSameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`.
    Lax,
    /// `SameSite=None`.
    None,
    /// No (valid) `SameSite` attribute: Chromium treats the cookie as `Lax`, with the
    /// "Lax-allowing-unsafe" grace for top-level POSTs.
    Unspecified,
}

/// One cookie in the browser's store, without its value.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCookie {
    /// The cookie's name.
    pub name: String,
    /// The host it was stored for, without a leading dot.
    pub domain: String,
    /// Stored without a `Domain` attribute: sent back to exactly [`StoredCookie::domain`].
    pub host_only: bool,
    /// The cookie's path.
    pub path: String,
    /// The `Secure` flag.
    pub secure: bool,
    /// The `HttpOnly` flag.
    pub http_only: bool,
    /// The `SameSite` the store recorded.
    pub same_site: StoredSameSite,
    /// Unix seconds at which the cookie expires; `None` for a session cookie.
    pub expires: Option<f64>,
    /// Stored in a partition (`Partitioned`, CHIPS).
    pub partitioned: bool,
}

impl StoredCookie {
    /// Reads a DevTools `Network.Cookie`, dropping its value.
    #[must_use]
    pub fn from_cdp(cookie: &Cookie) -> Self {
        let (domain, host_only) = match cookie.domain.strip_prefix('.') {
            Some(domain) => (domain.to_owned(), false),
            None => (cookie.domain.clone(), true),
        };
        let same_site = match cookie.same_site {
            Some(CookieSameSite::Strict) => StoredSameSite::Strict,
            Some(CookieSameSite::Lax) => StoredSameSite::Lax,
            Some(CookieSameSite::None) => StoredSameSite::None,
            None => StoredSameSite::Unspecified,
        };
        Self {
            name: cookie.name.clone(),
            domain,
            host_only,
            path: cookie.path.clone(),
            secure: cookie.secure,
            http_only: cookie.http_only,
            same_site,
            expires: (!cookie.session).then_some(cookie.expires),
            partitioned: cookie.partition_key.is_some(),
        }
    }

    /// Whether this is a session cookie (no expiry).
    #[must_use]
    pub fn is_session(&self) -> bool {
        self.expires.is_none()
    }

    /// Seconds from `now` (unix seconds) until the cookie expires; `None` for a session cookie.
    #[must_use]
    pub fn lifetime_from(&self, now: f64) -> Option<f64> {
        self.expires.map(|at| at - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdp(json: serde_json::Value) -> Cookie {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn reads_a_host_only_session_cookie_without_its_value() {
        let cookie = StoredCookie::from_cdp(&cdp(serde_json::json!({
            "name": "sid", "value": "do-not-print", "domain": "www.fora.se", "path": "/",
            "expires": -1, "size": 15, "httpOnly": true, "secure": true, "session": true,
            "sameSite": "Strict", "priority": "Medium", "sourceScheme": "Secure", "sourcePort": 443
        })));
        assert!(cookie.host_only);
        assert_eq!(cookie.domain, "www.fora.se");
        assert!(cookie.is_session());
        assert_eq!(cookie.same_site, StoredSameSite::Strict);
        assert!(!format!("{cookie:?}").contains("do-not-print"));
    }

    #[test]
    fn reads_a_domain_cookie_with_an_expiry_and_no_same_site() {
        let cookie = StoredCookie::from_cdp(&cdp(serde_json::json!({
            "name": "ai_user", "value": "x", "domain": ".fora.se", "path": "/",
            "expires": 1_800_000_000.5, "size": 8, "httpOnly": false, "secure": true, "session": false,
            "priority": "Medium", "sourceScheme": "Secure", "sourcePort": 443
        })));
        assert!(!cookie.host_only);
        assert_eq!(cookie.domain, "fora.se");
        assert_eq!(cookie.same_site, StoredSameSite::Unspecified);
        assert_eq!(cookie.lifetime_from(1_799_999_000.5), Some(1000.0));
    }
}
