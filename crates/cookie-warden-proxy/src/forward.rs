//! The forwarding service: one request in, the upstream's response out, bodies streamed both ways.
//!
//! [`Forward`] is a plain tower service (`Request<Incoming>` → `Response<ProxyBody>`, never an
//! `Err`) over a pool of keep-alive HTTP/1.1 connections to the upstream, or one HTTP/2
//! connection to an `https://` upstream that offers `h2` ([`pool`], `multiplex.rs`,
//! [`crate::upstream_tls`]). It removes hop-by-hop headers, passes trailers on without cookie
//! fields ([`trailers`]), tells the
//! upstream who asked (`X-Forwarded-*` or `Forwarded`), sends the `Host` the request is for (the
//! target's authority when it has one, else the client's `Host`; see `authority.rs`) unless
//! an upstream host is configured, passes upgrades through, and turns upstream failures into
//! `502`/`504` responses (see `errors.rs`). The cookie policy is a layer around it.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderValue, Request, Response, StatusCode, Uri, Version, header};
use http_body_util::{Either, Full};
use hyper::body::Incoming;

use super::authority;
use super::errors::UpstreamFailure;
use super::headers::{
    ClientInfo, ForwardedStyle, append_via, has_token, join_cookie_headers, strip_hop_by_hop,
};
use super::timeouts::{BodySide, IdleTimeoutBody, Timeouts};
use super::trace_context;
use super::upgrade;
use super::upstream_tls::UpstreamTls;

mod multiplex;
pub mod pool;
pub mod trailers;

use pool::{Pool, UpstreamBody};
use trailers::{REQUEST_COOKIES, RESPONSE_COOKIES, TrailersWithout};

/// A response body: the upstream's, streamed, or a short one the proxy made itself.
pub type ProxyBody = Either<IdleTimeoutBody<TrailersWithout<UpstreamBody>>, Full<Bytes>>;

/// The upstream, checked once: `http[s]://host[:port][/base/path]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    /// Over TLS (`https://`).
    https: bool,
    authority: Authority,
    /// The authority as a `Host` value, for requests that name no host.
    host: HeaderValue,
    /// The base path without a trailing `/` (empty for the root).
    base_path: String,
}

impl Upstream {
    /// Parses `--upstream`.
    ///
    /// # Errors
    /// A message naming the URL when it is not an absolute `http://` or `https://` URL without
    /// query.
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("invalid upstream URL `{url}`: {e}"))?;
        let https = match uri.scheme() {
            Some(scheme) if *scheme == Scheme::HTTP => false,
            Some(scheme) if *scheme == Scheme::HTTPS => true,
            _ => {
                return Err(format!(
                    "invalid upstream URL `{url}`: only http:// and https:// upstreams are supported"
                ));
            }
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| format!("invalid upstream URL `{url}`: no host"))?;
        if uri.query().is_some() {
            return Err(format!("invalid upstream URL `{url}`: a query is not allowed"));
        }
        let host = HeaderValue::from_str(authority.as_str())
            .map_err(|_| format!("invalid upstream URL `{url}`: the host is not a header value"))?;
        Ok(Self {
            https,
            authority,
            host,
            base_path: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The request target sent upstream (origin-form: `/base/path?query`) for a request's URI.
    fn uri_for(&self, original: &Uri) -> Result<Uri, http::Error> {
        if self.base_path.is_empty() {
            if original.scheme().is_none()
                && original.authority().is_none()
                && original.path_and_query().is_some()
            {
                // HTTP/1's usual origin-form, taken as it is.
                return Ok(original.clone());
            }
            let path_and_query = original
                .path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/"));
            return Ok(Uri::from(path_and_query));
        }
        let path_and_query = original.path_and_query().map_or("/", PathAndQuery::as_str);
        Uri::builder()
            .path_and_query(format!("{}{path_and_query}", self.base_path))
            .build()
    }

    /// `host:port` to connect to.
    fn connect_target(&self) -> String {
        let default_port = if self.https { 443 } else { 80 };
        format!(
            "{}:{}",
            self.authority.host(),
            self.authority.port_u16().unwrap_or(default_port)
        )
    }

    /// Whether the upstream is reached over TLS.
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// The URL's host (an IPv6 address in brackets), which TLS checks the certificate against.
    pub fn host(&self) -> &str {
        self.authority.host()
    }

    /// `http[s]://authority/base` for messages.
    pub fn display(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.authority, self.base_path)
    }
}

