//! Which host a request is for, so that the host the policy judges is the host the upstream
//! serves.
//!
//! - A request target with an authority (HTTP/1.1 absolute-form `GET http://app.test/x`, or
//!   HTTP/2's `:authority`) names the host: RFC 9112 §3.2.2 says a server MUST ignore the received
//!   `Host` then, and a proxy MUST generate `Host` from the target ([`upstream_host`]). The layer
//!   judges the same authority.
//! - An HTTP/2 request whose `host` header names another host than its `:authority` is malformed
//!   (RFC 9113 §8.3.1): answered `400` before the policy or the upstream sees it
//!   ([`conflicting_authority`]). hyper (h2 0.4) does not check this itself.
//!
//! Hosts compare as RFC 3986 §6.2 normalises them: case-insensitively, without userinfo, and with
//! the scheme's default port equal to no port.

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Request, Uri, Version, header};

/// The `Host` value for the upstream generated from the request target's authority (without
/// userinfo), or `None` when the target has none (origin-form: the client's `Host` stands).
pub(crate) fn upstream_host(uri: &Uri) -> Option<HeaderValue> {
    let authority = uri.authority()?;
    let host = host_and_port(authority);
    HeaderValue::from_str(host).ok()
}

/// Whether `request` is an HTTP/2 request whose `host` header names another host than its
/// `:authority` (or holds several values): malformed, to be refused.
pub(crate) fn conflicting_authority<B>(request: &Request<B>) -> bool {
    if request.version() != Version::HTTP_2 {
        return false;
    }
    let Some(authority) = request.uri().authority() else {
        return false;
    };
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let Some(host) = hosts.next() else {
        return false;
    };
    if hosts.next().is_some() {
        return true;
    }
    let default_port = default_port(request.uri().scheme());
    !same_host(host_and_port(authority).as_bytes(), host.as_bytes(), default_port)
}

/// `host[:port]` of an authority: its text without any `userinfo@`.
fn host_and_port(authority: &Authority) -> &str {
    let text = authority.as_str();
    text.rfind('@').map_or(text, |at| &text[at + 1..])
}

/// The default port of a scheme (`http`: 80, `https`: 443); `None` for others.
fn default_port(scheme: Option<&Scheme>) -> Option<&'static [u8]> {
    match scheme {
        Some(scheme) if *scheme == Scheme::HTTPS => Some(b"443"),
        Some(scheme) if *scheme == Scheme::HTTP => Some(b"80"),
        _ => None,
    }
}

/// Whether two `host[:port]` texts name the same host: case-insensitively, an explicit default
/// port equal to none.
fn same_host(a: &[u8], b: &[u8], default_port: Option<&[u8]>) -> bool {
    let strip = |text: &[u8]| -> Vec<u8> {
        let text = text.trim_ascii();
        let lowered = text.to_ascii_lowercase();
        match (default_port, split_port(&lowered)) {
            (Some(default), (host, Some(port))) if port == default => host.to_vec(),
            _ => lowered,
        }
    };
    a.eq_ignore_ascii_case(b) || strip(a) == strip(b)
}

/// `host` and its port, if the text ends in `:digits` (after any IPv6 literal's `]`).
fn split_port(text: &[u8]) -> (&[u8], Option<&[u8]>) {
    let after_literal = text.iter().rposition(|&b| b == b']').map_or(0, |i| i + 1);
    match text[after_literal..].iter().rposition(|&b| b == b':') {
        Some(colon) => {
            let colon = after_literal + colon;
            let port = &text[colon + 1..];
            if port.iter().all(u8::is_ascii_digit) {
                (&text[..colon], Some(port))
            } else {
                (text, None)
            }
        }
        None => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h2(uri: &str, hosts: &[&str]) -> Request<()> {
        let mut builder = Request::builder().version(Version::HTTP_2).uri(uri);
        for host in hosts {
            builder = builder.header(header::HOST, *host);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn the_upstream_host_comes_from_the_target_without_userinfo() {
        let host = |uri: &str| upstream_host(&uri.parse().unwrap()).map(|h| h.to_str().unwrap().to_owned());
        assert_eq!(host("http://app.test/x").as_deref(), Some("app.test"));
        assert_eq!(host("http://App.Test:8080/").as_deref(), Some("App.Test:8080"));
        assert_eq!(host("http://u:p@app.test/").as_deref(), Some("app.test"));
        assert_eq!(host("http://[::1]:3000/").as_deref(), Some("[::1]:3000"));
        assert_eq!(host("/origin-form"), None);
    }

    #[test]
    fn an_h2_host_header_must_name_the_authority() {
        assert!(!conflicting_authority(&h2("https://app.test/", &[])));
        assert!(!conflicting_authority(&h2("https://app.test/", &["app.test"])));
        assert!(!conflicting_authority(&h2("https://app.test/", &["APP.test"])));
        assert!(!conflicting_authority(&h2(
            "https://app.test/",
            &["app.test:443"]
        )));
        assert!(!conflicting_authority(&h2("http://app.test:80/", &["app.test"])));
        assert!(!conflicting_authority(&h2("http://[::1]:80/", &["[::1]"])));
        assert!(conflicting_authority(&h2("https://app.test/", &["other.test"])));
        assert!(conflicting_authority(&h2(
            "https://app.test/",
            &["app.test:8443"]
        )));
        assert!(conflicting_authority(&h2("http://app.test/", &["app.test:443"])));
        assert!(conflicting_authority(&h2(
            "https://app.test/",
            &["app.test", "app.test"]
        )));
        assert!(conflicting_authority(&h2(
            "https://app.test/",
            &["app.test.evil"]
        )));
    }

    #[test]
    fn http1_requests_are_not_checked_here() {
        let request = Request::builder()
            .uri("http://app.test/")
            .header(header::HOST, "other.test")
            .body(())
            .unwrap();
        assert!(
            !conflicting_authority(&request),
            "absolute-form: Host is replaced, not refused"
        );
    }
}
