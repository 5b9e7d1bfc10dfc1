//! What the core needs to know about the request that a response answers.

/// The request's URL as cookie rules see it: is the origin secure, which host, which path.
///
/// `host` is lowercase ASCII (or punycode) without a port and without a trailing dot; `path` is the
/// path only, without query or fragment, and starts with `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestUrl<'a> {
    /// `https` (or `wss`): a browser accepts `Secure` cookies from it.
    pub secure: bool,
    /// The request's host, lowercase, without port.
    pub host: &'a str,
    /// The request's path, without query.
    pub path: &'a str,
}

/// Everything about one request that decisions depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestContext<'a> {
    /// The request URL.
    pub url: RequestUrl<'a>,
    /// The request method (`GET`, `POST`, …), for events.
    pub method: &'a str,
    /// The request carried `Sec-GPC: 1`.
    pub gpc: bool,
    /// The raw value of the policy's consent cookie, when the request carries it.
    /// Never printed: the `Debug` output of this type shows only whether it is present.
    pub consent_cookie: Option<ConsentCookie<'a>>,
}

/// The raw value of a request's consent cookie. Its `Debug` output never shows the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ConsentCookie<'a>(pub &'a [u8]);

impl std::fmt::Debug for ConsentCookie<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConsentCookie(<redacted>)")
    }
}
