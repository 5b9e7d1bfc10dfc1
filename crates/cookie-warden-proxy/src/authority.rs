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
//! the scheme's default port equal to no port (the core's [`origin`], which the layer and `eval`
//! read hosts with too).

use cookie_warden_core::origin;
use http::{HeaderValue, Request, Uri, Version, header};

/// The `Host` value for the upstream generated from the request target's authority (without
/// userinfo), or `None` when the target has none (origin-form: the client's `Host` stands).
pub(crate) fn upstream_host(uri: &Uri) -> Option<HeaderValue> {
    let authority = uri.authority()?;
    HeaderValue::from_str(origin::strip_userinfo(authority.as_str())).ok()
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
    let default_port = request.uri().scheme_str().and_then(origin::default_port);
    let authority = origin::strip_userinfo(authority.as_str());
    !origin::same_authority(authority.as_bytes(), host.as_bytes(), default_port)
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
