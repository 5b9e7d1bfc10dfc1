//! The body of the `parse_set_cookie` fuzz target, shared with its replay over the seed corpus as
//! an ordinary test (`tests/tests/fuzz_bodies.rs`).
//!
//! The first byte picks the request URL (secure or not, which host, which path); the rest is the
//! header. Beyond "never panics", every accepted line must hold the parser's invariants, and its
//! canonical form must parse back to the same cookie.

use cookie_warden_core::request::RequestUrl;
use cookie_warden_core::set_cookie::{MAX_NAME_VALUE_LEN, SetCookie, parse};

const HOSTS: [&str; 4] = ["www.example.com", "example.co.uk", "10.0.0.1", "localhost"];
const PATHS: [&str; 4] = ["/", "/dir/page", "", "/a/b/"];

/// What a browser stores: an Expires beside a valid Max-Age is moot (Max-Age wins), and the
/// canonical form leaves it out.
fn stored<'a>(cookie: &'a SetCookie<'_>, url: &RequestUrl<'a>) -> impl PartialEq + std::fmt::Debug + 'a {
    let expires = if cookie.max_age.is_some() {
        None
    } else {
        cookie.expires
    };
    (
        (cookie.name, cookie.value, cookie.max_age, expires),
        (
            cookie.secure,
            cookie.http_only,
            cookie.partitioned,
            cookie.same_site,
        ),
        cookie.effective_path(url),
        cookie.domain.as_deref(),
    )
}

/// Parses one input and asserts the invariants.
pub(crate) fn check(data: &[u8]) {
    let Some((&selector, header)) = data.split_first() else {
        return;
    };
    let url = RequestUrl {
        secure: selector & 1 == 1,
        host: HOSTS[usize::from(selector >> 1) % HOSTS.len()],
        path: PATHS[usize::from(selector >> 3) % PATHS.len()],
    };
    let cookie = parse(header, &url);
    let _ = format!("{cookie:?}");
    let _ = cookie.raw_attributes().count();
    if cookie.rejection.is_some() {
        return;
    }
    assert!(
        !header.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f),
        "accepted a control byte"
    );
    assert!(cookie.name.len() + cookie.value.len() <= MAX_NAME_VALUE_LEN);
    assert!(!(cookie.name.is_empty() && cookie.value.is_empty()));
    assert!(url.secure || !cookie.secure);
    assert!(cookie.max_age.is_none_or(|s| (0..=34_560_000).contains(&s)));
    let canonical = cookie.to_canonical();
    let again = parse(&canonical, &url);
    assert_eq!(again.rejection, None, "canonical form rejected");
    assert_eq!(
        stored(&again, &url),
        stored(&cookie, &url),
        "canonical form changed the cookie"
    );
}