/// How requests are forwarded.
#[derive(Debug, Clone)]
pub struct ForwardOptions {
    /// Where to.
    pub upstream: Upstream,
    /// The `Host` sent upstream instead of the client's.
    pub upstream_host: Option<HeaderValue>,
    /// How the upstream learns about the client.
    pub forwarded: ForwardedStyle,
    /// Keep `X-Forwarded-Proto`/`-Host` set by a trusted proxy in front.
    pub trust_forwarded: bool,
    /// Time limits.
    pub timeouts: Timeouts,
    /// TLS to an `https://` upstream (required for one).
    pub tls: Option<Arc<UpstreamTls>>,
}

/// The forwarding service. Cheap to clone: everything lives behind one `Arc`.
#[derive(Debug, Clone)]
pub struct Forward {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    pool: Pool,
    options: ForwardOptions,
}

impl Forward {
    /// A forwarding service with its own connection pool.
    pub fn new(options: ForwardOptions) -> Self {
        let pool = Pool::with_tls(
            options.upstream.connect_target(),
            options.tls.clone(),
            options.timeouts.connect,
            options.timeouts.client_idle,
        );
        Self {
            inner: Arc::new(Inner { pool, options }),
        }
    }
}

impl tower::Service<Request<Incoming>> for Forward {
    type Response = Response<ProxyBody>;
    type Error = Infallible;
    // One box per request keeps the service nameable without a hand-written future for an
    // `async` body with many await points.
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Incoming>) -> Self::Future {
        let inner = Arc::clone(&self.inner);
        Box::pin(async move { Ok(inner.forward(request).await) })
    }
}

impl Inner {
    async fn forward(&self, mut request: Request<Incoming>) -> Response<ProxyBody> {
        let options = &self.options;
        let client_upgrade = upgrade::requested(&request).then(|| hyper::upgrade::on(&mut request));
        let (mut parts, body) = request.into_parts();
        let client = parts
            .extensions
            .get::<ClientInfo>()
            .copied()
            .unwrap_or(ClientInfo {
                peer: ([0, 0, 0, 0], 0).into(),
                tls: false,
            });

        // The host the request is for, as the policy judged it: the target's authority when it
        // has one (absolute-form, HTTP/2 `:authority`; RFC 9112 §3.2.2: the received `Host` is
        // ignored then), else the client's `Host`.
        let original_host =
            authority::upstream_host(&parts.uri).or_else(|| parts.headers.get(header::HOST).cloned());
        let upgrade_protocol = if client_upgrade.is_some() {
            parts.headers.get(header::UPGRADE).cloned()
        } else {
            None
        };
        // The client takes trailers (RFC 9110 §10.1.4): so does the proxy, on its behalf.
        let takes_trailers = has_token(&parts.headers, header::TE, "trailers");

        strip_hop_by_hop(&mut parts.headers);
        trailers::announce_without(&mut parts.headers, &REQUEST_COOKIES);
        join_cookie_headers(&mut parts.headers);
        append_via(&mut parts.headers, parts.version);
        trace_context::inject(&mut parts.headers);
        if let Some(protocol) = upgrade_protocol {
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(header::UPGRADE, protocol);
        } else if takes_trailers {
            parts
                .headers
                .insert(header::TE, HeaderValue::from_static("trailers"));
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("te"));
        }
        options.forwarded.apply(
            &mut parts.headers,
            client,
            original_host.as_ref(),
            options.trust_forwarded,
        );
        // A client that named no host (HTTP/1.0) gets the upstream's own, as HTTP/1.1 needs one.
        let host = options
            .upstream_host
            .as_ref()
            .or(original_host.as_ref())
            .unwrap_or(&options.upstream.host);
        if options.upstream.https && Authority::try_from(host.as_bytes()).is_err() {
            // HTTP/2 carries it as `:authority`, which must be one.
            return local(StatusCode::BAD_REQUEST, "400 Bad Request: invalid host\n");
        }
        parts.headers.insert(header::HOST, host.clone());

