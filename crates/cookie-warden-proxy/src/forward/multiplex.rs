//! A forwarded request in the form HTTP/2 needs, and back.
//!
//! [`super::Forward`] builds every upstream request as HTTP/1.1 (origin-form target, `Host`).
//! On an HTTP/2 connection the authority travels as `:authority` (RFC 9113 §8.3.1: taken from the
//! same `Host` value HTTP/1.1 would send, so the upstream sees the same host either way) and the
//! scheme as `:scheme` `https` (HTTP/2 to the upstream is only negotiated over TLS); `Host` and
//! `Connection` are not sent. `TE: trailers` stays (the one `TE` HTTP/2 allows).

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Uri, Version, header};

/// `request` (HTTP/1.1 form) as an HTTP/2 request. A `Host` that is no authority (the forwarding
/// service refuses those for an https upstream first) is left as it is.
pub(crate) fn to_http2<B>(mut request: Request<B>) -> Request<B> {
    let authority = request
        .headers()
        .get(header::HOST)
        .and_then(|host| Authority::try_from(host.as_bytes()).ok());
    if let Some(authority) = authority {
        let path_and_query = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(Scheme::HTTPS);
        parts.authority = Some(authority);
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
            request.headers_mut().remove(header::HOST);
        }
    }
    // Its only token here is `te`; hyper would remove the header it names along with it.
    request.headers_mut().remove(header::CONNECTION);
    *request.version_mut() = Version::HTTP_2;
    request
}

/// A request [`to_http2`] made, back in HTTP/1.1 form (for a retry on a new connection that
/// speaks HTTP/1.1).
pub(crate) fn to_http1<B>(mut request: Request<B>) -> Request<B> {
    if let Some(authority) = request.uri().authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        request.headers_mut().insert(header::HOST, host);
        let path_and_query = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *request.uri_mut() = Uri::from(path_and_query);
    }
    if request.headers().contains_key(header::TE) {
        request
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("te"));
    }
    *request.version_mut() = Version::HTTP_11;
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http1_request() -> Request<()> {
        Request::post("/app/x?y=1")
            .header(header::HOST, "www.example.test:8443")
            .header(header::TE, "trailers")
            .header(header::CONNECTION, "te")
            .header(header::COOKIE, "a=1")
            .body(())
            .unwrap()
    }

    #[test]
    fn the_host_becomes_the_authority_and_comes_back() {
        let h2 = to_http2(http1_request());
        assert_eq!(h2.uri(), "https://www.example.test:8443/app/x?y=1");
        assert_eq!(h2.version(), Version::HTTP_2);
        assert!(!h2.headers().contains_key(header::HOST));
        assert!(!h2.headers().contains_key(header::CONNECTION));
        assert_eq!(h2.headers()[header::TE], "trailers");
        assert_eq!(h2.headers()[header::COOKIE], "a=1");

        let h1 = to_http1(h2);
        let original = http1_request();
        assert_eq!(h1.uri(), original.uri());
        assert_eq!(h1.version(), Version::HTTP_11);
        assert_eq!(h1.headers(), original.headers());
    }

    #[test]
    fn a_host_that_is_no_authority_is_left_alone() {
        let request = Request::get("/").header(header::HOST, "a b").body(()).unwrap();
        let h2 = to_http2(request);
        assert_eq!(h2.uri(), "/");
        assert_eq!(h2.headers()[header::HOST], "a b");
    }
}
