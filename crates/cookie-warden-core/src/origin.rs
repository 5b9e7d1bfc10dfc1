//! The request's origin as cookie rules see it: which host, and whether a browser treats the
//! origin as secure. One normaliser for the CLI ([`RequestUrlBuf`](crate::request::RequestUrlBuf)),
//! the layer (`tower-cookie-warden`'s request facts) and the proxy (its authority checks), so that
//! `eval` decides exactly as the proxy and the layer do.
//!
//! # The host normaliser's contract
//!
//! [`locate_host`] (and [`normalize_host`], which applies it) takes host text as a request names
//! it: a `Host` header, a URI authority (`userinfo@host:port`), a `Forwarded` `host=` parameter or
//! an `X-Forwarded-Host` item. It gives the host that scopes and `Domain` attributes are matched
//! against:
//!
//! 1. ASCII whitespace around the text is ignored.
//! 2. A byte that is not visible ASCII (`!` to `~`) anywhere inside makes the host empty: an
//!    empty host matches no scope, so the strictest rules apply (fail closed). There is no IDNA
//!    mapping: a non-ASCII host is no host, and a punycode one (`xn--…`) is plain ASCII.
//! 3. Userinfo, up to and including the last `@`, is dropped.
//! 4. A bracketed IPv6 literal (`[::1]`) keeps its brackets; whatever follows the `]` (a port)
//!    is dropped. Otherwise a port, the text after the last `:` when it is digits only (or
//!    nothing), is dropped with its colon: `host:https` stays as it is, and matches nothing.
//! 5. One trailing dot is dropped (`fora.se.` is `fora.se`).
//! 6. ASCII upper case is lowercased.
//!
//! The result is a part of the input ([`HostSpan`]), and is copied only when it must be
//! lowercased: a lowercase host costs one pass over its bytes and no allocation. The text is
//! never validated: a lenient reading, for hosts that a server has already accepted. The CLI's
//! URLs are validated first ([`is_valid_host`]) and then read by the same normaliser.
//!
//! A host is a **secure origin** ([`is_secure_origin`]) when it is reached over `https` or `wss`
//! ([`is_secure_scheme`]) or is loopback ([`is_loopback`]), as browsers treat
//! `http://localhost` as potentially trustworthy: `Secure` cookies set there stick.
//!
//! ```
//! use cookie_warden_core::origin::{is_secure_origin, normalize_host};
//!
//! assert_eq!(normalize_host(b"user@WWW.Fora.SE.:8443"), "www.fora.se");
//! assert_eq!(normalize_host(b"[::1]:3000"), "[::1]");
//! assert_eq!(normalize_host(b"fora.se:https"), "fora.se:https");
//! assert_eq!(normalize_host("exämple.se".as_bytes()), "");
//! assert!(is_secure_origin(false, "app.localhost"));
//! assert!(!is_secure_origin(false, "fora.se"));
//! ```

use std::borrow::Cow;
use std::ops::Range;

/// Where the normalised host lies in the text it was read from (see the
/// [module docs](self) for the contract).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpan {
    range: Range<usize>,
    lowercase: bool,
}

impl HostSpan {
    /// The bytes of the text that are the host (empty when the text names none).
    pub fn range(&self) -> Range<usize> {
        self.range.clone()
    }

    /// Whether those bytes must still be lowercased (they hold ASCII upper case).
    pub fn needs_lowercase(&self) -> bool {
        self.lowercase
    }

    /// The host in `raw` (the text this span was located in): borrowed when it is already
    /// lowercase, else a lowercased copy.
    ///
    /// # Panics
    ///
    /// When `raw` is shorter than the text the span was located in.
    pub fn host<'a>(&self, raw: &'a [u8]) -> Cow<'a, str> {
        let host = ascii_str(&raw[self.range.clone()]);
        if self.lowercase {
            Cow::Owned(host.to_ascii_lowercase())
        } else {
            Cow::Borrowed(host)
        }
    }
}

/// The host of `raw` (see the [module docs](self)), borrowed unless it must be lowercased.
pub fn normalize_host(raw: &[u8]) -> Cow<'_, str> {
    locate_host(raw).host(raw)
}

/// Where the host lies in `raw`, and whether it must be lowercased (see the [module docs](self)).
/// Allocates nothing.
pub fn locate_host(raw: &[u8]) -> HostSpan {
    // The common case: a lowercase name with nothing to drop.
    if raw.last() != Some(&b'.') && raw.iter().all(|&b| PLAIN_HOST_BYTE[usize::from(b)]) {
        return HostSpan {
            range: 0..raw.len(),
            lowercase: false,
        };
    }
    locate_any_host(raw)
}