        let original_uri = std::mem::take(&mut parts.uri);
        parts.uri = match options.upstream.uri_for(&original_uri) {
            Ok(uri) => uri,
            Err(_) => {
                return local(
                    StatusCode::BAD_REQUEST,
                    "400 Bad Request: invalid request target\n",
                );
            }
        };
        parts.version = Version::HTTP_11;
        let method = parts.method.clone();
        let upstream_request = Request::from_parts(
            parts,
            IdleTimeoutBody::new(
                TrailersWithout::new(body, &REQUEST_COOKIES),
                options.timeouts.body_idle,
                BodySide::Request,
            ),
        );

        let sent = self.pool.send(upstream_request, client_upgrade.is_some());
        let response = tokio::time::timeout(options.timeouts.upstream_head, sent).await;
        let (mut response, connection) = match response {
            Ok(Ok(exchanged)) => exchanged,
            Ok(Err(error)) => {
                let failure = UpstreamFailure::classify(&error);
                failure.report(method.as_str(), original_uri.path(), &error);
                return failure.response().map(Either::Right);
            }
            Err(elapsed) => {
                let failure = UpstreamFailure::HeadTimeout;
                failure.report(method.as_str(), original_uri.path(), &elapsed);
                return failure.response().map(Either::Right);
            }
        };

        if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            let Some(client_upgrade) = client_upgrade else {
                let failure = UpstreamFailure::Broken;
                let error = std::io::Error::other("the upstream switched protocols without being asked");
                failure.report(method.as_str(), original_uri.path(), &error);
                return failure.response().map(Either::Right);
            };
            let upstream_upgrade = hyper::upgrade::on(&mut response);
            let protocol = response.headers().get(header::UPGRADE).cloned();
            strip_hop_by_hop(response.headers_mut());
            if let Some(protocol) = protocol {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
                response.headers_mut().insert(header::UPGRADE, protocol);
            }
            upgrade::tunnel(client_upgrade, upstream_upgrade, options.timeouts.upstream_head);
            // The connection is the tunnel's now.
            let idle = options.timeouts.body_idle;
            return response.map(|body| {
                Either::Left(IdleTimeoutBody::new(
                    TrailersWithout::new(UpstreamBody::new(body, None), &RESPONSE_COOKIES),
                    idle,
                    BodySide::Response,
                ))
            });
        }
        strip_hop_by_hop(response.headers_mut());
        trailers::announce_without(response.headers_mut(), &RESPONSE_COOKIES);
        let idle = options.timeouts.body_idle;
        let connection = connection.map(|connection| (connection, self.pool.clone()));
        response.map(|body| {
            Either::Left(IdleTimeoutBody::new(
                TrailersWithout::new(UpstreamBody::new(body, connection), &RESPONSE_COOKIES),
                idle,
                BodySide::Response,
            ))
        })
    }
}

/// A short plain response made by the proxy.
fn local(status: StatusCode, body: &'static str) -> Response<ProxyBody> {
    let mut response = Response::new(Either::Right(Full::new(Bytes::from_static(body.as_bytes()))));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_checked() {
        let upstream = Upstream::parse("http://127.0.0.1:9000/app/").unwrap();
        let uri = upstream.uri_for(&"/x?y=1".parse().unwrap()).unwrap();
        assert_eq!(uri, "/app/x?y=1");
        assert_eq!(upstream.connect_target(), "127.0.0.1:9000");
        let root = Upstream::parse("http://localhost").unwrap();
        assert_eq!(root.uri_for(&"/".parse().unwrap()).unwrap(), "/");
        assert_eq!(
            root.uri_for(&"https://www.example.com/a?b".parse().unwrap())
                .unwrap(),
            "/a?b"
        );
        assert_eq!(root.connect_target(), "localhost:80");
        assert_eq!(root.display(), "http://localhost");
        let tls = Upstream::parse("https://backend.internal/api").unwrap();
        assert!(tls.is_https());
        assert_eq!(tls.connect_target(), "backend.internal:443");
        assert_eq!(tls.host(), "backend.internal");
        assert_eq!(tls.display(), "https://backend.internal/api");
        let v6 = Upstream::parse("https://[::1]:8443").unwrap();
        assert_eq!(v6.connect_target(), "[::1]:8443");
        assert_eq!(v6.host(), "[::1]");
        for bad in ["ftp://example.com", "example.com", "http://x/?q=1", "not a url"] {
            let err = Upstream::parse(bad).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
    }
}
