//! A real HTTP client for the tests: hyper-util's client over HTTP/1.1 or HTTP/2 (prior
//! knowledge), every call bounded in time.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode, Version, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// How long one request may take, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A whole response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The HTTP version it came over.
    pub version: Version,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Reply {
    /// Every `Set-Cookie` value, in order.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// The `Set-Cookie` value of the cookie `name`, if exactly one is there.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        let mut found = self.set_cookies().into_iter().filter(|c| cookie_name(c) == name);
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }

    /// The names of the cookies set, in order.
    pub fn set_cookie_names(&self) -> Vec<String> {
        self.set_cookies()
            .iter()
            .map(|c| cookie_name(c).to_owned())
            .collect()
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The name of a `Set-Cookie` value (text before the first `=`, trimmed).
pub fn cookie_name(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .unwrap_or("")
        .split('=')
        .next()
        .unwrap_or("")
        .trim()
}

/// `GET url` over HTTP/1.1 with the given `Host`.
pub async fn get(url: &str, host: &str) -> Reply {
    let request = Request::get(url)
        .header(header::HOST, host)
        .body(Full::new(Bytes::new()))
        .unwrap();
    send(request, false).await
}

/// Sends a request over HTTP/1.1, or HTTP/2 with prior knowledge; bounded by [`REQUEST_TIMEOUT`].
///
/// # Panics
/// When the request fails or times out.
pub async fn send(request: Request<Full<Bytes>>, http2: bool) -> Reply {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(http2)
        .build_http();
    let uri = request.uri().clone();
    let exchange = async move {
        let response = client
            .request(request)
            .await
            .unwrap_or_else(|e| panic!("request to {uri} failed: {e:?}"));
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("response body").to_bytes();
        Reply {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
        }
    };
    tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .expect("request within the time limit")
}