/// [`locate_host`] for any bytes, without its fast path. One pass finds the last `@`, the last
/// `:` after it and any upper case.
fn locate_any_host(raw: &[u8]) -> HostSpan {
    const NONE: HostSpan = HostSpan {
        range: 0..0,
        lowercase: false,
    };
    let mut start = 0;
    let mut end = raw.len();
    while start < end && raw[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && raw[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut colon = None;
    let mut lowercase = false;
    for (i, &b) in raw.iter().enumerate().take(end).skip(start) {
        match b {
            b'@' => {
                start = i + 1;
                colon = None;
                lowercase = false;
            }
            b':' => colon = Some(i),
            b'A'..=b'Z' => lowercase = true,
            b'!'..=b'~' => {}
            _ => return NONE,
        }
    }
    if raw.get(start) == Some(&b'[') {
        if let Some(close) = raw[start..end].iter().position(|&b| b == b']') {
            end = start + close + 1;
        }
    } else if let Some(colon) = colon
        && raw[colon + 1..end].iter().all(u8::is_ascii_digit)
    {
        end = colon;
    }
    if end > start && raw[end - 1] == b'.' {
        end -= 1;
    }
    HostSpan {
        range: start..end,
        lowercase,
    }
}

/// Visible ASCII that needs no normalising: not upper case, not `@`, `:`, `[` or `]`.
static PLAIN_HOST_BYTE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = b'!';
    while b <= b'~' {
        table[b as usize] = !matches!(b, b'A'..=b'Z' | b'@' | b':' | b'[' | b']');
        b += 1;
    }
    table
};

/// Visible ASCII bytes as a `str` (what [`locate_host`] leaves always is).
fn ascii_str(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Whether a normalised host is loopback: `localhost`, a subdomain of it, an address in
/// `127.0.0.0/8`, or `[::1]`. Browsers treat these origins as potentially trustworthy.
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host == "[::1]"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a URI scheme (any case) is one a browser accepts `Secure` cookies over: `https`, `wss`.
pub fn is_secure_scheme(scheme: &[u8]) -> bool {
    scheme.eq_ignore_ascii_case(b"https") || scheme.eq_ignore_ascii_case(b"wss")
}

/// Whether an origin is secure: reached over a secure scheme, or a loopback `host` (normalised).
pub fn is_secure_origin(secure_scheme: bool, host: &str) -> bool {
    secure_scheme || is_loopback(host)
}

/// Whether a normalised host is one the CLI accepts in a URL: an ASCII name of letters, digits,
/// `-`, `_` and `.` without empty labels, a dotted-quad IPv4 address (a name whose last label is
/// numeric must be one, as in the WHATWG URL parser), or a bracketed IPv6 address.
pub fn is_valid_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        || host.split('.').any(str::is_empty)
    {
        return false;
    }
    let last = host.rsplit('.').next().unwrap_or(host);
    let numeric = last.bytes().all(|b| b.is_ascii_digit()) || last.starts_with("0x");
    !numeric || host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// `host[:port]` of a URI authority: its text without any `userinfo@`.
pub fn strip_userinfo(authority: &str) -> &str {
    authority.rfind('@').map_or(authority, |at| &authority[at + 1..])
}

/// The default port of an HTTP URI scheme: `80` for `http`, `443` for `https` (any case);
/// `None` for others.
pub fn default_port(scheme: &str) -> Option<&'static str> {
    if scheme.eq_ignore_ascii_case("https") {
        Some("443")
    } else if scheme.eq_ignore_ascii_case("http") {
        Some("80")
    } else {
        None
    }
}

/// Whether two `host[:port]` texts name the same authority, as RFC 3986 §6.2 compares them:
/// ASCII case-insensitively, around whitespace trimmed, and an explicit `default_port` equal to
/// none. Allocates only when the texts differ in more than case.
pub fn same_authority(a: &[u8], b: &[u8], default_port: Option<&str>) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let without_default = |text: &[u8]| -> Vec<u8> {
        let lowered = text.trim_ascii().to_ascii_lowercase();
        match (default_port, split_port(&lowered)) {
            (Some(default), (host, Some(port))) if port == default.as_bytes() => host.to_vec(),
            _ => lowered,
        }
    };
    without_default(a) == without_default(b)
}

