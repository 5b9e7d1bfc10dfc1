//! The two responses every bench server gives, built the same way everywhere.

use bytes::Bytes;
use http::header::{CONTENT_TYPE, SET_COOKIE};
use http::{HeaderValue, Response};
use http_body_util::Full;

/// The path whose response carries [`SET_COOKIES`]; every other path gets none.
pub const COOKIES_PATH: &str = "/set-cookies";

/// The `Host` the bench sends, so that requests land in scope `public` of `config/fora.toml`.
pub const HOST: &str = "www.fora.se";

/// The `Set-Cookie` values of a `/set-cookies` response, in order: allow, fix, strip, allow
/// (judged against `config/fora.toml` for `https://www.fora.se/set-cookies`).
pub const SET_COOKIES: [&str; 4] = [
    // Listed in scope `public` as a session cookie; every required attribute present: passes byte for byte.
    "__RequestVerificationToken=CfDJ8bench0000000000000000token; Path=/; Secure; HttpOnly; SameSite=Lax",
    // Listed (HttpOnly not required: its script reads it), but without Secure: fixed (re-serialised with it).
    "accepted_cookies=true; Path=/; Max-Age=31536000; SameSite=Lax",
    // Not listed anywhere: stripped.
    "bench_tracker=5f3c9a1e77d2; Path=/; Max-Age=31536000",
    // Listed, persistent within the policy's `max_lifetime`, every required attribute present: passes.
    "_pk_testcookie=1; Path=/; Max-Age=86400; Secure; HttpOnly; SameSite=Lax",
];

/// The body of every response.
pub const BODY: &[u8] = b"cookie-warden bench: a small body, the same for every server and route.\n";

/// The response to a request for `path`: [`SET_COOKIES`] on [`COOKIES_PATH`], none elsewhere.
///
/// ```
/// use cookie_warden_bench_servers::responses::{response, COOKIES_PATH};
///
/// assert_eq!(response(COOKIES_PATH).headers().get_all(http::header::SET_COOKIE).iter().count(), 4);
/// assert!(response("/plain").headers().get(http::header::SET_COOKIE).is_none());
/// ```
#[must_use]
pub fn response(path: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(BODY)));
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if path == COOKIES_PATH {
        for value in SET_COOKIES {
            headers.append(SET_COOKIE, HeaderValue::from_static(value));
        }
    }
    response
}
