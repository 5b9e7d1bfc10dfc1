//! The `decide` bench's inputs, shared with the callgrind harness (`examples/instructions.rs`) so
//! that both measure the same policy, request and headers.

use cookie_warden_core::request::{ConsentCookie, RequestContext, RequestUrl};

/// The bench policy (`tests/decide_policy.toml`).
pub(crate) const POLICY: &str = include_str!("../../tests/decide_policy.toml");
/// The clock the decisions read.
pub(crate) const NOW: i64 = 1_700_000_000;

/// Allowed as it is.
pub(crate) const ALLOW: &[u8] =
    b"sid=8f14e45fceea167a5a36dedd4bea2543; Path=/; Secure; HttpOnly; SameSite=Lax";
/// Fixed (lifetime and HttpOnly).
pub(crate) const FIX: &[u8] = b"sid=8f14e45fceea167a5a36dedd4bea2543; Path=/; Max-Age=3600; Secure";
/// Stripped (unlisted).
pub(crate) const STRIP: &[u8] =
    b"_ga=GA1.2.1234567890.1700000000; Path=/; Domain=example.com; Max-Age=63072000";
/// A second allowed header, with a lifetime.
pub(crate) const ALLOW_2: &[u8] = b"lang=sv; Path=/; Max-Age=31536000; Secure; SameSite=Lax";

/// The request the headers answer: https, a signed-in page, consent to three categories.
pub(crate) fn request() -> RequestContext<'static> {
    RequestContext {
        url: RequestUrl {
            secure: true,
            host: "www.example.com",
            path: "/mina-sidor/start",
        },
        method: "GET",
        gpc: false,
        consent_cookie: Some(ConsentCookie(b"necessary,functional,statistics")),
    }
}
