//! The demo's built-in upstream: serves the [`Site`] by the request's host and path, as a real
//! site behind the proxy would (it knows nothing of the demo's path prefixes).
//!
//! - a path in one of the policy's scopes: that area's page, or its `api/cookies` endpoint;
//! - `/`: the home page; `/js-cookie`: the `document.cookie` page;
//! - `/echo`: the names (never the values) of the cookies this upstream received, as JSON;
//! - with `[consent]`, `…/consent/accept` and `…/consent/decline`: set the consent cookie (see
//!   [`super::consent`]) and send the browser back to the home page.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use cookie_warden_core::policy::CompiledPolicy;
use http::{HeaderValue, Request, Response, StatusCode, header};
use http_body_util::Full;

use super::consent;
use super::site::{DemoCookie, Site};

/// The upstream's state: the site, and the policy whose scopes locate its areas.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    site: Arc<Site>,
    policy: Arc<CompiledPolicy>,
}

impl Upstream {
    /// The upstream for a site built from `policy`.
    pub(crate) fn new(site: Arc<Site>, policy: Arc<CompiledPolicy>) -> Self {
        Self { site, policy }
    }

    /// Answers one request.
    pub(crate) fn respond<B>(&self, request: &Request<B>) -> Response<Full<Bytes>> {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|h| {
                h.rsplit_once(':').map_or(h, |(host, port)| {
                    if port.bytes().all(|b| b.is_ascii_digit()) {
                        host
                    } else {
                        h
                    }
                })
            })
            .unwrap_or("")
            .to_ascii_lowercase();
        let path = request.uri().path();
        if let Some(banner) = &self.site.banner {
            let choice = if path.ends_with(consent::ACCEPT) {
                Some(&banner.accept_header)
            } else if path.ends_with(consent::DECLINE) {
                Some(&banner.decline_header)
            } else {
                None
            };
            if let Some(set_cookie) = choice {
                let mut response =
                    html_or_json("back to the home page\n".to_owned(), "text/plain; charset=utf-8");
                *response.status_mut() = StatusCode::SEE_OTHER;
                response
                    .headers_mut()
                    .insert(header::LOCATION, HeaderValue::from_static("/"));
                if let Ok(value) = HeaderValue::from_str(set_cookie) {
                    response.headers_mut().append(header::SET_COOKIE, value);
                }
                return response;
            }
        }
        if let Some(content) = self
            .policy
            .scope_for(&host, path)
            .and_then(|scope| self.site.area(scope))
        {
            return if path.ends_with("/api/cookies") {
                let names: Vec<&str> = content.api_cookies.iter().map(|c| c.name.as_str()).collect();
                let body = serde_json::json!({ "area": content.area.id, "set": names }).to_string();
                with_cookies(html_or_json(body, "application/json"), &content.api_cookies)
            } else {
                with_cookies(
                    html_or_json(content.html.clone(), "text/html; charset=utf-8"),
                    &content.page_cookies,
                )
            };
        }
        match path {
            "/" => html_or_json(self.site.home.clone(), "text/html; charset=utf-8"),
            "/js-cookie" => html_or_json(self.site.js_cookie.clone(), "text/html; charset=utf-8"),
            "/echo" => {
                let names = received_cookie_names(request);
                html_or_json(
                    serde_json::json!({ "cookies": names }).to_string(),
                    "application/json",
                )
            }
            _ => {
                let mut response = html_or_json("not found\n".to_owned(), "text/plain; charset=utf-8");
                *response.status_mut() = StatusCode::NOT_FOUND;
                response
            }
        }
    }
}

impl<B> tower::Service<Request<B>> for Upstream {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        std::future::ready(Ok(self.respond(&request)))
    }
}

/// The names of the cookies in the request's `Cookie` headers, in order.
fn received_cookie_names<B>(request: &Request<B>) -> Vec<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let pair = pair.trim_ascii();
            let name = pair.split(|&b| b == b'=').next().unwrap_or(pair).trim_ascii();
            (!name.is_empty()).then(|| String::from_utf8_lossy(name).into_owned())
        })
        .collect()
}

fn html_or_json(body: String, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn with_cookies(mut response: Response<Full<Bytes>>, cookies: &[DemoCookie]) -> Response<Full<Bytes>> {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.header) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_lists_names_only() {
        let request = Request::builder()
            .header(header::COOKIE, "a=secret; b=2")
            .header(header::COOKIE, "c")
            .body(())
            .unwrap();
        assert_eq!(received_cookie_names(&request), ["a", "b", "c"]);
    }
}