/// `host` and its port, if the text ends in `:digits` (after any IPv6 literal's `]`).
fn split_port(text: &[u8]) -> (&[u8], Option<&[u8]>) {
    let after_literal = text.iter().rposition(|&b| b == b']').map_or(0, |i| i + 1);
    match text[after_literal..].iter().rposition(|&b| b == b':') {
        Some(colon) => {
            let colon = after_literal + colon;
            let port = &text[colon + 1..];
            if port.iter().all(u8::is_ascii_digit) {
                (&text[..colon], Some(port))
            } else {
                (text, None)
            }
        }
        None => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalised_as_the_contract_says() {
        for (raw, host) in [
            ("www.fora.se", "www.fora.se"),
            ("WWW.Fora.SE.:8443", "www.fora.se"),
            ("user@fora.se:80", "fora.se"),
            ("Us:Er@fora.se", "fora.se"),
            ("us@fora.se:HTTP", "fora.se:http"),
            ("fora.se:https", "fora.se:https"),
            ("fora.se:", "fora.se"),
            ("[::1]:3000", "[::1]"),
            ("[::FFFF]:1", "[::ffff]"),
            ("a:b@[::1]", "[::1]"),
            ("[::1", "[::1"),
            (" fora.se ", "fora.se"),
            ("fora.se.", "fora.se"),
            ("fora.se..", "fora.se."),
            (".", ""),
            ("", ""),
            ("a b", ""),
            ("a\tb", ""),
            ("xn--fr-via.se", "xn--fr-via.se"),
        ] {
            assert_eq!(normalize_host(raw.as_bytes()), host, "{raw:?}");
        }
        assert_eq!(normalize_host("fóra.se".as_bytes()), "", "no IDNA mapping");
    }

    /// The fast path for plain hosts gives what the full normalisation gives, on every host it
    /// takes: all short strings over a mix of plain and special bytes, and some real hosts.
    #[test]
    fn the_plain_host_fast_path_agrees_with_the_full_normalisation() {
        let alphabet = b"a.-0_~!:@[]A ";
        let mut hosts: Vec<Vec<u8>> = vec![Vec::new()];
        for length in 1..=4 {
            let mut index = vec![0usize; length];
            loop {
                hosts.push(index.iter().map(|&i| alphabet[i]).collect());
                let Some(digit) = index.iter().rposition(|&i| i + 1 < alphabet.len()) else {
                    break;
                };
                index[digit] += 1;
                index[digit + 1..].fill(0);
            }
        }
        hosts.extend(
            [
                "www.fora.se",
                "app.localhost",
                "127.0.0.1",
                "xn--fr-via.se",
                "a.b.c.d.e.f",
                "x!y",
            ]
            .map(|host| host.as_bytes().to_vec()),
        );
        let mut fast = 0;
        for raw in &hosts {
            let quick = locate_host(raw);
            let full = locate_any_host(raw);
            assert_eq!(
                quick.host(raw),
                full.host(raw),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
            if raw.last() != Some(&b'.') && raw.iter().all(|&b| PLAIN_HOST_BYTE[usize::from(b)]) {
                fast += 1;
            }
        }
        assert!(fast > 1000, "the fast path was taken only {fast} times");
    }

    #[test]
    fn a_lowercase_host_is_borrowed() {
        assert!(matches!(normalize_host(b"fora.se:80"), Cow::Borrowed("fora.se")));
        assert!(matches!(normalize_host(b"Fora.se"), Cow::Owned(_)));
        let span = locate_host(b"u@Fora.se:1");
        assert_eq!((span.range(), span.needs_lowercase()), (2..9, true));
    }

    #[test]
    fn loopback_and_secure_origins() {
        for host in ["localhost", "app.localhost", "127.0.0.1", "127.1.2.3", "[::1]"] {
            assert!(is_loopback(host), "{host}");
            assert!(is_secure_origin(false, host), "{host}");
        }
        for host in ["localhost.example", "10.0.0.1", "[::2]", "", "128.0.0.1"] {
            assert!(!is_loopback(host), "{host}");
        }
        assert!(is_secure_scheme(b"HTTPS") && is_secure_scheme(b"wss"));
        assert!(!is_secure_scheme(b"http") && !is_secure_scheme(b"https "));
    }

    #[test]
    fn authorities_compare_without_case_userinfo_or_default_port() {
        assert_eq!(strip_userinfo("u:p@app.test:81"), "app.test:81");
        assert_eq!(strip_userinfo("app.test"), "app.test");
        assert!(same_authority(b"app.test", b"APP.test", Some("443")));
        assert!(same_authority(b"app.test:443", b"app.test", Some("443")));
        assert!(same_authority(b"[::1]:80", b"[::1]", default_port("http")));
        assert!(!same_authority(b"app.test:8443", b"app.test", Some("443")));
        assert!(!same_authority(b"app.test:443", b"app.test", Some("80")));
        assert!(!same_authority(b"app.test:443", b"app.test", None));
        assert!(!same_authority(b"app.test.evil", b"app.test", Some("443")));
        assert_eq!(default_port("HTTPS"), Some("443"));
        assert_eq!(default_port("ftp"), None);
    }
}
