//! What the core needs to know about the request that a response answers.

use crate::origin;

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

/// An owned request URL, parsed from text: for the CLI, tests and tools that start from a URL
/// string. Borrow it as a [`RequestUrl`] with [`RequestUrlBuf::as_url`].
///
/// ```
/// use cookie_warden_core::request::RequestUrlBuf;
///
/// let url = RequestUrlBuf::parse("https://WWW.Example.com:8443/app/page?q=1#top").unwrap();
/// let url = url.as_url();
/// assert!(url.secure);
/// assert_eq!((url.host, url.path), ("www.example.com", "/app/page"));
/// assert!(RequestUrlBuf::parse("ftp://example.com/").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestUrlBuf {
    secure: bool,
    host: String,
    path: String,
}

/// Why a URL cannot be a request URL. The message quotes the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// No `scheme://` at the start.
    #[error("url {0:?} has no scheme (expected http://, https://, ws:// or wss://)")]
    MissingScheme(String),
    /// A scheme other than http, https, ws and wss.
    #[error("url {0:?} has an unsupported scheme (expected http, https, ws or wss)")]
    UnsupportedScheme(String),
    /// Userinfo (`user:pass@`) is not accepted.
    #[error("url {0:?} carries user info before the host; remove it")]
    UserInfo(String),
    /// The host is empty, or holds a byte a host name cannot hold (non-ASCII hosts must be given
    /// in punycode), or is a malformed IP address.
    #[error("url {0:?} has an invalid host (use lowercase-able ASCII or punycode, or an IP address)")]
    InvalidHost(String),
    /// The port is not a number from 0 to 65535.
    #[error("url {0:?} has an invalid port")]
    InvalidPort(String),
    /// Whitespace or a control byte anywhere in the URL.
    #[error("url {0:?} holds whitespace or a control character")]
    Whitespace(String),
}

impl RequestUrlBuf {
    /// Parses `scheme://host[:port][/path][?query][#fragment]`.
    ///
    /// The scheme is `http`, `https`, `ws` or `wss` (any case). The host must be valid
    /// ([`origin::is_valid_host`] after one trailing dot is dropped and it is lowercased): ASCII
    /// letters, digits, `-`, `_` and `.`, a dotted-quad IPv4 address (a host whose last label is
    /// numeric must be one), or a bracketed IPv6 address. It is then read by the normaliser the
    /// layer and the proxy use ([`origin::normalize_host`]).
    /// The path is everything up to `?` or `#`, `/` when absent. `secure` is true for https and
    /// wss, and for loopback hosts (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`), from which
    /// browsers accept `Secure` cookies over plain http ([`origin::is_secure_origin`]).
    ///
    /// # Errors
    ///
    /// [`UrlError`] for a missing or unsupported scheme, user info, an empty or invalid host, an
    /// invalid port, or whitespace and control characters.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        let owned = || text.to_owned();
        if text.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(UrlError::Whitespace(owned()));
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| UrlError::MissingScheme(owned()))?;
        let secure_scheme = origin::is_secure_scheme(scheme.as_bytes());
        if !secure_scheme && !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("ws") {
            return Err(UrlError::UnsupportedScheme(owned()));
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo(owned()));
        }
        let (host, port) = split_port(authority);
        if let Some(port) = port {
            if !port.is_empty() && (!port.bytes().all(|b| b.is_ascii_digit()) || port.parse::<u16>().is_err())
            {
                return Err(UrlError::InvalidPort(owned()));
            }
        }
        let checked = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        if !origin::is_valid_host(&checked) {
            return Err(UrlError::InvalidHost(owned()));
        }
        // A valid authority reads as the layer and the proxy read it: the host they would judge.
        let host = origin::normalize_host(authority.as_bytes()).into_owned();
        debug_assert_eq!(host, checked, "a valid host normalises as checked");
        let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
        let path = if tail[..path_end].is_empty() {
            "/"
        } else {
            &tail[..path_end]
        };
        let secure = origin::is_secure_origin(secure_scheme, &host);
        Ok(RequestUrlBuf {
            secure,
            host,
            path: path.to_owned(),
        })
    }

    /// Borrows it as the [`RequestUrl`] the core works with.
    pub fn as_url(&self) -> RequestUrl<'_> {
        RequestUrl {
            secure: self.secure,
            host: &self.host,
            path: &self.path,
        }
    }
}

impl std::str::FromStr for RequestUrlBuf {
    type Err = UrlError;

    fn from_str(text: &str) -> Result<Self, UrlError> {
        RequestUrlBuf::parse(text)
    }
}

/// Splits `host[:port]` at the first `:`, keeping a bracketed IPv6 host whole: the port to
/// validate (the host itself is then read by [`origin::normalize_host`]).
fn split_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        return match authority.find(']') {
            Some(end) => {
                let (host, rest) = authority.split_at(end + 1);
                match rest.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if rest.is_empty() => (host, None),
                    // Text after the literal that is no port: no host at all.
                    None => (authority, None),
                }
            }
            None => (authority, None),
        };
    }
    match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> (bool, String, String) {
        let url = RequestUrlBuf::parse(text).unwrap();
        (url.secure, url.host, url.path)
    }

    #[test]
    fn parses_the_parts() {
        assert_eq!(
            parts("https://www.example.com/dir/page"),
            (true, "www.example.com".into(), "/dir/page".into())
        );
        assert_eq!(
            parts("HTTP://Example.COM."),
            (false, "example.com".into(), "/".into())
        );
        assert_eq!(
            parts("http://example.com:8080?x=1"),
            (false, "example.com".into(), "/".into())
        );
        assert_eq!(parts("wss://[::1]:443/s"), (true, "[::1]".into(), "/s".into()));
        assert_eq!(
            parts("http://127.0.0.1:8080/a"),
            (true, "127.0.0.1".into(), "/a".into())
        );
        assert_eq!(
            parts("http://app.localhost/"),
            (true, "app.localhost".into(), "/".into())
        );
        assert_eq!(parts("http://10.0.0.1/"), (false, "10.0.0.1".into(), "/".into()));
    }

    #[test]
    fn rejects_what_it_cannot_mean() {
        for bad in [
            "example.com/",
            "ftp://example.com/",
            "https://user@example.com/",
            "https:///path",
            "https://exämple.com/",
            "https://example.com:99999/",
            "https://example.com:8a/",
            "https://a..b/",
            "https://1.2.3.999/",
            "https://[zz]/",
            "https://[::1]x/",
            "https://[::1]é/",
            "https://example.com/a b",
        ] {
            let err = RequestUrlBuf::parse(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
