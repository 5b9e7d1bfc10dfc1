//! Helpers shared by the integration tests: policies, upstreams and bodies.

#![allow(dead_code, reason = "each test binary uses a different subset of the helpers")]

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use cookie_warden_core::policy::CompiledPolicy;
use cookie_warden_core::policy::load;
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, Request, Response};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use tokio::sync::mpsc;

/// A policy with a scope, exact, glob and duration rules; strict defaults.
pub(crate) const POLICY: &str = r#"
version = 1

[enforcement]
request_cookies = "strip"

[[scope]]
id = "shop"
hosts = ["shop.example"]
paths = ["/"]

[[cookie]]
name = "sid"
lifetime = "session"

[[cookie]]
name = "theme"
lifetime = "session"
http_only = false

[[cookie]]
name = "cart"
scopes = ["shop"]
lifetime = "1h"

[[cookie]]
name = "keep_*"
lifetime = "session"
"#;

/// Compiles a policy or panics with every error.
pub(crate) fn policy(toml: &str) -> CompiledPolicy {
    match load::from_toml_str("test.toml", toml) {
        Ok(loaded) => loaded.policy,
        Err(errors) => panic!("test policy does not load: {errors}"),
    }
}

/// [`POLICY`] with more lines in its `[enforcement]` table.
pub(crate) fn policy_with(enforcement: &str) -> CompiledPolicy {
    policy(&POLICY.replace("[enforcement]\n", &format!("[enforcement]\n{enforcement}\n")))
}

/// A compliant header for each rule of [`POLICY`] (a secure origin is assumed).
pub(crate) const SID_OK: &str = "sid=SENTINEL-sid-7f3a; Path=/; Secure; HttpOnly; SameSite=Lax";

/// A request to `uri` with the given headers.
pub(crate) fn request(uri: &str, headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut builder = Request::builder().uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(Full::new(Bytes::new())).unwrap()
}

/// A response carrying each of `cookies` as a `Set-Cookie` header, in order.
pub(crate) fn response_with(cookies: &[&str], body: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    for cookie in cookies {
        response.headers_mut().append(SET_COOKIE, cookie.parse().unwrap());
    }
    response
}

/// An upstream that answers every request with `cookies`.
pub(crate) fn upstream(
    cookies: Vec<String>,
) -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send,
> + Clone {
    tower::service_fn(move |_req: Request<Full<Bytes>>| {
        let refs: Vec<&str> = cookies.iter().map(String::as_str).collect();
        let response = response_with(&refs, "upstream body");
        async move { Ok::<_, Infallible>(response) }
    })
}

/// The `Set-Cookie` values of a header map, in order.
pub(crate) fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| String::from_utf8(v.as_bytes().to_vec()).unwrap())
        .collect()
}

/// The `Cookie` values of a header map, in order.
pub(crate) fn cookie_headers(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .map(|v| String::from_utf8(v.as_bytes().to_vec()).unwrap())
        .collect()
}

/// A whole body as text.
pub(crate) async fn body_text<B>(body: B) -> String
where
    B: Body,
    B::Error: std::fmt::Debug,
{
    let bytes = body.collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// A body fed frame by frame through a channel, to see that frames pass one at a time.
pub(crate) struct ChannelBody(pub(crate) mpsc::Receiver<Frame<Bytes>>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|frame| frame.map(Ok))
    }
}
