//! A test site for the browser: an upstream on 127.0.0.1 whose pages, chosen by host and path,
//! answer with the `Set-Cookie` headers a test gives them, and which records the names of the
//! cookies every request carried.
//!
//! Routes, on every host:
//! * a [`SitePage`]'s host and path: its HTML and its `Set-Cookie` headers, in order;
//! * `/__echo` (any method): a JSON array of the cookie names the request carried, so a page's
//!   script can show what the upstream received;
//! * anything else (the browser's `/favicon.ico` among them): `404` with no cookie.
//!
//! Cookie values are never recorded or echoed: only names.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, SET_COOKIE};
use http::{HeaderValue, Request, Response, StatusCode};
use hyper::body::Incoming;

use crate::upstream::{Body, full, serve};

/// The path of the echo endpoint.
pub const ECHO_PATH: &str = "/__echo";

/// One page of the test site.
#[derive(Debug, Clone)]
pub struct SitePage {
    /// The host it answers for (without port).
    pub host: String,
    /// Its path (exact).
    pub path: String,
    /// Its `Set-Cookie` header values, sent in this order.
    pub set_cookies: Vec<String>,
    /// Its HTML body.
    pub html: String,
}

impl SitePage {
    /// A page with a small HTML body naming it.
    #[must_use]
    pub fn new(host: &str, path: &str, set_cookies: &[&str]) -> Self {
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{host}{path}</title></head>\
             <body><h1>Test site: {host}{path}</h1><p>{} Set-Cookie headers.</p></body></html>",
            set_cookies.len()
        );
        Self {
            host: host.to_owned(),
            path: path.to_owned(),
            set_cookies: set_cookies.iter().map(|&c| c.to_owned()).collect(),
            html,
        }
    }
}

/// One request the site received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenRequest {
    /// The host the request named (without port).
    pub host: String,
    /// Its path.
    pub path: String,
    /// The names of the cookies in its `Cookie` headers, in order.
    pub cookie_names: Vec<String>,
}

/// A running test site.
#[derive(Debug, Clone)]
pub struct TestSite {
    /// Where it listens (127.0.0.1, OS-chosen port).
    pub address: SocketAddr,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
}

impl TestSite {
    /// Serves `pages` on 127.0.0.1 (OS-chosen port) on the current runtime.
    pub async fn start(pages: Vec<SitePage>) -> Self {
        let pages = Arc::new(pages);
        let seen: Arc<Mutex<Vec<SeenRequest>>> = Arc::default();
        let recorder = Arc::clone(&seen);
        let address = serve(move |request: Request<Incoming>| {
            let pages = Arc::clone(&pages);
            let recorder = Arc::clone(&recorder);
            async move { respond(&request, &pages, &recorder) }
        })
        .await;
        Self { address, seen }
    }

    /// `http://ADDR`, the proxy's `--upstream`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Every request received so far.
    ///
    /// # Panics
    /// When a request handler panicked while holding the record.
    #[must_use]
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().unwrap().clone()
    }
}

fn respond(
    request: &Request<Incoming>,
    pages: &[SitePage],
    seen: &Mutex<Vec<SeenRequest>>,
) -> Response<Body> {
    let host = request_host(request);
    let path = request.uri().path().to_owned();
    let cookie_names = cookie_names(request);
    seen.lock().unwrap().push(SeenRequest {
        host: host.clone(),
        path: path.clone(),
        cookie_names: cookie_names.clone(),
    });

    let mut response = Response::new(full(""));
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if path == ECHO_PATH {
        let names = serde_json::to_string(&cookie_names).expect("names serialise");
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        *response.body_mut() = full(names);
        return response;
    }
    let Some(page) = pages.iter().find(|p| p.host == host && p.path == path) else {
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    };
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    for set_cookie in &page.set_cookies {
        let value =
            HeaderValue::from_str(set_cookie).expect("test Set-Cookie values are valid header values");
        response.headers_mut().append(SET_COOKIE, value);
    }
    *response.body_mut() = full(page.html.clone());
    response
}

/// The host the request names: the URI's authority (HTTP/2) or the `Host` header, without port.
fn request_host(request: &Request<Incoming>) -> String {
    let authority = request
        .uri()
        .authority()
        .map(|a| a.host().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    let host = authority
        .rsplit_once(':')
        .map_or(authority.as_str(), |(host, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                host
            } else {
                authority.as_str()
            }
        });
    host.to_ascii_lowercase()
}

/// The names of the cookies in the request's `Cookie` headers.
fn cookie_names(request: &Request<Incoming>) -> Vec<String> {
    request
        .headers()
        .get_all(COOKIE)
        .iter()
        .flat_map(|header| header.as_bytes().split(|&b| b == b';'))
        .filter_map(|pair| {
            let pair = pair.trim_ascii();
            let name = pair.split(|&b| b == b'=').next().unwrap_or(pair);
            (!pair.is_empty()).then(|| String::from_utf8_lossy(name.trim_ascii()).into_owned())
        })
        .collect()
}
